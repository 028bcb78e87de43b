*** Settings ***
Documentation     The plugin's contract, one independent test per behaviour: classification,
...               annotated, integer and shared CPUs, forbidden CPUs, invalid annotations, memory
...               nodes, live reallocation, exhaustion and restart.
...
...               Every test starts on an idle node and leaves it idle (its pods deleted and
...               released by the plugin), so a defect found by one test does not fail the next.
...               Each test checks requirements of the plugin's own requirements document (its tags
...               ``req:<id>`` name them; the table: [../docs/requirements.md|docs/requirements.md]), not
...               what its code happens to do; where the requirements are silent or ambiguous the test
...               asserts the code's behaviour and its documentation says so. A check of a requirement
...               fails with ``requirement <id> violated: ...``; a test tagged ``deviation:<id>`` checks a
...               known deviation of the upstream plugin, which the release gate waives only while it
...               is listed in resources/accepted-deviations.yaml.
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
    [Tags]    req:2-annotated-pod    req:2-integer-pod    req:2-shared-pod
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
    [Tags]    req:2-annotated-pod    req:3.2-annotated-verbatim
    ${list}    Annotated Pod    annotated-list    0,2,4
    ${ranges}    Annotated Pod    annotated-ranges    8-9,11-12
    Pods Are Created And Ready    ${list}    ${ranges}
    ${sets}    Pods Should Have Their Annotated Cpus    annotated-list    annotated-ranges
    Plugin Should Have Logged The Annotated Allocations    ${sets}

Two Annotated Pods May Share Cpus
    [Documentation]    Annotated pods may overlap (the plugin counts references): both run on 0,2,
    ...    and an integer pod created next gets neither CPU.
    [Tags]    req:3.2-annotated-overlap    req:3.2-integer-avoids-reserved
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
    [Tags]    req:3.2-integer-exclusive    req:3.5-sibling-preference
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
    [Tags]    req:2-shared-pool    req:3.2-shared-admission
    Annotated And Then Integer Pods Run    annotated-held    0-1    integer-held    2
    ${shared}    Shared Pod    shared-pool
    Pods Are Created And Ready    ${shared}
    Pods Should Have The Shared Pool    shared-pool

Running Shared Pods Leave The Cpus Of A New Integer Pod
    [Documentation]    Whenever the reserved CPUs change, every running shared container is updated
    ...    live to the new shared pool, so it never runs on a reserved CPU: a shared pod running
    ...    before an integer pod is admitted must leave that pod's CPUs. The upstream plugin does not
    ...    record a shared container it admits and never updates it (an accepted deviation).
    [Tags]    req:3.2-shared-live-update    req:2-shared-pool    deviation:shared-live-update
    ${shared}    Shared Pod    shared-early
    Pods Are Created And Ready    ${shared}
    ${integer}    Integer Pod    integer-late    2
    Pods Are Created And Ready    ${integer}
    Pods Should Have Exactly Their Requested Cpus    integer-late
    Wait Until Shared Pods Have The Shared Pool    shared-early    after=integer pod integer-late was admitted
    ...    requirement=3.2-shared-live-update    missing_requirement=2-shared-pool    timeout=${SHARED_UPDATE_TIMEOUT}

Shared Pods Met In A Synchronize Follow Every Admission
    [Documentation]    A shared pod the plugin met in a Synchronize (it ran before the restart) must
    ...    shrink with every change of the reserved CPUs: an integer pod admitted, an annotated pod
    ...    admitted, and a live move of the integer pod (its new CPUs). Each change is checked; the
    ...    upstream plugin refreshes such pods only after a removal (an accepted deviation).
    [Tags]    req:3.2-shared-live-update
    ...       req:3.2-shared-corrected-on-register
    ...       req:2-shared-pool
    ...       deviation:shared-live-update
    ${shared}    Shared Pod    shared-synced
    Pods Are Created And Ready    ${shared}
    The Plugin Restarts And Corrects The Shared Pods    shared-synced
    ${integer}    Integer Pod    integer-admitted    2
    The Shared Pods Should Follow The Admission Of    ${integer}    integer pod    shared-synced
    ${cores}    The Two Highest Online Cpus
    ${annotated}    Annotated Pod    annotated-admitted    ${cores}
    The Shared Pods Should Follow The Admission Of    ${annotated}    annotated pod    shared-synced
    ${moved_off}    An Annotated Pod Moves The Integer Pod Off One Cpu    annotated-mover    integer-admitted
    The Shared Pods Should Follow The Change    shared-synced
    ...    after=integer pod integer-admitted was moved live off ${moved_off} for annotated pod annotated-mover

Shared Pods Met In A Synchronize Grow Back After Every Removal
    [Documentation]    A shared pod running before annotated and integer pods were admitted is
    ...    corrected to the shared pool when the plugin restarts (it shrinks), and grows back by
    ...    each pod's CPUs when that pod is removed (to every online CPU at the end).
    [Tags]    req:3.2-shared-live-update    req:3.2-shared-corrected-on-register
    ${shared}    Shared Pod    shared-synced
    Pods Are Created And Ready    ${shared}
    ${cores}    The Two Highest Online Cpus
    Annotated And Then Integer Pods Run    annotated-removed    ${cores}    integer-removed    2
    The Plugin Restarts And Corrects The Shared Pods    shared-synced
    The Shared Pods Grow Back When A Pod Is Removed    integer pod    integer-removed    shared-synced
    The Shared Pods Grow Back When A Pod Is Removed    annotated pod    annotated-removed    shared-synced

Integer And Shared Pods Avoid Their Forbidden Cpus
    [Documentation]    ``weka.io/forbid-core-ids`` keeps an integer pod off 1,3,5 and takes 0,2,4
    ...    out of a shared pod's pool.
    [Tags]    req:3.1-forbid-integer    req:3.1-forbid-shared
    ${integer}    Integer Pod    integer-forbid    2    forbid=1,3,5
    Pods Are Created And Ready    ${integer}
    ${shared}    Shared Pod    shared-forbid    forbid=0,2,4
    Pods Are Created And Ready    ${shared}
    Pods Should Not Use Their Forbidden Cpus    integer-forbid    shared-forbid
    Pods Should Have Exactly Their Requested Cpus    integer-forbid
    Pods Should Have The Shared Pool    shared-forbid

Invalid And Offline Forbidden Cpus Are Ignored
    [Documentation]    A ``weka.io/forbid-core-ids`` that does not parse is ignored with a warning in the
    ...    plugin log and the pod is admitted as if it forbade nothing; a CPU in it that is not online
    ...    is ignored. The requirements name no warning text: any log line with ``warning`` (any case)
    ...    and the value is accepted.
    [Tags]    req:3.1-forbid-invalid-ignored
    ${integer}    Integer Pod    integer-bad-forbid    2    forbid=not-a-number
    Pods Are Created And Ready    ${integer}
    ${reversed}    Shared Pod    shared-bad-forbid    forbid=5-2
    ${offline}    Shared Pod    shared-offline-forbid    forbid=1,999
    Pods Are Created And Ready    ${reversed}    ${offline}
    Pods Should Have Exactly Their Requested Cpus    integer-bad-forbid
    Pods Should Have The Shared Pool    shared-bad-forbid    shared-offline-forbid
    Plugin Log Should Have Line Matching    (?i).*warning.*not-a-number.*
    Plugin Log Should Have Line Matching    (?i).*warning.*5-2.*

A Moved Integer Pod Keeps Avoiding Its Forbidden Cpus
    [Documentation]    Forbidden CPUs are respected when an integer pod is moved live for an annotated
    ...    pod: an integer pod of 2 that may use only three cores is moved off one of its CPUs and
    ...    must stay on those cores. The upstream plugin plans the move without the pod's forbidden
    ...    CPUs (an accepted deviation).
    [Tags]    req:3.1-forbid-on-reallocation    deviation:reallocation-ignores-forbid
    ${allowed}    Three Cores Above The Lowest Online Cpu
    ${online}    Online Cpus
    ${others}    Cpu Set Difference    ${online}    ${allowed}
    ${forbid}    Format Cpu List    ${others}
    ${integer}    Integer Pod    integer-fenced    2    forbid=${forbid}
    Pods Are Created And Ready    ${integer}
    ${cores}    An Annotated Pod Moves The Integer Pod Off One Cpu    annotated-fence    integer-fenced
    Pods Should Have Exactly Their Requested Cpus    integer-fenced
    The Moved Pod Should Stay Off Its Forbidden Cpus    integer-fenced    ${others}    ${cores}

A Shared Pod Keeps Avoiding Its Forbidden Cpus When The Pool Changes
    [Documentation]    When the shared pool changes, each shared container's forbidden CPUs are taken out
    ...    again: a shared pod forbidding 0,2,4, met in a Synchronize, must stay off them after the
    ...    restart and after an integer pod's removal gives CPUs back. The upstream plugin gives
    ...    such pods the global pool (an accepted deviation).
    [Tags]    req:3.1-forbid-on-refresh
    ...       req:3.2-shared-corrected-on-register
    ...       req:3.2-shared-live-update
    ...       deviation:refresh-ignores-forbid
    ${integer}    Integer Pod    integer-refresh    2
    ${shared}    Shared Pod    shared-refresh-forbid    forbid=0,2,4
    Pods Are Created And Ready    ${integer}
    Pods Are Created And Ready    ${shared}
    Restart Plugin    timeout=${RESTART_TIMEOUT}
    Run Keyword And Continue On Failure    Wait Until Shared Pods Have The Shared Pool    shared-refresh-forbid
    ...    after=the restart    requirement=3.2-shared-corrected-on-register
    ...    forbidden_requirement=3.1-forbid-on-refresh    timeout=${SHARED_UPDATE_TIMEOUT}
    Delete Pod And Wait For Its Release    integer-refresh
    Wait Until Shared Pods Have The Shared Pool    shared-refresh-forbid
    ...    after=integer pod integer-refresh was removed    requirement=3.2-shared-live-update
    ...    forbidden_requirement=3.1-forbid-on-refresh    timeout=${SHARED_UPDATE_TIMEOUT}

A Pod Whose Memory Request Is Below Its Limit Is Shared
    [Documentation]    An integer pod needs request = limit for memory as well as for CPU: a pod with
    ...    2 whole CPUs (request = limit) but a memory request below its limit is a shared pod, so on
    ...    an idle node it runs on every online CPU. The upstream plugin checks only that a memory
    ...    limit is set and gives it exclusive CPUs (an accepted deviation).
    [Tags]    req:2-integer-pod    deviation:integer-memory-request-unchecked
    ${burstable}    Pod Body    memory-burstable    cpu=2    memory=32Mi    memory_limit=${CONTRACT_MEMORY}
    ...    image=${IMAGE}
    Pods Are Created And Ready    ${burstable}
    A Pod On An Idle Node Should Have Every Online Cpu    memory-burstable
    ...    2-integer-pod    cpu 2/2 but memory 32Mi/${CONTRACT_MEMORY}: not an integer pod

Annotated Pods Ignore Forbidden Cpus
    [Documentation]    An annotated pod forbidding its own annotated CPUs still gets exactly them.
    [Tags]    req:3.1-forbid-annotated-ignored
    ${cores}    The Lowest Online Cpus    2
    ${annotated}    Annotated Pod    annotated-forbid    ${cores}    forbid=${cores}
    Pods Are Created And Ready    ${annotated}
    Pods Should Have Their Annotated Cpus    annotated-forbid

Invalid Annotations Are Refused With The Plugin's Messages And Reserve Nothing
    [Documentation]    Each invalid ``weka.io/cores-ids`` is refused with the plugin's exact message;
    ...    afterwards one integer pod can have every free CPU (nothing was reserved for them).
    [Tags]    req:3.2-annotated-offline-error    req:6-invalid-annotation-refused
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

An Empty Annotation Is Refused
    [Documentation]    The value of ``weka.io/cores-ids`` is a CPU list, and an invalid annotation is an
    ...    admission error: an empty value must be refused (with any message: the requirements give
    ...    none). The upstream plugin admits it, records no CPU and the container runs on every
    ...    online CPU (an accepted deviation; upstream's own e2e expects a refusal).
    [Tags]    req:2-annotation-cpu-list    req:6-invalid-annotation-refused    deviation:empty-annotation-admitted
    ${annotated}    Annotated Pod    annotated-empty    ${EMPTY}
    Create Pods Together    ${annotated}
    A Pod With An Empty Annotation Should Be Refused    annotated-empty

An Exited Container's Cpus Are Released
    [Documentation]    When a container exits its reservations are released: an integer pod that ran
    ...    to completion (``restartPolicy: Never``, not deleted) holds no CPU, so a shared pod
    ...    created next on the otherwise idle node gets every online CPU. The upstream plugin
    ...    releases on RemoveContainer only, when the pod is deleted (an accepted deviation).
    [Tags]    req:3.4-release-on-exit    deviation:release-on-exit
    ${finished}    Pod Body    integer-exited    cpu=2    memory=${CONTRACT_MEMORY}    command=true    image=${IMAGE}
    Create Pods Together    ${finished}
    Wait Until Pods Have Succeeded    integer-exited    timeout=${POD_READY_TIMEOUT}
    ${shared}    Shared Pod    shared-after-exit
    Pods Are Created And Ready    ${shared}
    A Shared Pod Should Have Every Online Cpu After An Exit    shared-after-exit    integer-exited

A Shared Pod Whose Every Cpu Is Forbidden Is Refused
    [Documentation]    A shared pod whose pool is empty once its forbidden CPUs are taken out is an
    ...    admission error. The requirements name no message; the plugin's own
    ...    (``shared CPU pool is empty``) is asserted, as the code says it.
    [Tags]    req:3.2-shared-empty-error    req:6-shared-pool-exhausted
    ${online}    Online Cpus
    ${all}    Format Cpu List    ${online}
    ${shared}    Shared Pod    shared-all-forbidden    forbid=${all}
    Create Pods Together    ${shared}
    Pod Should Be Refused By The Plugin    shared-all-forbidden    message=shared CPU pool is empty
    ...    timeout=${POD_READY_TIMEOUT}

Memory Nodes Follow The Cpus Of Annotated Pods
    [Documentation]    An annotated pod may use exactly the memory nodes of its CPUs (one node, or
    ...    both when its CPUs span two); integer and shared pods are not restricted.
    [Tags]    req:3.3-annotated-mems    req:3.3-integer-shared-mems
    ${one}    ${span}    One Cpu Of The First Numa Node And One Of Each End
    ${on_one}    Annotated Pod    annotated-one-node    ${one}
    ${on_span}    Annotated Pod    annotated-span    ${span}
    ${integer}    Integer Pod    integer-mems    2
    Pods Are Created And Ready    ${on_one}    ${on_span}
    ${shared}    Shared Pod    shared-mems
    Pods Are Created And Ready    ${integer}    ${shared}
    Pods Should Have The Memory Nodes Of Their Cpus    annotated-one-node    annotated-span
    Pods Should Have Every Memory Node    integer-mems    shared-mems

Live Reallocation Of One Cpu
    [Documentation]    An annotated pod on one CPU of a 2-CPU integer pod runs on it; the integer
    ...    pod moves off it live, keeping 2 CPUs.
    [Tags]    req:3.2-annotated-reallocation    req:3.5-reassignment
    The Integer Pod Moves Off The Annotated Cpus    2    1

Live Reallocation Of Two Cpus
    [Documentation]    An annotated pod on two CPUs of a 4-CPU integer pod runs on them; the integer
    ...    pod moves off both live, keeping 4 CPUs.
    [Tags]    req:3.2-annotated-reallocation    req:3.5-reassignment
    The Integer Pod Moves Off The Annotated Cpus    4    2

An Impossible Reallocation Is Refused And Changes Nothing
    [Documentation]    An integer pod runs and an annotated BestEffort pod holds every other CPU;
    ...    another annotated pod on a CPU of the integer pod cannot be admitted by moving it (no
    ...    CPU is left): it is refused with the plugin's message naming the integer container, and
    ...    both pods keep their CPUs.
    [Tags]    req:3.2-annotated-conflict-error
    ...       req:3.2-transactional
    ...       req:6-insufficient-after-reallocation
    ...       req:6-transaction-failure
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
    [Tags]    req:3.2-integer-error    req:6-insufficient-integer
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
    [Tags]    req:3.4-release-on-exit
    ${cores}    The Lowest Online Cpus    4
    Annotated And Then Integer Pods Run    annotated-released    ${cores}    integer-released    4
    Clean Up Test Pods    grace_period=${CLEANUP_GRACE}    timeout=${RELEASE_TIMEOUT}
    ${leaked}    Cpus Reserved For No Pod
    Cpu Set Should Be    ${leaked}    ${EMPTY}    what=CPUs the plugin reserves for no pod

A Restart Keeps Every Container's Cpus
    [Documentation]    After the plugin restarts and synchronizes, annotated, integer and shared pods
    ...    all keep exactly their CPUs, and the plugin reports no corruption.
    [Tags]    req:3.4-synchronize-rebuild    req:3.2-shared-corrected-on-register
    Annotated And Then Integer Pods Run    annotated-restart    0-1    integer-restart    2
    ${shared}    Shared Pod    shared-restart
    Pods Are Created And Ready    ${shared}
    ${before}    Get Cpus Of Pods    annotated-restart    integer-restart    shared-restart
    Restart Plugin    timeout=${RESTART_TIMEOUT}
    Plugin Should Have Synchronized Pods    annotated-restart    integer-restart
    Pods Should Keep Their Cpus    ${before}
    Plugin Log Should Not Report Corruption    since=test
