*** Settings ***
Documentation     A pod whose command ignores SIGTERM (``sleep`` as PID 1) is deleted with a grace
...               period: the wait for it to go lasts that long (the progress test reads its console).

Resource          ../../../resources/cpuset.resource

Suite Setup       Connect To Target Node And Plugin
Suite Teardown    Delete Test Namespace    grace_period=0


*** Test Cases ***
A Deletion Waits Out The Grace Period Of A Pod That Ignores SIGTERM
    [Documentation]    The pod is Terminating for the whole grace period.
    Create Test Namespace    slow-deletion
    ${pod}    Pod Body    sleeper    command=${{ ['sleep', '3600'] }}
    Create Pods Together    ${pod}
    Wait Until Pods Are Ready    sleeper    timeout=1 min
    Delete Pods Together    sleeper    grace_period=${DELETE_GRACE_PERIOD}
    Wait Until Pods Are Gone    sleeper    timeout=1 min
