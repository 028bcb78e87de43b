*** Settings ***
Documentation     Sibling core allocation: a 2-CPU integer pod gets exactly two exclusive CPUs,
...               the two threads of one core as the node reports its thread siblings. One test per
...               manual step. What the manual did, why its oracle was wrong and what each step
...               asserts: [../docs/procedures/sibling-core-allocation-test.md|the procedure's page]
...               (docs/procedures/sibling-core-allocation-test.md).
...
...               Siblings are read from the node (``thread_siblings_list``), never guessed from a
...               CPU-number difference. On a node without hyper-threading the sibling step says so
...               in its message and only the count and exclusivity are checked.

Resource          ../resources/sibling_core_allocation.resource

Suite Setup       Prepare The Sibling Test
Suite Teardown    Delete Test Namespace    grace_period=${DELETE_GRACE_PERIOD}
Test Setup        Start Step
Test Teardown     End Step

Test Tags         procedure:sibling-core-allocation-test


*** Test Cases ***
Step 01 Environment Setup
    [Documentation]    The namespace exists; the node's hyper-threading and free cores are known.
    [Tags]    step-01
    Create The Sibling Namespace And Judge The Node

Step 02 Create Integer Pod Requesting 2 Cpus
    [Documentation]    The 2-CPU integer pod is Ready.
    [Tags]    step-02
    Create The Two Cpu Integer Pod

Step 03 Verify Cpu Assignment
    [Documentation]    Its Cpus_allowed_list is read inside it.
    [Tags]    step-03
    Read The Cpus Of The Pod

Step 04 Parse And Count Cpus
    [Documentation]    Exactly two CPUs, held by no other exclusive pod.
    [Tags]    step-04
    The Pod Has Exactly Two Exclusive Cpus

Step 05 Verify Sibling Core Relationship
    [Documentation]    The two CPUs are one core's threads (the message says when the node cannot
    ...    pair them).
    [Tags]    step-05
    The Two Cpus Are One Core's Threads

Step 06 Plugin Logs Analysis
    [Documentation]    The plugin classified the container as integer and logged the CPUs it has.
    [Tags]    step-06
    The Plugin Classified And Granted It

Step 07 Success Criteria Validation
    [Documentation]    The pod stays Ready on the same two CPUs; no corruption reported.
    [Tags]    step-07
    The Allocation Holds
