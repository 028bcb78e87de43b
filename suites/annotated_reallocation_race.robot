*** Settings ***
Documentation     Annotated reallocation race: the procedure that tells the upstream fix 97e0fb4
...               apart from its predecessor 7132bc2, which the ten-step state-corruption procedure
...               cannot (it never makes the plugin move an integer container). What it asserts and
...               why: [../docs/procedures/annotated-reallocation-race.md|the procedure's page]
...               (docs/procedures/annotated-reallocation-race.md).
...
...               Integer pods X and Y run; annotated pods A (on CPUs of X) and B (on CPUs of Y) are
...               created back-to-back, so the plugin moves X and Y live; an integer pod then fills
...               every free CPU, and after A and B are deleted their CPUs must be allocatable again.

Resource          ../resources/reallocation_race.resource

Suite Setup       Prepare The Race On The Target Node
Suite Teardown    Delete Test Namespace    grace_period=${DELETE_GRACE_PERIOD}
Test Setup        Start Step
Test Teardown     End Step

Test Tags         procedure:annotated-reallocation-race


*** Test Cases ***
Step 01 Environment Setup
    [Documentation]    The test namespace exists.
    [Tags]    step-01
    Create The Race Namespace

Step 02 Create Integer Pods
    [Documentation]    Integer pods X and Y run on disjoint CPUs.
    [Tags]    step-02
    Create Two Integer Pods

Step 03 Create Two Conflicting Annotated Pods Back To Back
    [Documentation]    A on two CPUs of X and B on two CPUs of Y, created together, run on exactly
    ...    their annotations.
    [Tags]    step-03
    Create Two Conflicting Annotated Pods Back To Back

Step 04 Verify The Integer Pods Moved
    [Documentation]    X and Y left the annotated CPUs, keeping their CPU counts, on disjoint CPUs.
    [Tags]    step-04
    The Integer Pods Moved Off The Annotated CPUs

Step 05 Fill The Free CPUs
    [Documentation]    An integer pod sized to the free CPUs runs and shares no CPU with anyone.
    [Tags]    step-05
    An Integer Pod Fills The Free CPUs Without Overlap

Step 06 Delete The Annotated Pods
    [Documentation]    A and B are gone and the plugin released their containers.
    [Tags]    step-06
    Delete The Annotated Pods Together

Step 07 Verify The Released CPUs Are Allocatable Again
    [Documentation]    Their CPUs go to a new integer pod with no refusal and no phantom reallocation.
    [Tags]    step-07
    The Released CPUs Are Allocatable Again Without A Phantom Owner
