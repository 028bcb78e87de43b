*** Settings ***
Documentation     Impossible reallocation: the node is filled with 2-CPU integer pods, then an
...               annotated pod asks for the CPUs of one of them. One test per manual step, and the
...               case the manual meant to test as three more. What the manual did, why its oracle
...               was wrong and what each step asserts:
...               [../docs/procedures/impossible-reallocation-test.md|the procedure's page]
...               (docs/procedures/impossible-reallocation-test.md).
...
...               The fill is sized from allocatable CPU and the CPUs really free, leaving two free.
...               Two free CPUs can take the moved integer pod, so that reallocation must succeed
...               (the manual expected a failure there). Only once no CPU is free must the annotated
...               pod be refused, with ``cannot reallocate conflicting containers: ...``, changing nothing.

Resource          ../resources/impossible_reallocation.resource

Suite Setup       Prepare The Impossible Reallocation Test
Suite Teardown    Delete Test Namespace    grace_period=${DELETE_GRACE_PERIOD}
Test Setup        Start Step
Test Teardown     End Step

Test Tags         procedure:impossible-reallocation-test


*** Test Cases ***
Step 01 Environment Setup
    [Documentation]    The namespace exists; suite setup checked the node has room.
    [Tags]    step-01
    Create The Impossible Reallocation Namespace

Step 02 Calculate Resource Exhaustion Strategy
    [Documentation]    The number of 2-CPU integer pods comes from the CPUs really free and
    ...    schedulable, leaving two free.
    [Tags]    step-02
    Plan The Exhaustion From What The Node Has

Step 03 Create Multiple Integer Pods To Exhaust Resources
    [Documentation]    The integer pods are created together.
    [Tags]    step-03
    Create The Integer Pods That Exhaust The Node

Step 04 Wait For Integer Pods To Be Ready
    [Documentation]    All run on exactly 2 exclusive CPUs each; two CPUs are left free.
    [Tags]    step-04
    The Integer Pods Run On Exclusive Cpus

Step 05 Identify Cpu Assignment For Conflict Creation
    [Documentation]    The CPUs of the first integer pod, as a set.
    [Tags]    step-05
    Take The Cpus Of The First Integer Pod

Step 06 Create Annotated Pod That Conflicts
    [Documentation]    An annotated pod on those CPUs is created.
    [Tags]    step-06
    Create The Conflicting Annotated Pod

Step 07 Monitor Annotated Pod Behavior
    [Documentation]    The free CPUs can take the move: the annotated pod runs on exactly its CPUs,
    ...    the integer pod moved off them keeping 2 CPUs, the others kept theirs, nobody shares.
    [Tags]    step-07
    The Move Into The Free Cpus Succeeds

Step 08 Analyze Pod Status And Plugin Behavior
    [Documentation]    The plugin's logged grants and move agree with every integer pod's CPUs.
    [Tags]    step-08
    The Plugin's Word Matches The Move

Step 09 Exhaust The Last Free Cpus
    [Documentation]    The CPUs still free are taken: no CPU is free.
    [Tags]    step-09
    Take Every Cpu Still Free

Step 10 Create An Annotated Pod Whose Conflict Cannot Move
    [Documentation]    An annotated pod on the first integer pod's current CPUs is created.
    [Tags]    step-10
    Create An Annotated Pod With No Room To Move Its Owner

Step 11 Verify The Impossible Reallocation Is Refused
    [Documentation]    Every creation is refused with the plugin's exact message naming the integer
    ...    container, and the plugin logged the failed plan.
    [Tags]    step-11
    The Annotated Pod Is Refused Because The Move Is Impossible

Step 12 Verify Plugin Health
    [Documentation]    No container's CPUs changed; no corruption reported.
    [Tags]    step-12
    Nothing Changed And The Plugin Is Healthy
