*** Settings ***
Documentation     Pods whose command ignores SIGTERM (``sleep`` as PID 1) are deleted with a grace
...               period: the waits for them to go, and for the plugin to release their containers,
...               last that long (the progress test reads the console).

Resource          ../../../resources/cpuset.resource

Suite Setup       Connect And Create The Namespace
Suite Teardown    Delete Test Namespace    grace_period=0


*** Test Cases ***
A Deletion Waits Out The Grace Period Of A Pod That Ignores SIGTERM
    [Documentation]    The pod is Terminating for the whole grace period.
    Run A Pod That Ignores SIGTERM    sleeper
    Delete Pods Together    sleeper    grace_period=${DELETE_GRACE_PERIOD}
    Wait Until Pods Are Gone    sleeper    timeout=1 min

A Release Waits Out The Grace Period Of A Pod That Ignores SIGTERM
    [Documentation]    The plugin hears of the removal only once the container has stopped.
    Run A Pod That Ignores SIGTERM    slow-release
    Delete Pods Together    slow-release    grace_period=${DELETE_GRACE_PERIOD}
    Wait Until Plugin Has Released Pods    slow-release    timeout=1 min


*** Keywords ***
Connect And Create The Namespace
    Connect To Target Node And Plugin
    Create Test Namespace    slow-deletion

Run A Pod That Ignores SIGTERM
    [Arguments]    ${name}
    ${pod}    Pod Body    ${name}    command=${{ ['sleep', '3600'] }}
    Create Pods Together    ${pod}
    Wait Until Pods Are Ready    ${name}    timeout=1 min
