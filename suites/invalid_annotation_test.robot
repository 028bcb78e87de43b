*** Settings ***
Documentation     Invalid annotation: pods annotated ``weka.io/cores-ids: "999"`` and
...               ``"not-a-number"`` (and the other malformed forms) must never run. One test per
...               manual step. What the manual did, why its oracle was wrong and what each step
...               asserts: [../docs/procedures/invalid-annotation-test.md|the procedure's page]
...               (docs/procedures/invalid-annotation-test.md).
...
...               Each pod stays Waiting/CreateContainerError with the plugin's exact message on every
...               retry; the plugin logs the refusal at creation (not the resynchronization-only line
...               the manual greps for); nothing is reserved for them and deleting them changes nothing.

Resource          ../resources/invalid_annotation.resource

Suite Setup       Prepare The Invalid Annotation Test
Suite Teardown    Delete Test Namespace    grace_period=${DELETE_GRACE_PERIOD}
Test Setup        Start Step
Test Teardown     End Step

Test Tags         procedure:invalid-annotation-test


*** Test Cases ***
Step 01 Create Test Namespace
    [Documentation]    The namespace exists; the free CPUs are counted and the plugin reserves
    ...    nothing for no pod.
    [Tags]    step-01
    Create The Invalid Annotation Namespace

Step 02 Create Pod With Invalid Cpu Annotation
    [Documentation]    A pod annotated with a CPU the node does not have (999) is created.
    [Tags]    step-02
    Create A Pod Annotated    invalid-annotation-pod    ${OFFLINE_CPU}

Step 03 Monitor Pod Status And Plugin Logs
    [Documentation]    It never runs: refused at every creation with the plugin's exact message,
    ...    which the plugin logged when it refused.
    [Tags]    step-03
    The Offline Cpu Pod Is Refused At Creation
    The Plugin Did Not Merely Skip Them

Step 04 Test With Malformed Annotations
    [Documentation]    Pods annotated not-a-number, 5-2, 0,,2, 0-, -1, a, and an online CPU with
    ...    999 are created together.
    [Tags]    step-04
    Create Pods With The Malformed Annotations

Step 05 Verify Expected Failures
    [Documentation]    None runs; each is refused with its exact message (logged at creation);
    ...    no CPU is reserved for any of them.
    [Tags]    step-05
    Every Malformed Pod Is Refused At Creation
    The Plugin Did Not Merely Skip Them
    Nothing Is Reserved For Pods That Do Not Run

Step 06 Cleanup
    [Documentation]    Deleting the refused pods changes nothing: the same free CPUs, nothing
    ...    reserved, nothing released.
    [Tags]    step-06
    Delete The Refused Pods
    Deleting Them Changed Nothing
