*** Settings ***
Documentation     Annotated pod state corruption: the ten-step manual procedure, one test per
...               manual step. What the manual did, why its oracle was wrong and what each step
...               asserts: [../docs/procedures/annotated-pod-state-corruption.md|the procedure's page]
...               (docs/procedures/annotated-pod-state-corruption.md).
...
...               The manual oracle is corrected: its second trigger pod does not fit on a
...               correct plugin either. Here the triggers fill
...               exactly the CPUs that remain free and must run; an overflow probe one CPU larger
...               must be refused for a genuine reason; a plugin refusal while CPUs are really free
...               fails as accounting corruption with both figures and the CPU lists.

Resource          ../resources/state_corruption.resource

Suite Setup       Prepare The Procedure On The Target Node
Suite Teardown    Clean Up The Procedure
Test Setup        Start Step
Test Teardown     End Step

Test Tags         procedure:annotated-pod-state-corruption


*** Test Cases ***
Step 01 Environment Setup
    [Documentation]    The test namespace exists and the procedure is sized for the target node.
    [Tags]    step-01
    Create The Test Namespace And Pod Files

Step 02 Bulk Create Multiple Annotated Pods
    [Documentation]    All annotated pods, created together, start (about 80 % of the node's CPUs).
    [Tags]    step-02
    Bulk Create The Annotated Pods

Step 03 Verify Initial State And Plugin Logs
    [Documentation]    Each annotated pod runs on exactly the CPUs of its annotation.
    [Tags]    step-03
    Each Annotated Pod Has Exactly Its Annotated CPUs

Step 04 Bulk Remove Annotated Pods
    [Documentation]    The annotated pods, deleted together, are gone and the plugin has released
    ...    every one of their containers (release latency reported).
    [Tags]    step-04
    Bulk Delete The Annotated Pods
    The Plugin Releases Every Annotated Container

Step 05 Bulk Create Integer Pods
    [Documentation]    The integer pods, created together, start on the released CPUs; a plugin
    ...    refusal while the CPUs are really free fails as accounting corruption.
    [Tags]    step-05
    Bulk Create The Integer Pods

Step 06 Verify Integer Pod Allocations
    [Documentation]    Each integer pod has exactly its requested number of CPUs, no two share
    ...    one, and the plugin's log says it gave each of them the CPUs it has.
    [Tags]    step-06
    Each Integer Pod Has Exactly Its Requested CPUs, None Shared

Step 07 Attempt To Create Additional Trigger Pods
    [Documentation]    A probe one CPU larger than what is free is refused for a genuine reason;
    ...    the trigger pods, sized to fill the free CPUs exactly, all run on disjoint CPUs.
    [Tags]    step-07
    An Overflow Probe Is Refused For A Genuine Reason
    The Trigger Pods Fill The Free CPUs And Run

Step 08 Analyze Plugin State Corruption
    [Documentation]    The node picture matches the plan, the plugin's view matches the
    ...    containers, and the plugin never reported state corruption.
    [Tags]    step-08
    The Node Holds What The Plan Says, And So Does The Plugin

Step 09 Demonstrate The Fix
    [Documentation]    The plugin restarts (as `systemctl restart k3s` does) and synchronizes
    ...    every running container.
    [Tags]    step-09
    Restart The Plugin

Step 10 Verify Fix Success
    [Documentation]    Every running pod kept exactly its CPUs through the restart, and the CPUs
    ...    of deleted trigger pods can be allocated again.
    [Tags]    step-10
    Every Running Pod Kept Exactly Its CPUs
    The CPUs Of Deleted Trigger Pods Can Be Allocated Again
