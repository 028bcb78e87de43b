*** Settings ***
Documentation     DaemonSet state corruption: the manual procedure `daemonset-state-corruption-test`,
...               one test per manual step, on every node of the run (nodes the run labels itself).
...
...               Page: [../docs/procedures/daemonset-state-corruption.md|the procedure's page].
...               The manual's oracle is corrected: the
...               procedure is sized from what every node really has (CPUs and memory), the trigger
...               pod asks for the CPUs really free and must run, a refusal while CPUs are really free
...               fails at once as accounting corruption (a genuine shortage is waited out), and the
...               plugin restart (`kubectl rollout restart` of its DaemonSet) must keep every pod on
...               exactly its CPUs instead of being taken as a "fix".
...
...               On the simulated cluster: three nodes (`SIM_NODES`). On a real cluster:
...               `RUN_NODES` names the nodes; a plugin DaemonSet is restarted with a rollout restart
...               (NODE_ACCESS=daemonset), a native plugin with its restart command on every node
...               (NODE_ACCESS=ssh, each node reached at its own address when SSH_HOST is empty).

Resource          ../resources/daemonset_state_corruption.resource

Suite Setup       Prepare The Procedure On The Nodes
Suite Teardown    Clean Up The Procedure On The Nodes
Test Setup        Start Step
Test Teardown     End Step

Test Tags         procedure:daemonset-state-corruption


*** Variables ***
${SIM_NODES}    3    # robocop: off=VAR02    (read by Connect To Target Node And Plugin)


*** Test Cases ***
Step 01 Environment Setup
    [Documentation]    The namespace exists, the run's nodes carry its label, the bodies fit the plan.
    [Tags]    step-01
    Create The Namespace, Label The Nodes And Render The Bodies

Step 02 Deploy Annotated DaemonSets
    [Documentation]    The client, compute and drive annotated DaemonSets run on every node.
    [Tags]    step-02
    Bulk Deploy The Annotated DaemonSets

Step 03 Verify Initial State And Plugin Logs
    [Documentation]    Each annotated pod runs on exactly the CPUs of its annotation, on every node.
    [Tags]    step-03
    Every Annotated Pod Has Exactly Its CPUs On Every Node

Step 04 Bulk Remove Annotated DaemonSets
    [Documentation]    Deleted together; their pods are gone and every node's plugin released them.
    [Tags]    step-04
    Bulk Remove The Annotated DaemonSets

Step 05 Deploy Integer DaemonSets
    [Documentation]    The integer DaemonSets run on every node; a refusal while the CPUs are really
    ...    free fails as accounting corruption.
    [Tags]    step-05
    Bulk Deploy The Integer DaemonSets

Step 06 Verify Integer Pod Allocations And Test State
    [Documentation]    Each integer pod has exactly its requested CPUs, none shared on its node.
    [Tags]    step-06
    Every Integer Pod Has Exactly Its CPUs On Every Node

Step 07 Attempt To Create Additional Test Pod
    [Documentation]    A trigger pod sized from the CPUs really free on the target node runs.
    [Tags]    step-07
    The Trigger Pod Sized From The Free CPUs Runs

Step 08 Analysis And State Inspection
    [Documentation]    Every node holds what the plan says; no plugin reported corruption.
    [Tags]    step-08
    Every Node Holds What The Plan Says

Step 09 Demonstrate Fix
    [Documentation]    The plugin DaemonSet is restarted and the new plugin synchronizes every node.
    [Tags]    step-09
    Restart The Plugin DaemonSet

Step 10 Verify Fix Success
    [Documentation]    Every pod kept exactly its CPUs through the restart.
    [Tags]    step-10
    Every Pod Kept Exactly Its CPUs
