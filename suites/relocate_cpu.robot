*** Settings ***
Documentation     Relocate CPU: the multi-node manual procedure `relocate-cpu`, one test per manual
...               step. An integer DaemonSet runs on the run's nodes; an annotated DaemonSet on the
...               CPUs of the first integer pod makes the plugin of every node move its integer pod
...               live.
...
...               Page: [../docs/procedures/relocate-cpu.md|the procedure's page].
...               The manual's oracle is corrected: the nodes are
...               labelled by the run (k3s sets no worker role label), CPUs are compared as sets per
...               node, sibling pairs are required where the node allows them, and the plugin log is
...               checked for the lines the current plugin writes (two of the manual's patterns
...               exist only in a build before upstream 97e0fb4).
...
...               On the simulated cluster: `-v SIM_NODES:3` for three nodes (the default here).
...               On a real cluster: `RUN_NODES` names the nodes (default: every node with a Ready
...               plugin pod); every node's plugin log must be reachable (NODE_ACCESS=daemonset).

Resource          ../resources/relocate_cpu.resource

Suite Setup       Prepare The Relocation On The Nodes
Suite Teardown    Clean Up The Relocation
Test Setup        Start Step
Test Teardown     End Step

Test Tags         procedure:relocate-cpu


*** Variables ***
${SIM_NODES}    3    # robocop: off=VAR02    (read by Connect To Target Node And Plugin)


*** Test Cases ***
Step 01 Environment Setup
    [Documentation]    The test namespace exists and the run's nodes carry the run's label.
    [Tags]    step-01
    Create The Namespace And Label The Nodes

Step 02 Deploy Integer DaemonSet
    [Documentation]    One Ready integer pod on every labelled node.
    [Tags]    step-02
    Deploy The Integer DaemonSet

Step 03 Verify Initial CPU Assignments Across All Nodes
    [Documentation]    Each integer pod has exactly its CPUs, exclusive on its node, as whole cores
    ...    where the node allows.
    [Tags]    step-03
    Every Integer Pod Holds Whole Cores Of Its Own

Step 04 Create Annotated DaemonSet
    [Documentation]    Annotated pods on the first integer pod's CPUs run on every node.
    [Tags]    step-04
    Deploy The Annotated DaemonSet On Those CPUs

Step 05 Verify Live Reallocation Results Across All Nodes
    [Documentation]    On every node the annotated pod has exactly its CPUs and the integer pod moved
    ...    off them keeping its count; no CPU is shared (compared as sets).
    [Tags]    step-05
    Every Node Relocated Its Integer Pod

Step 06 Verify Plugin Logs Across All Nodes
    [Documentation]    Every node's plugin logged the move with the current plugin's lines.
    [Tags]    step-06
    Every Node's Plugin Logged The Relocation

Step 07 Validate Sibling Core Preference
    [Documentation]    The moved integer pods still hold whole cores where the node allows it.
    [Tags]    step-07
    The Moved Pods Kept Their Sibling Pairs
