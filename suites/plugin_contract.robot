*** Settings ***
Documentation     The plugin's contract, one independent test per behaviour: classification,
...               annotated, integer and shared CPUs, forbidden CPUs, invalid annotations, memory
...               nodes, live reallocation, exhaustion and restart.
...
...               Every test starts on an idle node and leaves it idle (its pods deleted and
...               released by the plugin), so a defect found by one test does not fail the next.
...               Where the upstream e2e tests expect something the upstream code does not do, the
...               test asserts what the code does and its documentation says why.
...               What each test checks and why: [../docs/procedures/plugin-contract.md|the contract's page].

Resource          ../resources/plugin_contract.resource

Suite Setup       Prepare The Contract Suite
Suite Teardown    Delete Test Namespace    grace_period=${CLEANUP_GRACE}
Test Setup        Start Contract Test
Test Teardown     End Contract Test

Test Tags         procedure:plugin-contract


*** Test Cases ***
Pods Are Classified By Their Annotation And Resources
    [Documentation]    Annotated (any resources) get their annotation; integer (whole CPUs,
    ...    request = limit, memory limit) get exclusive CPUs; fractional CPU, request below limit,
    ...    no memory limit and BestEffort pods are shared and get the shared pool. Two integer pods
    ...    (2 and 1 CPUs) share no CPU.
    Annotated And Then Integer Pods Run    annotated-small    0    integer-two    2
    ${one_cpu}    Integer Pod    integer-one    1
    Pods Are Created And Ready    ${one_cpu}
    Four Kinds Of Shared Pods Run
    Pods Should Have Their Annotated Cpus    annotated-small
    Pods Should Have Exactly Their Requested Cpus    integer-two    integer-one
    Pods Should Have The Shared Pool    shared-fractional    shared-burstable    shared-no-memory-limit
    ...    shared-best-effort

Annotated Pods Get Exactly Their Cpus, Lists And Ranges
    [Documentation]    A CPU list and a list of ranges are honoured exactly, and the plugin logs the
    ...    CPUs it admitted each pod with.
    ${list}    Annotated Pod    annotated-list    0,2,4
    ${ranges}    Annotated Pod    annotated-ranges    8-9,11-12
    Pods Are Created And Ready    ${list}    ${ranges}
    ${sets}    Pods Should Have Their Annotated Cpus    annotated-list    annotated-ranges
    Plugin Should Have Logged The Annotated Allocations    ${sets}

Two Annotated Pods May Share Cpus
    [Documentation]    Annotated pods may overlap (the plugin counts references): both run on 0,2,
    ...    and an integer pod created next gets neither CPU.
    ${first}    Annotated Pod    annotated-share-1    0,2
    ${second}    Annotated Pod    annotated-share-2    0,2
    Pods Are Created And Ready    ${first}    ${second}
    Pods Should Have Their Annotated Cpus    annotated-share-1    annotated-share-2
    ${integer}    Integer Pod    integer-beside    2
    Pods Are Created And Ready    ${integer}
    Pods Should Have Exactly Their Requested Cpus    integer-beside

Integer Pods Get Exclusive Sibling-Aware Cpus
    [Documentation]    Integer pods get exactly their count, pairwise disjoint; on an idle node an
    ...    even count is whole cores (every CPU's thread siblings, as the node reports them).
    ${a}    Integer Pod    integer-a    2
    ${b}    Integer Pod    integer-b    2
    ${c}    Integer Pod    integer-c    4
    Pods Are Created And Ready    ${a}    ${b}    ${c}
    ${sets}    Pods Should Have Exactly Their Requested Cpus    integer-a    integer-b    integer-c
    Cpu Sets Should Be Disjoint    ${sets}
    FOR    ${pod}    ${cpus}    IN    &{sets}
        Cpu Set Should Be Whole Cores    ${cpus}    what=${pod}
    END
    Plugin Grants Should Match Pod Cpus    ${sets}

Shared Pods Get Exactly The Shared Pool
    [Documentation]    A shared pod created after annotated and integer pods runs on exactly the
    ...    online CPUs minus every annotated and integer CPU.
    Annotated And Then Integer Pods Run    annotated-held    0-1    integer-held    2
    ${shared}    Shared Pod    shared-pool
    Pods Are Created And Ready    ${shared}
    Pods Should Have The Shared Pool    shared-pool

Existing Shared Pods Keep Their Cpus When Exclusive Cpus Are Granted
    [Documentation]    The upstream e2e expects the shared pool of running shared pods to shrink
    ...    when an integer pod is admitted; the upstream code never updates a shared container on
    ...    admission (only sync-known ones after a removal), so the shared pod keeps its CPUs.
    ${shared}    Shared Pod    shared-early
    Pods Are Created And Ready    ${shared}
    ${before}    Get Cpus Of Pods    shared-early
    ${integer}    Integer Pod    integer-late    2
    Pods Are Created And Ready    ${integer}
    Pods Should Have Exactly Their Requested Cpus    integer-late
    Pods Should Keep Their Cpus    ${before}

Integer And Shared Pods Avoid Their Forbidden Cpus
    [Documentation]    ``weka.io/forbid-core-ids`` keeps an integer pod off 1,3,5 and takes 0,2,4
    ...    out of a shared pod's pool.
    ${integer}    Integer Pod    integer-forbid    2    forbid=1,3,5
    Pods Are Created And Ready    ${integer}
    ${shared}    Shared Pod    shared-forbid    forbid=0,2,4
    Pods Are Created And Ready    ${shared}
    Pods Should Not Use Their Forbidden Cpus    integer-forbid    shared-forbid
    Pods Should Have Exactly Their Requested Cpus    integer-forbid
    Pods Should Have The Shared Pool    shared-forbid

Annotated Pods Ignore Forbidden Cpus
    [Documentation]    An annotated pod forbidding its own annotated CPUs still gets exactly them.
    ${cores}    The Lowest Online Cpus    2
    ${annotated}    Annotated Pod    annotated-forbid    ${cores}    forbid=${cores}
    Pods Are Created And Ready    ${annotated}
    Pods Should Have Their Annotated Cpus    annotated-forbid

Invalid Annotations Are Refused With The Plugin's Messages And Reserve Nothing
    [Documentation]    Each invalid ``weka.io/cores-ids`` is refused with the plugin's exact message;
    ...    afterwards one integer pod can have every free CPU (nothing was reserved for them).
    ${online}    Online Cpus
    ${valid}    Format Cpu List    ${online}
    An Annotated Pod With An Invalid Annotation Is Refused    invalid-offline    999
    ...    invalid CPU list in annotation '999': CPU(s) not online: [999] (valid range: ${valid})
    An Annotated Pod With An Invalid Annotation Is Refused    invalid-word    not-a-number
    ...    invalid CPU list in annotation 'not-a-number': invalid CPU range format: not-a-number
    An Annotated Pod With An Invalid Annotation Is Refused    invalid-reversed    5-2
    ...    invalid CPU list in annotation '5-2': invalid CPU range 5-2: start > end
    An Annotated Pod With An Invalid Annotation Is Refused    invalid-empty-item    0,,2
    ...    invalid CPU list in annotation '0,,2': empty CPU value in list: 0,,2
    An Annotated Pod With An Invalid Annotation Is Refused    invalid-open-range    0-
    ...    invalid CPU list in annotation '0-': invalid end CPU in range 0-: strconv.Atoi: parsing "": invalid syntax
    Every Free Cpu Can Be Given To One Integer Pod    integer-after-refusals

An Empty Annotation Runs Unpinned
    [Documentation]    The upstream e2e expects a pod with an empty ``weka.io/cores-ids`` to be refused;
    ...    the upstream code admits it, records no CPU and returns no cpuset, so the container runs
    ...    on every online CPU. Asserted as the code does.
    ${annotated}    Annotated Pod    annotated-empty    ${EMPTY}
    Pods Are Created And Ready    ${annotated}
    ${cpus}    Get Pod Cpus    annotated-empty
    ${online}    Online Cpus
    Cpu Set Should Be    ${cpus}    ${online}    what=annotated-empty

Memory Nodes Follow The Cpus Of Annotated Pods
    [Documentation]    An annotated pod may use exactly the memory nodes of its CPUs (one node, or
    ...    both when its CPUs span two); integer and shared pods are not restricted.
    ${one}    ${span}    One Cpu Of The First Numa Node And One Of Each End
    ${on_one}    Annotated Pod    annotated-one-node    ${one}
    ${on_span}    Annotated Pod    annotated-span    ${span}
    ${integer}    Integer Pod    integer-mems    2
    Pods Are Created And Ready    ${on_one}    ${on_span}
    Pods Are Created And Ready    ${integer}
    Pods Should Have The Memory Nodes Of Their Cpus    annotated-one-node    annotated-span
    Pods Should Have Every Memory Node    integer-mems

Live Reallocation Of One Cpu
    [Documentation]    An annotated pod on one CPU of a 2-CPU integer pod runs on it; the integer
    ...    pod moves off it live, keeping 2 CPUs.
    The Integer Pod Moves Off The Annotated Cpus    2    1

Live Reallocation Of Two Cpus
    [Documentation]    An annotated pod on two CPUs of a 4-CPU integer pod runs on them; the integer
    ...    pod moves off both live, keeping 4 CPUs.
    The Integer Pod Moves Off The Annotated Cpus    4    2

An Impossible Reallocation Is Refused And Changes Nothing
    [Documentation]    An integer pod runs and an annotated BestEffort pod holds every other CPU;
    ...    another annotated pod on a CPU of the integer pod cannot be admitted by moving it (no
    ...    CPU is left): it is refused with the plugin's message naming the integer container, and
    ...    both pods keep their CPUs.
    ${integer}    Integer Pod    integer-boxed-in    2
    Pods Are Created And Ready    ${integer}
    An Annotated BestEffort Pod Holds The Shared Pool    annotated-filler
    ${before}    Get Cpus Of Pods    integer-boxed-in    annotated-filler
    ${ids}    Container Ids Of    integer-boxed-in
    ${cores}    Lowest Cpus As Text    ${before}[integer-boxed-in]    1
    ${annotated}    Pod Body    annotated-impossible    cores=${cores}    image=${IMAGE}
    Create Pods Together    ${annotated}
    Pod Should Be Refused By The Plugin    annotated-impossible
    ...    message=cannot reallocate conflicting containers: cannot reallocate integer container ${ids}[0]
    ...    timeout=${POD_READY_TIMEOUT}
    Pods Should Keep Their Cpus    ${before}

Exhaustion Is Refused With The Real Free Count
    [Documentation]    With half the CPUs held by an annotated BestEffort pod (the scheduler does not
    ...    count them), an integer pod of one CPU more than is free is refused by the plugin with
    ...    ``need`` its size and ``have`` exactly the CPUs really free.
    ${cores}    The Lower Half Of The Online Cpus
    ${annotated}    Pod Body    annotated-half    cores=${cores}    image=${IMAGE}
    Pods Are Created And Ready    ${annotated}
    ${free}    Real Free Cpus
    ${need}    Evaluate    ${free} + 1
    ${integer}    Integer Pod    integer-too-big    ${need}
    Create Pods Together    ${integer}
    Pod Should Be Refused By The Plugin    integer-too-big
    ...    pattern=.*insufficient free CPUs: need ${need}, have ${free}(?: \\(reserved: \\[[0-9 ]*\\]\\))?
    ...    timeout=${POD_READY_TIMEOUT}

Deleted Pods' Cpus Are Free Again
    [Documentation]    Once annotated and integer pods are deleted and the plugin has handled their
    ...    removal, it reserves none of their CPUs: a new shared pod gets every CPU no pod holds.
    ${cores}    The Lowest Online Cpus    4
    Annotated And Then Integer Pods Run    annotated-released    ${cores}    integer-released    4
    Clean Up Test Pods    grace_period=${CLEANUP_GRACE}    timeout=${RELEASE_TIMEOUT}
    ${leaked}    Cpus Reserved For No Pod
    Cpu Set Should Be    ${leaked}    ${EMPTY}    what=CPUs the plugin reserves for no pod

A Restart Keeps Every Container's Cpus
    [Documentation]    After the plugin restarts and synchronizes, annotated, integer and shared pods
    ...    all keep exactly their CPUs, and the plugin reports no corruption.
    Annotated And Then Integer Pods Run    annotated-restart    0-1    integer-restart    2
    ${shared}    Shared Pod    shared-restart
    Pods Are Created And Ready    ${shared}
    ${before}    Get Cpus Of Pods    annotated-restart    integer-restart    shared-restart
    Restart Plugin    timeout=${RESTART_TIMEOUT}
    Plugin Should Have Synchronized Pods    annotated-restart    integer-restart
    Pods Should Keep Their Cpus    ${before}
    Plugin Log Should Not Report Corruption    since=test
