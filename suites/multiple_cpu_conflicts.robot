*** Settings ***
Documentation     Multiple CPU conflicts: an annotated pod on two CPUs of a 4-CPU integer pod. One
...               test per manual step. What the manual did, why its oracle was wrong and what each
...               step asserts: [../docs/procedures/multiple-cpu-conflicts.md|the procedure's page]
...               (docs/procedures/multiple-cpu-conflicts.md).
...
...               The two CPUs are chosen from the integer pod's CPU set, not by cutting its list
...               text. The annotated pod gets exactly them; the integer pod keeps 4 CPUs, none of
...               them annotated, moved live; no CPU is shared.

Resource          ../resources/multiple_cpu_conflicts.resource

Suite Setup       Prepare The Multiple Conflicts Test
Suite Teardown    Delete Test Namespace    grace_period=${DELETE_GRACE_PERIOD}
Test Setup        Start Step
Test Teardown     End Step

Test Tags         procedure:multiple-cpu-conflicts


*** Test Cases ***
Step 01 Environment Setup
    [Documentation]    The namespace exists; suite setup checked the node has room.
    [Tags]    step-01
    Create The Multiple Conflicts Namespace

Step 02 Create Integer Pod With 4 Cpus
    [Documentation]    The integer pod runs on exactly 4 exclusive CPUs.
    [Tags]    step-02
    Create The Four Cpu Integer Pod

Step 03 Get Integer Pod's Cpu Assignment
    [Documentation]    Its CPUs are read inside it.
    [Tags]    step-03
    Read The Integer Pod's Cpus

Step 04 Extract Conflicting Cpus For Annotation
    [Documentation]    Two of its CPUs, chosen as a set.
    [Tags]    step-04
    Choose Two Of Its Cpus

Step 05 Create Annotated Pod With Conflicting Cpus
    [Documentation]    The annotated pod on those two CPUs is created.
    [Tags]    step-05
    Create The Annotated Pod On Them

Step 06 Monitor Plugin Logs During Conflict Resolution
    [Documentation]    The annotated pod is Ready; the plugin logged the conflict.
    [Tags]    step-06
    The Plugin Resolves The Conflict

Step 07 Verify Final Cpu Assignments
    [Documentation]    The annotated pod has exactly its two CPUs; the integer pod keeps 4 CPUs, none
    ...    of them annotated; no CPU is shared.
    [Tags]    step-07
    The Annotated Pod Has Exactly Its Cpus
    The Integer Pod Moved Off Every Conflicting Cpu

Step 08 Plugin Health And Logs Analysis
    [Documentation]    The integer pod was moved live (same container); the plugin's word agrees;
    ...    no corruption reported.
    [Tags]    step-08
    The Move Was Live And Agrees With The Plugin
