"""The verdict table: what every suite must report against every plugin model.

One source for ``test_verdicts.py`` (which runs each suite against each model and enforces
the table) and for ``docs/verdicts.md`` (rendered by :func:`render_markdown`; a test checks
the file equals the rendering). Regenerate the doc with::

    PYTHONPATH=tests/support python tests/robot/verdicts.py > docs/verdicts.md

A verdict on a procedure suite (a chain of steps) is either "every test passes" or "test *step*
fails with a message matching *pattern* (``re.fullmatch``), every earlier test passes, every
later test is skipped naming *step*". The contract suite's tests are independent (no chain):
its verdict is "these tests fail with these messages, every other test passes". Patterns name the CPUs and figures that make the run a failure; where those depend on
the order in which the simulated node admits pods created together, the pattern allows each
possible order and a *check* ties the figures together (counts equal list lengths, the plugin's
figure is below the real one...), so a pattern never degenerates into "anything".
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]

from CpusetLibrary.cpusets import parse_cpu_list
from measured_binaries import LINES as MEASURED_BINARIES
from suite_steps import (DAEMONSET_STATE_CORRUPTION, DAEMONSET_STATE_CORRUPTION_STEPS,
                         RELOCATE_CPU, RELOCATE_CPU_STEPS, STATE_CORRUPTION, STATE_CORRUPTION_STEPS)

CPUS = r"\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*"
"""A Linux CPU list (``0-14,30``)."""
CID = r"[0-9a-f]{12}"
"""A short container ID."""

Check = Callable[[re.Match[str]], str | None]
"""Returns a problem (a sentence) or None."""


@dataclass(frozen=True)
class Suite:
    key: str
    path: str
    tests: tuple[str, ...]
    chain: bool = True  # a step after a failed step is skipped; False: independent tests
    variables: tuple[str, ...] = ()  # robot --variable NAME:value for every run of this suite


@dataclass(frozen=True)
class Failure:
    step: str
    pattern: str
    example: str  # a message observed in a real run; must match ``pattern``
    checks: tuple[Check, ...] = ()
    #: the accepted deviation (resources/accepted-deviations.yaml) the release gate waives this
    #: failure as; "" = a defect, which fails the gate (test_verdicts checks the gate agrees)
    deviation: str = ""


@dataclass(frozen=True)
class Verdict:
    """``failure``: the failing step of a chain suite. ``failures``: the failing tests of a suite
    of independent tests (every other test passes); give one or the other."""

    model: str
    suite: str
    failure: Failure | None
    why: str
    variables: tuple[str, ...] = ()  # extra robot --variable NAME:value for this run
    failures: tuple[Failure, ...] = ()

    @property
    def all_failures(self) -> tuple[Failure, ...]:
        return (self.failure,) if self.failure is not None else self.failures


@dataclass(frozen=True)
class Expected:
    test: str
    status: str  # PASS, FAIL or SKIP
    message: str | None = None  # regex (fullmatch); None: any message
    checks: tuple[Check, ...] = field(default=())


T_CLASSIFIED = "Pods Are Classified By Their Annotation And Resources"
T_LISTS = "Annotated Pods Get Exactly Their Cpus, Lists And Ranges"
T_SHARE = "Two Annotated Pods May Share Cpus"
T_INTEGER = "Integer Pods Get Exclusive Sibling-Aware Cpus"
T_POOL = "Shared Pods Get Exactly The Shared Pool"
T_EXISTING_SHARED = "Running Shared Pods Leave The Cpus Of A New Integer Pod"
T_SYNC_ADMISSIONS = "Shared Pods Met In A Synchronize Follow Every Admission"
T_SYNC_REMOVALS = "Shared Pods Met In A Synchronize Grow Back After Every Removal"
T_FORBID = "Integer And Shared Pods Avoid Their Forbidden Cpus"
T_BAD_FORBID = "Invalid And Offline Forbidden Cpus Are Ignored"
T_MOVED_FORBID = "A Moved Integer Pod Keeps Avoiding Its Forbidden Cpus"
T_FORBID_REFRESH = "A Shared Pod Keeps Avoiding Its Forbidden Cpus When The Pool Changes"
T_MEMORY_REQUEST = "A Pod Whose Memory Request Is Below Its Limit Is Shared"
T_ANNOTATED_FORBID = "Annotated Pods Ignore Forbidden Cpus"
T_INVALID = "Invalid Annotations Are Refused With The Plugin's Messages And Reserve Nothing"
T_EMPTY = "An Empty Annotation Is Refused"
T_EXITED = "An Exited Container's Cpus Are Released"
T_ALL_FORBIDDEN = "A Shared Pod Whose Every Cpu Is Forbidden Is Refused"
T_MEMS = "Memory Nodes Follow The Cpus Of Annotated Pods"
T_MOVE_ONE = "Live Reallocation Of One Cpu"
T_MOVE_TWO = "Live Reallocation Of Two Cpus"
T_IMPOSSIBLE = "An Impossible Reallocation Is Refused And Changes Nothing"
T_EXHAUSTION = "Exhaustion Is Refused With The Real Free Count"
T_RELEASED = "Deleted Pods' Cpus Are Free Again"
T_RESTART = "A Restart Keeps Every Container's Cpus"
#: short names of the contract's tests in the table (the doc lists them)
LABELS = {T_CLASSIFIED: "classes", T_LISTS: "annotated", T_SHARE: "sharing", T_INTEGER: "integer", T_POOL: "pool",
          T_EXISTING_SHARED: "running shared", T_SYNC_ADMISSIONS: "synced shared admissions",
          T_SYNC_REMOVALS: "synced shared removals", T_FORBID: "forbid", T_BAD_FORBID: "bad forbid",
          T_MOVED_FORBID: "moved forbid", T_FORBID_REFRESH: "forbid refresh", T_MEMORY_REQUEST: "memory request", T_ANNOTATED_FORBID: "annotated forbid",
          T_INVALID: "invalid", T_EMPTY: "empty annotation", T_EXITED: "exited",
          T_ALL_FORBIDDEN: "all forbidden", T_MEMS: "mems", T_MOVE_ONE: "move 1", T_MOVE_TWO: "move 2",
          T_IMPOSSIBLE: "impossible move", T_EXHAUSTION: "exhaustion", T_RELEASED: "released", T_RESTART: "restart"}
CONTRACT_TESTS = (T_CLASSIFIED, T_LISTS, T_SHARE, T_INTEGER, T_POOL, T_EXISTING_SHARED, T_SYNC_ADMISSIONS,
                  T_SYNC_REMOVALS, T_FORBID, T_BAD_FORBID, T_MOVED_FORBID, T_FORBID_REFRESH, T_MEMORY_REQUEST, T_ANNOTATED_FORBID,
                  T_INVALID, T_EMPTY, T_EXITED, T_ALL_FORBIDDEN, T_MEMS, T_MOVE_ONE, T_MOVE_TWO, T_IMPOSSIBLE,
                  T_EXHAUSTION, T_RELEASED, T_RESTART)

#: the DaemonSet procedures reach the plugin through its pod, as on a real DaemonSet node
DAEMONSET_VARIABLES = ("NODE_ACCESS:daemonset",)

#: the manual's scenario needs a plugin shutdown that outlasts kubelet's CreateContainer timeout
#: (the simulator's README: containerd name reservation); with the fast profile alone the new
#: pods never meet the silent plugin
NAME_RESERVATION_LATENCIES = "SIM_LATENCIES:plugin_shutdown=1.5,runtime_request_timeout=0.4,image_pull=0.5"

#: exit-on-removal-burst's burst lasts until the runtime applies the plugin's update
#: (``update_apply``, 0.3 s on the fast profile): where a procedure's verdict hinges on two removals
#: a few hundred milliseconds apart, a 2 s window makes it independent of the machine's speed
BURST_WINDOW = ("SIM_LATENCIES:update_apply=2",)

MULTI_NODE = ("SIM_NODES:3",)
"""The multi-node procedures run on a 3-node simulated cluster."""

SUITES: dict[str, Suite] = {
    s.key: s for s in (
        Suite("ten-step", STATE_CORRUPTION, STATE_CORRUPTION_STEPS),
        Suite("race", "suites/annotated_reallocation_race.robot", (
            "Step 01 Environment Setup",
            "Step 02 Create Integer Pods",
            "Step 03 Create Two Conflicting Annotated Pods Back To Back",
            "Step 04 Verify The Integer Pods Moved",
            "Step 05 Fill The Free CPUs",
            "Step 06 Delete The Annotated Pods",
            "Step 07 Verify The Released CPUs Are Allocatable Again",
        )),
        Suite("contract", "suites/plugin_contract.robot", CONTRACT_TESTS, chain=False),
        Suite("crash-fix", "suites/plugin_crash_fix.robot", (
            "Step 01 Check Initial Plugin Status",
            "Step 02 Create Short-Lived Pods With Mixed Resource Patterns",
            "Step 03 Let The Pods Complete Naturally",
            "Step 04 Create The Stress Pods",
            "Step 05 Force Delete The Stress Pods Together",
            "Step 06 Verify The Plugin Stayed Up",
            "Step 07 Delete The Finished Pods",
            "Step 08 Verify Their CPUs Can Be Allocated Again",
        ), variables=DAEMONSET_VARIABLES),
        Suite("name-reservation", "suites/containerd_name_reservation_crash.robot", (
            "Step 01 Identify Current State",
            "Step 02 Create Pods While The Plugin Pod Is Deleted",
            "Step 03 Verify Every Test Pod Runs On Its CPU",
            "Step 04 Verify The Name Reservation Errors Did Not Persist",
        ), variables=(*DAEMONSET_VARIABLES, NAME_RESERVATION_LATENCIES)),
        Suite("relocate", RELOCATE_CPU, RELOCATE_CPU_STEPS, variables=MULTI_NODE),
        Suite("ds-state", DAEMONSET_STATE_CORRUPTION, DAEMONSET_STATE_CORRUPTION_STEPS, variables=MULTI_NODE),
    )
}

#: the single-node procedures of the manual catalog: their own table (README and docs/verdicts.md)
SINGLE_NODE_CATALOG = ("invalid", "sibling", "impossible", "conflicts")
SUITES.update({s.key: s for s in (
    Suite("invalid", "suites/invalid_annotation_test.robot", (
        "Step 01 Create Test Namespace",
        "Step 02 Create Pod With Invalid Cpu Annotation",
        "Step 03 Monitor Pod Status And Plugin Logs",
        "Step 04 Test With Malformed Annotations",
        "Step 05 Verify Expected Failures",
        "Step 06 Cleanup",
    )),
    Suite("sibling", "suites/sibling_core_allocation_test.robot", (
        "Step 01 Environment Setup",
        "Step 02 Create Integer Pod Requesting 2 Cpus",
        "Step 03 Verify Cpu Assignment",
        "Step 04 Parse And Count Cpus",
        "Step 05 Verify Sibling Core Relationship",
        "Step 06 Plugin Logs Analysis",
        "Step 07 Success Criteria Validation",
    )),
    Suite("impossible", "suites/impossible_reallocation_test.robot", (
        "Step 01 Environment Setup",
        "Step 02 Calculate Resource Exhaustion Strategy",
        "Step 03 Create Multiple Integer Pods To Exhaust Resources",
        "Step 04 Wait For Integer Pods To Be Ready",
        "Step 05 Identify Cpu Assignment For Conflict Creation",
        "Step 06 Create Annotated Pod That Conflicts",
        "Step 07 Monitor Annotated Pod Behavior",
        "Step 08 Analyze Pod Status And Plugin Behavior",
        "Step 09 Exhaust The Last Free Cpus",
        "Step 10 Create An Annotated Pod Whose Conflict Cannot Move",
        "Step 11 Verify The Impossible Reallocation Is Refused",
        "Step 12 Verify Plugin Health",
    )),
    Suite("conflicts", "suites/multiple_cpu_conflicts.robot", (
        "Step 01 Environment Setup",
        "Step 02 Create Integer Pod With 4 Cpus",
        "Step 03 Get Integer Pod's Cpu Assignment",
        "Step 04 Extract Conflicting Cpus For Annotation",
        "Step 05 Create Annotated Pod With Conflicting Cpus",
        "Step 06 Monitor Plugin Logs During Conflict Resolution",
        "Step 07 Verify Final Cpu Assignments",
        "Step 08 Plugin Health And Logs Analysis",
    )),
)})

CUSTOM_MODEL = "my_models:IntegerLeakOnRemove"
"""A user's model from tests/robot/custom_model/ (on PYTHONPATH), plugged in by module:Class."""
CUSTOM_MODEL_PATH = ROOT / "tests" / "robot" / "custom_model"


# ---- checks: figures in a message that must agree with each other -------------------------

def _cpus(text: str) -> frozenset[int]:
    return parse_cpu_list(text)


def list_has_count(list_group: str, count_group: str) -> Check:
    """The CPU list in ``list_group`` has exactly ``count_group`` CPUs."""
    def check(m: re.Match[str]) -> str | None:
        cpus, count = _cpus(m[list_group]), int(m[count_group])
        return None if len(cpus) == count else f"{m[list_group]} is {len(cpus)} CPUs, the message says {count}"
    return check


def refusal_is_wrong(need: str = "need", have: str = "have", free: str = "free") -> Check:
    """The plugin said ``have < need`` while ``free >= need`` CPUs were really free."""
    def check(m: re.Match[str]) -> str | None:
        n, h, f = int(m[need]), int(m[have]), int(m[free])
        return None if h < n <= f else f"need {n}, have {h}, really free {f}: not an accounting corruption"
    return check


def grant_is_annotation_plus_one(prefix: str) -> Check:
    """``<prefix>_has`` is ``<prefix>_ann`` plus exactly the CPU ``<prefix>_extra``."""
    def check(m: re.Match[str]) -> str | None:
        has, ann, extra = _cpus(m[f"{prefix}_has"]), _cpus(m[f"{prefix}_ann"]), int(m[f"{prefix}_extra"])
        if extra in ann or has != ann | {extra}:
            return f"{prefix}: has {m[f'{prefix}_has']} is not annotation {m[f'{prefix}_ann']} plus {extra}"
        return None
    return check


def one_more_than_requested(*prefixes: str) -> tuple[Check, ...]:
    def more(prefix: str) -> Check:
        def check(m: re.Match[str]) -> str | None:
            got, want = int(m[f"{prefix}_n"]), int(m[f"{prefix}_req"])
            return None if got == want + 1 else f"{prefix}: {got} CPUs for {want} requested is not one too many"
        return check
    return tuple(c for p in prefixes for c in (list_has_count(f"{p}_list", f"{p}_n"), more(p)))


def need_of_pod(requests: dict[str, int]) -> Check:
    """The refused pod's ``need`` is what that pod requests."""
    def check(m: re.Match[str]) -> str | None:
        want = requests[m["pod"]]
        return None if int(m["need"]) == want else f"{m['pod']} requests {want}, the message says need {m['need']}"
    return check


def distinct(a: str, b: str) -> Check:
    def check(m: re.Match[str]) -> str | None:
        return None if m[a] != m[b] else f"the same pod {m[a]} named twice"
    return check


# ---- the contract suite's failures --------------------------------------------------------

#: the contract runs on a 2-NUMA simulated node (memory-node behaviour is visible only there)
CONTRACT_VARIABLES = ("SIM_NUMA_NODES:2",)


def cpu_count(group: str, count: int) -> Check:
    """The CPU list in ``group`` has ``count`` CPUs."""
    def check(m: re.Match[str]) -> str | None:
        n = len(_cpus(m[group]))
        return None if n == count else f"{m[group]} is {n} CPUs, expected {count}"
    return check


def union_is(whole: str, *parts: str) -> Check:
    """The CPU list ``whole`` is the union of the lists ``parts``."""
    def check(m: re.Match[str]) -> str | None:
        union = frozenset().union(*(_cpus(m[p]) for p in parts))
        return None if _cpus(m[whole]) == union else f"{m[whole]} is not the union of {[m[p] for p in parts]}"
    return check


def difference_is(whole: str, minus: str, rest: str) -> Check:
    """The CPU list ``rest`` is ``whole`` without ``minus``."""
    def check(m: re.Match[str]) -> str | None:
        ok = _cpus(m[rest]) == _cpus(m[whole]) - _cpus(m[minus]) and _cpus(m[minus]) <= _cpus(m[whole])
        return None if ok else f"{m[rest]} is not {m[whole]} without {m[minus]}"
    return check


def _shared_extra(pod: str, prefix: str) -> str:
    return (rf"{pod} has (?P<{prefix}_has>{CPUS}), the shared pool is (?P<{prefix}_pool>{CPUS}): "
            rf"extra (?P<{prefix}_extra>{CPUS}) \(integer\)")


def _exhaustion_mismatch(need: int, have: int, expected_need: int, expected_have: int) -> str:
    pattern = (rf".*insufficient free CPUs: need {expected_need}, have {expected_have}"
               r"(?: \(reserved: \[[0-9 ]*\]\))?")
    return (r"pod integer-too-big was refused with 'failed to allocate CPUs: failed to allocate exclusive CPUs "
            rf"\(avoiding forbidden cores\): insufficient free CPUs: need {need}, have {have} "
            rf"\(reserved: \[[0-9 ]+\]\)', which does not match '{re.escape(pattern)}'")


def partition_of(whole: str, *parts: str) -> Check:
    """The CPU lists ``parts`` are disjoint and together are exactly ``whole`` (a CPU list)."""
    def check(m: re.Match[str]) -> str | None:
        sets = [_cpus(m[p]) for p in parts]
        joined = frozenset().union(*sets)
        ok = joined == _cpus(whole) and sum(map(len, sets)) == len(joined)
        return None if ok else f"{[m[p] for p in parts]} do not partition {whole}"
    return check


def within(group: str, cpus: str) -> Check:
    """The CPU list in ``group`` is part of ``cpus`` (a CPU list)."""
    def check(m: re.Match[str]) -> str | None:
        return None if _cpus(m[group]) <= _cpus(cpus) else f"{m[group]} is not within {cpus}"
    return check


_LIVE = r"requirement 3\.2-shared-live-update violated: 5 s after "


def _shared_on(pod: str, reserved: str, prefix: str) -> str:
    """``shared pod P has H, the shared pool is S: runs on R, reserved for <reserved>``."""
    return (rf"shared pod {pod} has (?P<{prefix}_has>{CPUS}), the shared pool is (?P<{prefix}_pool>{CPUS}): runs "
            rf"on (?P<{prefix}_on>{CPUS}), reserved for {reserved}")


def _head_deviations(granted: int = 2) -> tuple[Failure, ...]:
    """The contract tests the upstream plugin (the head model) fails, each an accepted deviation of
    resources/accepted-deviations.yaml; ``granted``: how many CPUs the model gives a 2-CPU integer pod.
    Every model built on head fails them the same way unless its row says otherwise
    (``contract(..., without=...)`` or a failure of its own for the test)."""
    return (
        Failure(T_EXISTING_SHARED,
                _LIVE + "integer pod integer-late was admitted: "
                + _shared_on("shared-early", rf"integer pod integer-late \((?P=a_on)\)", "a"),
                "requirement 3.2-shared-live-update violated: 5 s after integer pod integer-late was admitted: shared pod "
                "shared-early has 0-63, the shared pool is 0,2-32,34-63: runs on 1,33, reserved for integer pod "
                "integer-late (1,33)",
                (partition_of("0-63", "a_pool", "a_on"), cpu_count("a_on", 2)), deviation="shared-live-update"),
        Failure(T_SYNC_ADMISSIONS,
                r"Several failures occurred:\n\n1\) " + _LIVE + "integer pod integer-admitted was admitted: "
                + _shared_on("shared-synced", rf"integer pod integer-admitted \((?P=a_on)\)", "a")
                + r"\n\n2\) " + _LIVE + "annotated pod annotated-admitted was admitted: "
                + _shared_on("shared-synced", rf"annotated pod annotated-admitted \((?P<ann>{CPUS})\), integer pod "
                             rf"integer-admitted \((?P=a_on)\)", "b")
                + r"\n\n3\) " + _LIVE + r"integer pod integer-admitted was moved live off (?P<off>\d+) for annotated "
                r"pod annotated-mover: "
                + _shared_on("shared-synced", rf"annotated pod annotated-admitted \((?P=ann)\), annotated pod "
                             rf"annotated-mover \((?P=off)\), integer pod integer-admitted \((?P<moved>{CPUS})\)", "c"),
                "Several failures occurred:\n\n1) requirement 3.2-shared-live-update violated: 5 s after integer "
                "pod integer-admitted was admitted: shared pod shared-synced has 0-63, the shared pool is 0,2-32,34-63: "
                "runs on 1,33, reserved for integer pod integer-admitted (1,33)\n\n2) requirement "
                "3.2-shared-live-update violated: 5 s after annotated pod annotated-admitted was admitted: shared pod "
                "shared-synced has 0-63, the shared pool is 0,2-32,34-61: runs on 1,33,62-63, reserved for annotated "
                "pod annotated-admitted (62-63), integer pod integer-admitted (1,33)\n\n3) requirement "
                "3.2-shared-live-update violated: 5 s after integer pod integer-admitted was moved live off 1 for "
                "annotated pod annotated-mover: shared pod shared-synced has 0-63, the shared pool is "
                "0,2-29,31-32,34-61: runs on 1,30,33,62-63, reserved for annotated pod annotated-admitted (62-63), "
                "annotated pod annotated-mover (1), integer pod integer-admitted (30,33)",
                (partition_of("0-63", "a_pool", "a_on"), partition_of("0-63", "b_pool", "b_on"),
                 partition_of("0-63", "c_pool", "c_on"), cpu_count("a_on", granted), cpu_count("moved", granted),
                 cpu_count("ann", 2)),
                deviation="shared-live-update"),
        Failure(T_MOVED_FORBID,
                rf"requirement 3\.1-forbid-on-reallocation violated: integer pod integer-fenced, moved live off \d+, runs "
                rf"on (?P<has>{CPUS}), of which (?P<bad>{CPUS}) are its forbidden CPUs",
                "requirement 3.1-forbid-on-reallocation violated: integer pod integer-fenced, moved live off 1, runs on "
                "32-33, of which 32 are its forbidden CPUs", (cpu_count("has", 2),), deviation="reallocation-ignores-forbid"),
        Failure(T_FORBID_REFRESH,
                r"Several failures occurred:\n\n1\) requirement 3\.1-forbid-on-refresh violated: 5 s after the restart: "
                rf"shared pod shared-refresh-forbid has (?P<a_has>{CPUS}), the shared pool is (?P<a_pool>{CPUS}): runs on "
                rf"its forbidden CPUs (?P<a_bad>{CPUS})\n\n2\) requirement 3\.1-forbid-on-refresh violated: 5 s after integer pod "
                rf"integer-refresh was removed: shared pod shared-refresh-forbid has 0-63, the shared pool is "
                rf"(?P<b_pool>{CPUS}): runs on its forbidden CPUs 0,2,4",
                "Several failures occurred:\n\n1) requirement 3.1-forbid-on-refresh violated: 5 s after the restart: "
                "shared pod shared-refresh-forbid has 0,2-32,34-63, the shared pool is 3,5-32,34-63: runs on its "
                "forbidden CPUs 0,2,4\n\n2) requirement 3.1-forbid-on-refresh violated: 5 s after integer pod "
                "integer-refresh was removed: shared pod shared-refresh-forbid has 0-63, the shared pool is 1,3,5-63: "
                "runs on its forbidden CPUs 0,2,4", (difference_is("a_has", "a_bad", "a_pool"), within("a_bad", "0,2,4")),
                deviation="refresh-ignores-forbid"),
        Failure(T_MEMORY_REQUEST,
                rf"requirement 2-integer-pod violated: pod memory-burstable \(cpu 2/2 but memory 32Mi/64Mi: not an integer "
                rf"pod\) runs on (?P<has>{CPUS}), not on the shared pool 0-63",
                "requirement 2-integer-pod violated: pod memory-burstable (cpu 2/2 but memory 32Mi/64Mi: not an integer "
                "pod) runs on 1,33, not on the shared pool 0-63", (cpu_count("has", granted),),
                deviation="integer-memory-request-unchecked"),
        Failure(T_EMPTY,
                r"requirement 2-annotation-cpu-list violated: pod annotated-empty with an empty weka\.io/cores-ids \(not "
                r"a CPU list\) was admitted and runs on 0-63",
                "requirement 2-annotation-cpu-list violated: pod annotated-empty with an empty weka.io/cores-ids (not a CPU "
                "list) was admitted and runs on 0-63", deviation="empty-annotation-admitted"),
        Failure(T_EXITED,
                rf"requirement 3\.4-release-on-exit violated: pod integer-exited ended \(Succeeded\) but CPUs "
                rf"(?P<kept>{CPUS}) stay reserved: shared pod shared-after-exit, created next on an otherwise idle node, "
                rf"runs on (?P<has>{CPUS})",
                "requirement 3.4-release-on-exit violated: pod integer-exited ended (Succeeded) but CPUs 1,33 stay "
                "reserved: shared pod shared-after-exit, created next on an otherwise idle node, runs on 0,2-32,34-63",
                (partition_of("0-63", "kept", "has"), cpu_count("kept", granted)), deviation="release-on-exit"),
    )


HEAD_DEVIATIONS = _head_deviations()


def _literal(step: str, message: str) -> Failure:
    """A defect whose message is fixed (one integer pod on an idle node: its CPUs do not vary)."""
    return Failure(step, re.escape(message), message)


#: a shared pod that forbids 0,2,4 is given the CPUs of an integer pod the restarted plugin forgot
FORGOTTEN_INTEGER_REFRESH = (
    "Several failures occurred:\n\n1) requirements 3.1-forbid-on-refresh, 3.2-shared-corrected-on-register violated: "
    "5 s after the restart: shared pod shared-refresh-forbid has 0-63, the shared pool is 3,5-32,34-63: runs on 1,33, "
    "reserved for integer pod integer-refresh (1,33); runs on its forbidden CPUs 0,2,4\n\n2) requirement "
    "3.1-forbid-on-refresh violated: 5 s after integer pod integer-refresh was removed: shared pod "
    "shared-refresh-forbid has 0-63, the shared pool is 1,3,5-63: runs on its forbidden CPUs 0,2,4")
#: ... and does not get back the CPUs of an integer pod whose release the plugin leaked
LEAKED_INTEGER_REFRESH = (
    "Several failures occurred:\n\n1) requirement 3.1-forbid-on-refresh violated: 5 s after the restart: shared pod "
    "shared-refresh-forbid has 0,2-32,34-63, the shared pool is 3,5-32,34-63: runs on its forbidden CPUs 0,2,4\n\n"
    "2) requirements 3.1-forbid-on-refresh, 3.2-shared-live-update violated: 5 s after integer pod integer-refresh "
    "was removed: shared pod shared-refresh-forbid has 0,2-32,34-63, the shared pool is 1,3,5-63: runs on its "
    "forbidden CPUs 0,2,4; lacks 1,33 of the shared pool")


def _as_observed(failures: tuple[Failure, ...], examples: dict[str, str]) -> tuple[Failure, ...]:
    """``failures`` with the messages a model's run showed as their examples."""
    return tuple(replace(f, example=examples.get(f.step, f.example)) for f in failures)


def contract(model: str, why: str, *failures: Failure, variables: tuple[str, ...] = (),
             without: tuple[str, ...] = (), deviations: tuple[Failure, ...] = ()) -> Verdict:
    """The model's contract verdict: its own ``failures`` plus every head deviation it shares (all of
    them except those of the tests in ``without`` or failing otherwise in ``failures``); ``deviations``:
    the head deviations as this model shows them (default ``HEAD_DEVIATIONS``)."""
    own = {f.step for f in failures} | set(without)
    shared = tuple(f for f in deviations or HEAD_DEVIATIONS if f.step not in own)
    ordered = sorted(failures + shared, key=lambda f: CONTRACT_TESTS.index(f.step))
    return Verdict(model, "contract", None, why, CONTRACT_VARIABLES + variables, tuple(ordered))



def _teardown_leak(cpus: str, owners: str, body: str = "") -> tuple[str, str]:
    """(pattern, example) of a contract test whose teardown found the plugin still reserving
    ``cpus`` of the test's deleted pods (``owners``: what the failure says they were granted to),
    after a body failure ``body`` (a plain message) when given."""
    text = (f"the plugin leaked CPUs {cpus}: it still reserved them after the test's pods were deleted and "
            f"released (granted to {owners}); restarted it for the next test")
    prefix = f"{body}\n\nAlso teardown failed:\n" if body else "Teardown failed:\n"
    return re.escape(prefix + text), prefix + text


def _leaks(*tests: tuple[str, str, str]) -> tuple[Failure, ...]:
    return tuple(Failure(test, *_teardown_leak(cpus, owners)) for test, cpus, owners in tests)


#: a contract test during which the plugin exited (exit code 0, as upstream's reported crash) and
#: kubelet restarted it: the teardown names the restart, the exit and the removal it died in
_BURST_RESTART = (r"Teardown failed:\nthe plugin restarted (?P<n>\d+) times during the test, (?P<asked>[01]) of them "
                  r"asked for by the test; pod weka-nri-cpuset-\w{5} restartCount (?P<before>\d+) -> (?P<after>\d+), "
                  r"its container last ended with exit code 0 \(Completed\); the last plugin log lines before it: "
                  r".*Removing container weka-container from pod plugin-contract-\w+/(?P<pod>[\w-]+)")
_BURST_EXAMPLE = ("Teardown failed:\nthe plugin restarted 1 times during the test, 0 of them asked for by the test; pod "
                  "weka-nri-cpuset-5qtdq restartCount 10 -> 11, its container last ended with exit code 0 (Completed); "
                  "the last plugin log lines before it: DEBUG: RemoveContainer 863a2ef2a95c complete (after removal: "
                  "intOwner=0 entries, annotRef=0 entries) | DEBUG: RemoveContainer() completed successfully, releasing "
                  "global allocation lock | Removing container weka-container from pod "
                  "plugin-contract-c75ff8c0/release-probe")


def _unasked_restart(died_in: str) -> str:
    """A step's teardown naming a restart the step did not ask for, the plugin dying in the
    removal of a container of the pod ``died_in`` (a regular expression)."""
    return _BURST_RESTART.replace(r"plugin-contract-\w+/(?P<pod>[\w-]+)", died_in)


def _integer_leak(*pods: str, group: str = "leak") -> str:
    """A contract test's teardown naming leaked CPUs of integer ``pods`` (all of them, or one: an
    integer pod's grant depends on the order the node admits pods created together)."""
    owners = ", ".join(rf"(?:{CPUS}) of pod {pod}" for pod in pods)
    return (rf"Teardown failed:\nthe plugin leaked CPUs (?P<{group}>{CPUS}): it still reserved them after the test's "
            rf"pods were deleted and released \(granted to (?:{owners}|(?:{CPUS}) of pod (?:"
            + "|".join(pods) + r"))\); restarted it for the next test")


def _also_teardown(body: Failure, teardown: Failure) -> Failure:
    """A test that failed in its body (``body``) and then in its teardown (``teardown``, a
    ``Teardown failed:`` failure): robot joins the two messages. Never an accepted deviation (the
    gate waives no teardown failure)."""
    head_pattern, head_example = r"Teardown failed:\n", "Teardown failed:\n"
    assert teardown.pattern.startswith(head_pattern) and teardown.example.startswith(head_example)
    return Failure(body.step, body.pattern + r"\n\nAlso teardown failed:\n" + teardown.pattern[len(head_pattern):],
                   body.example + "\n\nAlso teardown failed:\n" + teardown.example[len(head_example):],
                   body.checks + teardown.checks)


def _burst_restart(test: str) -> Failure:
    """A contract test during which exit-on-removal-burst's plugin exited in the teardown's removals;
    a head deviation test also fails its body as on head."""
    restart = Failure(test, _BURST_RESTART, _BURST_EXAMPLE, (restarts_unasked,))
    body = next((f for f in HEAD_DEVIATIONS if f.step == test), None)
    return restart if body is None else _also_teardown(body, restart)


#: a contract teardown that found the plugin still reserving CPUs after the test's pods went
_ANY_LEAK = (rf"Teardown failed:\nthe plugin leaked CPUs (?:{CPUS}): it still reserved them after the test's pods "
             rf"were deleted and released \((?:granted to (?:{CPUS}) of pod [\w-]+(?:, (?:{CPUS}) of pod [\w-]+)*|"
             rf"no grant of this test's pods names them)\); restarted it for the next test")


def _leaky(test: str, example_leak: str, body: Failure | None = None) -> Failure:
    """A contract test of a leaking model: its teardown names the leak (``example_leak``: the
    CPUs-and-owners part of an observed message); its body fails with ``body`` when given, else as
    on head when the test is one of head's deviations, else not at all."""
    teardown = Failure(test, _ANY_LEAK, "Teardown failed:\nthe plugin leaked CPUs " + example_leak
                       + "; restarted it for the next test")
    body = body or next((f for f in HEAD_DEVIATIONS if f.step == test), None)
    return teardown if body is None else _also_teardown(body, teardown)


def restarts_unasked(match: re.Match[str]) -> str | None:
    """The restarts the test did not ask for are the ones the pod's restartCount gained."""
    gained = int(match["after"]) - int(match["before"])
    unasked = int(match["n"]) - int(match["asked"])
    return None if gained >= unasked >= 1 else (
        f"restartCount gained {gained}, but {unasked} restarts are said to be unasked")

# ---- message patterns ---------------------------------------------------------------------

def _too_many(pod: str, requested: int, prefix: str) -> str:
    return (rf"{pod} has (?P<{prefix}_n>\d+) CPUs \((?P<{prefix}_list>{CPUS})\), "
            rf"requested (?P<{prefix}_req>{requested})")


def _plus_one(pod: str, annotation: str, prefix: str) -> str:
    return (rf"{pod} has (?P<{prefix}_has>{CPUS}) but annotation '(?P<{prefix}_ann>{annotation})' "
            rf"is {annotation}; extra (?P<{prefix}_extra>\d+)")


_ACCOUNTING = (
    r"accounting corruption: plugin refused pod {pod} "
    r"with 'need {need}, have (?P<have>\d+)' but (?P<free>\d+) CPUs are really free "
    r"\(64 online; .*really free (?P=free)\); the plugin reserves (?P<reserved>" + CPUS + r") "
    r"\((?P<nreserved>\d+) CPUs\); leaked CPUs \(reserved but held by no container\): "
    r"(?P<leaked>{leaked}) \((?P<nleaked>{nleaked})\)"
)


def accounting(pod: str, need: str, leaked: str = CPUS, nleaked: str = r"\d+") -> str:
    return (_ACCOUNTING.replace("{pod}", pod).replace("{need}", need)
            .replace("{leaked}", leaked).replace("{nleaked}", nleaked))


ACCOUNTING_CHECKS: tuple[Check, ...] = (
    refusal_is_wrong(), list_has_count("leaked", "nleaked"), list_has_count("reserved", "nreserved"),
)

TEN_STEP_INTEGER = "integer-(?:compute-1|compute-2|drive-1)"
#: PRE builds write no end-of-sync line; the restart wait uses the line they write at its start
PRE_VARIABLES = ("PLUGIN_SYNC_LINE:Synchronizing state with",)

def _relocate_lines_missing() -> str:
    """Step 06 of relocate-cpu on a plugin that writes other reallocation lines than HEAD."""
    node = r"sim-node-[123]: plugin log lacks " + " \\| ".join((
        rf"'DEBUG: Conflicts detected for annotated container {CID}, attempting reallocation'",
        rf"'DEBUG: Found conflicting integer container {CID} on CPU 1'",
        rf"'DEBUG: Found conflicting integer container {CID} on CPU 33'",
        rf"'DEBUG: Successfully planned reallocation of 1 containers for annotated container {CID}'",
        rf"'DEBUG: Queuing 1 reallocation updates for annotated container {CID}'"))
    return "plugin log wrong: " + "; ".join([node] * 3)


def _relocate_split(node: str) -> str:
    return (rf"{node}: integer-test-ds-\w{{5}} moved from 1,33 to 0,2, not whole cores "
            r"\(0: siblings 0,32, 2: siblings 2,34\), although the node had whole free cores")


RELOCATE_PASS = {
    "head": "every node moves its integer pod onto another whole core and logs it",
    "leak-on-remove": "the procedure deletes nothing, so a leak on removal is not exercised",
    "integer-shared-cpu": "each node runs one integer pod, so no second integer pod can share its CPU",
    "restart-forgets-integer": "the procedure never restarts the plugin",
    "annotated-plus-one": "the annotated pods always conflict with the integer pod, so they are admitted "
                          "by reallocation, where the model adds no CPU: a known blind spot",
    "shared-includes-integer": "no shared container is created while integer CPUs are held",
    "forbid-ignored": "no pod carries weka.io/forbid-core-ids",
    "annotated-mems-missing": "one NUMA node, and annotated pods admitted by reallocation get no "
                              "cpuset.mems upstream anyway",
    "annotation-not-validated": "the annotation names CPUs of a running integer pod, all online",
    CUSTOM_MODEL: "the procedure deletes nothing, so an integer leak is not exercised",
}

RELOCATE_VERDICTS: tuple[Verdict, ...] = (
    *(Verdict(model, "relocate", None, why + " (expected PASS)" if model != "head" else why)
      for model, why in RELOCATE_PASS.items()),
    Verdict("pre-fix", "relocate", Failure(
        "Step 06 Verify Plugin Logs Across All Nodes",
        _relocate_lines_missing(),
        "plugin log wrong: " + "; ".join(
            f"sim-node-{n}: plugin log lacks 'DEBUG: Conflicts detected for annotated container 9a71c734b832, "
            "attempting reallocation' | 'DEBUG: Found conflicting integer container 848ce1486ede on CPU 1' | "
            "'DEBUG: Found conflicting integer container 848ce1486ede on CPU 33' | 'DEBUG: Successfully planned "
            "reallocation of 1 containers for annotated container 9a71c734b832' | 'DEBUG: Queuing 1 reallocation "
            "updates for annotated container 9a71c734b832'" for n in (1, 2, 3)),
    ), "the build before upstream 97e0fb4 moves the pods right but writes its own reallocation lines "
       "(`Conflicts detected for annotated pod <ns/pod>, attempting live reallocation`, `Executing "
       "reallocation plan`); the suite asserts the current plugin's lines", PRE_VARIABLES),
    Verdict("integer-one-too-many", "relocate", Failure(
        "Step 03 Verify Initial CPU Assignments Across All Nodes",
        "integer pods wrong: " + "; ".join(
            rf"sim-node-{n}: integer-test-ds-\w{{5}} has 3 CPUs \(1,32-33\), requested 2" for n in (1, 2, 3)),
        "integer pods wrong: sim-node-1: integer-test-ds-nn6n2 has 3 CPUs (1,32-33), requested 2; sim-node-2: "
        "integer-test-ds-65nc9 has 3 CPUs (1,32-33), requested 2; sim-node-3: integer-test-ds-rwh9n has 3 CPUs "
        "(1,32-33), requested 2",
    ), "every node's integer pod is checked for exactly its count before anything else happens"),
    Verdict("realloc-splits-cores", "relocate", Failure(
        "Step 07 Validate Sibling Core Preference",
        "sibling pairs broken: " + "; ".join(_relocate_split(f"sim-node-{n}") for n in (1, 2, 3)),
        "sibling pairs broken: " + "; ".join(
            f"sim-node-{n}: integer-test-ds-{pod} moved from 1,33 to 0,2, not whole cores (0: siblings 0,32, "
            "2: siblings 2,34), although the node had whole free cores"
            for n, pod in ((1, "wxnvt"), (2, "n4s89"), (3, "5kv6k"))),
    ), "the moved pods keep their count on CPUs nobody else has, so only the sibling check sees "
       "that the move split a core where whole cores were free: the defect this procedure is for"),
)

DS_NODES = ("sim-node-1", "sim-node-2", "sim-node-3")
DS_INTEGER = (("client-integer", 9), ("compute-integer", 23), ("drive-integer", 13))
DS_ANNOTATED = (("client-annotated", "12-15,32,44-47"), ("compute-annotated", "0-11,33-43"),
                ("drive-annotated", "16-21,48-54"))
POD = r"-\w{5}"
"""A DaemonSet pod's generated suffix."""


def _ds_too_many() -> tuple[str, tuple[Check, ...]]:
    parts, checks = [], []
    for ds, cpu in DS_INTEGER:
        for n, node in enumerate(DS_NODES):
            prefix = f"{ds.split('-')[0]}{n}"
            parts.append(rf"{ds}{POD} on {node} has (?P<{prefix}_n>\d+) CPUs \((?P<{prefix}_list>{CPUS})\), "
                         rf"requested (?P<{prefix}_req>{cpu})")
            checks.append(prefix)
    return "integer CPUs wrong: " + "; ".join(parts), one_more_than_requested(*checks)


def _ds_plus_one() -> tuple[str, tuple[Check, ...]]:
    parts, prefixes = [], []
    for ds, cores in DS_ANNOTATED:
        for n in range(len(DS_NODES)):
            prefix = f"{ds.split('-')[0]}{n}"
            parts.append(_plus_one(ds + POD, cores, prefix))
            prefixes.append(prefix)
    return "annotated CPUs wrong: " + "; ".join(parts), tuple(grant_is_annotation_plus_one(p) for p in prefixes)


def _ds_not_synchronized() -> str:
    node1 = ", ".join(rf"{ds}{POD} \(container {CID}\)" for ds, _ in DS_INTEGER) + rf", trigger-test-pod \(container {CID}\)"
    other = ", ".join(rf"{ds}{POD} \(container {CID}\)" for ds, _ in DS_INTEGER)
    return ("plugin did not synchronize: sim-node-1: " + node1 + "; sim-node-2: " + other + "; sim-node-3: " + other)


DS_INT = "(?:client|compute|drive)-integer" + POD
_DS_TOO_MANY, _DS_TOO_MANY_CHECKS = _ds_too_many()
_DS_PLUS_ONE, _DS_PLUS_ONE_CHECKS = _ds_plus_one()

DS_STATE_PASS = {
    "head": "the corrected procedure passes on every node",
    "pre-fix": "the procedure never makes the plugin move an integer container, so the lost reallocation "
               "plan of the build before 97e0fb4 is invisible to it (run with its sync line)",
    "shared-includes-integer": "every pod of the procedure is annotated or integer: the shared pool is never "
                               "checked (expected PASS)",
    "forbid-ignored": "no pod carries weka.io/forbid-core-ids (expected PASS)",
    "annotated-mems-missing": "one NUMA node, and Mems_allowed_list is not checked (expected PASS)",
    "annotation-not-validated": "every annotation names online CPUs (expected PASS)",
    "realloc-splits-cores": "no integer container is moved live (expected PASS)",
    CUSTOM_MODEL: "the procedure deletes no integer pod, so an integer leak is not exercised (expected PASS)",
}

DS_STATE_VERDICTS: tuple[Verdict, ...] = (
    *(Verdict(model, "ds-state", None, why, PRE_VARIABLES if model == "pre-fix" else ())
      for model, why in DS_STATE_PASS.items()),
    Verdict("leak-on-remove", "ds-state", Failure(
        "Step 05 Deploy Integer DaemonSets",
        accounting(f"(?P<pod>{DS_INT})", r"(?P<need>9|23|13)", leaked=r"0-21,32-54", nleaked="45"),
        "accounting corruption: plugin refused pod compute-integer-zg9wm with 'need 23, have 10' but 55 CPUs "
        "are really free (64 online; integer 9 by daemonset-state-test-9d892215/client-integer-x2qgw=9; really "
        "free 55); the plugin reserves 0-26,32-58 (54 CPUs); leaked CPUs (reserved but held by no container): "
        "0-21,32-54 (45)",
        ACCOUNTING_CHECKS,
    ), "the CPUs of the deleted annotated DaemonSets stay reserved on every node: the first integer pod that "
       "needs them is refused although they are really free, judged on that pod's own node (the failure the "
       "manual procedure hunts)"),
    Verdict("integer-one-too-many", "ds-state", Failure(
        "Step 06 Verify Integer Pod Allocations And Test State", _DS_TOO_MANY,
        "integer CPUs wrong: client-integer-2mc5k on sim-node-1 has 10 CPUs (1-5,33-37), requested 9; "
        "client-integer-xtjqq on sim-node-2 has 10 CPUs (1-5,33-37), requested 9; client-integer-2rtfs on "
        "sim-node-3 has 10 CPUs (1-5,33-37), requested 9; compute-integer-w2rrw on sim-node-1 has 24 CPUs "
        "(6-17,38-49), requested 23; compute-integer-l6mjt on sim-node-2 has 24 CPUs (6-17,38-49), requested 23; "
        "compute-integer-6zwqt on sim-node-3 has 24 CPUs (6-17,38-49), requested 23; drive-integer-fkvxv on "
        "sim-node-1 has 14 CPUs (18-24,50-56), requested 13; drive-integer-pn4mz on sim-node-2 has 14 CPUs "
        "(18-24,50-56), requested 13; drive-integer-qjqjr on sim-node-3 has 14 CPUs (18-24,50-56), requested 13",
        _DS_TOO_MANY_CHECKS,
    ), "every integer pod on every node is checked for exactly its requested count"),
    Verdict("integer-shared-cpu", "ds-state", Failure(
        "Step 06 Verify Integer Pod Allocations And Test State",
        "integer CPUs wrong: " + "; ".join(
            rf"on {node}: (?P<a{n}>{DS_INT}) and (?P<b{n}>{DS_INT}) share CPUs \d+" for n, node in enumerate(DS_NODES)),
        "integer CPUs wrong: on sim-node-1: client-integer-xvjrc and compute-integer-b6fql share CPUs 1; on "
        "sim-node-2: client-integer-4k89x and compute-integer-4hl7l share CPUs 1; on sim-node-3: "
        "client-integer-vl2m5 and compute-integer-mxm7w share CPUs 1",
        tuple(distinct(f"a{n}", f"b{n}") for n in range(3)),
    ), "the integer pods of each node are checked pairwise for overlap (which pair depends on the order the "
       "node admits them in)"),
    Verdict("restart-forgets-integer", "ds-state", Failure(
        "Step 09 Demonstrate Fix", _ds_not_synchronized(),
        "plugin did not synchronize: sim-node-1: client-integer-2lh2l (container 92b5fa728a11), "
        "compute-integer-t9ss5 (container d723f14e7c87), drive-integer-4tb8h (container 53342227a0d9), "
        "trigger-test-pod (container dfc4bd5888ec); sim-node-2: client-integer-b5wd4 (container a85da82cce85), "
        "compute-integer-5x2qr (container 115e5546fff4), drive-integer-klf5q (container e71fb3d37456); "
        "sim-node-3: client-integer-dwlvz (container 94058143c557), compute-integer-g4bjq (container "
        "048ee370278b), drive-integer-b2sft (container 1f6be7109689)",
    ), "after the rollout restart of the plugin DaemonSet, every node's new plugin must have re-recorded every "
       "running integer container"),
    Verdict("annotated-plus-one", "ds-state", Failure(
        "Step 03 Verify Initial State And Plugin Logs", _DS_PLUS_ONE,
        "annotated CPUs wrong: client-annotated-mfqlq has 0,12-15,32,44-47 but annotation '12-15,32,44-47' is "
        "12-15,32,44-47; extra 0; client-annotated-2gfnk has 0,12-15,32,44-47 but annotation '12-15,32,44-47' is "
        "12-15,32,44-47; extra 0; client-annotated-zdpnj has 0,12-15,32,44-47 but annotation '12-15,32,44-47' is "
        "12-15,32,44-47; extra 0; compute-annotated-bhr2d has 0-11,16,33-43 but annotation '0-11,33-43' is "
        "0-11,33-43; extra 16; compute-annotated-f4gph has 0-11,16,33-43 but annotation '0-11,33-43' is "
        "0-11,33-43; extra 16; compute-annotated-vjj6h has 0-11,16,33-43 but annotation '0-11,33-43' is "
        "0-11,33-43; extra 16; drive-annotated-hmd2l has 16-22,48-54 but annotation '16-21,48-54' is "
        "16-21,48-54; extra 22; drive-annotated-abcde has 16-22,48-54 but annotation '16-21,48-54' is "
        "16-21,48-54; extra 22; drive-annotated-fghjk has 16-22,48-54 but annotation '16-21,48-54' is "
        "16-21,48-54; extra 22",
        _DS_PLUS_ONE_CHECKS,
    ), "each annotated pod on every node must run on exactly its annotation"),
)

VERDICTS: tuple[Verdict, ...] = (
    Verdict("head", "ten-step", None, "the current plugin: the corrected procedure passes"),
    Verdict("head", "race", None, "the current plugin keeps both reallocation plans"),
    Verdict("pre-fix", "ten-step", None,
            "the ten-step procedure never makes the plugin move an integer container, so the "
            "lost reallocation plan of 7132bc2 is invisible to it (docs/procedures/annotated-reallocation-race.md); run with "
            "`PLUGIN_SYNC_LINE:Synchronizing state with`, since PRE writes no end-of-sync line",
            PRE_VARIABLES),
    Verdict("pre-fix", "race", Failure(
        "Step 04 Verify The Integer Pods Moved",
        rf"integer CPUs wrong: integer-x and integer-y share CPUs (?P<shared>{CPUS})",
        "integer CPUs wrong: integer-x and integer-y share CPUs 5,37",
    ), "the second conflicting annotated pod overwrites the first reallocation plan: both "
       "integer pods are moved onto the same CPUs", PRE_VARIABLES),
    Verdict("leak-on-remove", "ten-step", Failure(
        "Step 05 Bulk Create Integer Pods",
        accounting("(?P<pod>integer-compute-1|integer-compute-2)", r"(?P<need>20|15)",
                   leaked=r"0-29,32-53", nleaked="52"),
        "accounting corruption: plugin refused pod integer-compute-2 with "
        "'need 15, have 12' but 54 CPUs are really free (64 online; integer 10 by "
        "annotated-state-test-037967b7/integer-drive-1=10; really free 54); the plugin reserves "
        "0-29,32-53 (52 CPUs); leaked CPUs (reserved but held by no container): 0-29,32-53 (52)",
        (*ACCOUNTING_CHECKS, need_of_pod({"integer-compute-1": 20, "integer-compute-2": 15})),
    ), "the annotated CPUs released in step 4 stay reserved: the first integer pod that needs "
       "them (integer-compute-1 or -2, whichever the node admits first) is refused although they are free "
       "(the failure the manual procedure hunts)"),
    Verdict("leak-on-remove", "race", Failure(
        "Step 07 Verify The Released CPUs Are Allocatable Again",
        accounting("integer-again", r"(?P<need>\d+)"),
        "accounting corruption: plugin refused pod integer-again with "
        "'need 3, have 0' but 4 CPUs are really free (64 online; integer 60 by "
        "annotated-realloc-race-b02a8b1d/integer-filler=52, annotated-realloc-race-b02a8b1d/integer-x=4, "
        "annotated-realloc-race-b02a8b1d/integer-y=4; really free 4); the plugin reserves 0-63 (64 CPUs); "
        "leaked CPUs (reserved but held by no container): 1-4 (4)",
        ACCOUNTING_CHECKS,
    ), "the CPUs of the deleted annotated pods are never handed out again"),
    Verdict("integer-one-too-many", "ten-step", Failure(
        "Step 06 Verify Integer Pod Allocations",
        "integer CPUs wrong: " + "; ".join((_too_many("integer-compute-1", 20, "c1"),
                                            _too_many("integer-compute-2", 15, "c2"),
                                            _too_many("integer-drive-1", 10, "d1"))),
        "integer CPUs wrong: integer-compute-1 has 21 CPUs (1-10,32-42), requested 20; integer-compute-2 "
        "has 16 CPUs (0,11-18,43-49), requested 15; integer-drive-1 has 11 CPUs (19-23,50-55), requested 10",
        one_more_than_requested("c1", "c2", "d1"),
    ), "every integer pod is checked for exactly its requested count"),
    Verdict("integer-one-too-many", "race", Failure(
        "Step 02 Create Integer Pods",
        "integer CPUs wrong: " + "; ".join((_too_many("integer-x", 4, "x"), _too_many("integer-y", 4, "y"))),
        "integer CPUs wrong: integer-x has 5 CPUs (1-2,32-34), requested 4; integer-y has 5 CPUs "
        "(0,3-4,35-36), requested 4",
        one_more_than_requested("x", "y"),
    ), "the race's integer pods are checked for their count before anything else happens"),
    Verdict("integer-shared-cpu", "ten-step", Failure(
        "Step 06 Verify Integer Pod Allocations",
        rf"integer CPUs wrong: (?P<a>{TEN_STEP_INTEGER}) and (?P<b>{TEN_STEP_INTEGER}) share CPUs (?P<shared>\d+)",
        "integer CPUs wrong: integer-compute-1 and integer-compute-2 share CPUs 1",
        (distinct("a", "b"),),
    ), "integer pods are checked pairwise for overlap (which pair depends on admission order)"),
    Verdict("integer-shared-cpu", "race", Failure(
        "Step 02 Create Integer Pods",
        r"integer CPUs wrong: integer-x and integer-y share CPUs (?P<shared>\d+)",
        "integer CPUs wrong: integer-x and integer-y share CPUs 1",
    ), "the race's two integer pods are checked for overlap first"),
    Verdict("restart-forgets-integer", "ten-step", Failure(
        "Step 09 Demonstrate The Fix",
        "plugin did not synchronize: " + ", ".join(
            rf"{pod} \(container {CID}\)" for pod in (
                "integer-compute-1", "integer-compute-2", "integer-drive-1", "trigger-client-1", "trigger-client-2")),
        "plugin did not synchronize: integer-compute-1 (container 52f25a14d9d8), integer-compute-2 "
        "(container df030ee2804c), integer-drive-1 (container 364c5bbc8c17), trigger-client-1 "
        "(container 772571d50e40), trigger-client-2 (container f43f43e557bc)",
    ), "after the restart the plugin's log must show every running integer container synchronized"),
    Verdict("restart-forgets-integer", "race", None,
            "the race procedure never restarts the plugin, so Synchronize is never exercised"),
    Verdict("annotated-plus-one", "ten-step", Failure(
        "Step 03 Verify Initial State And Plugin Logs",
        "annotated CPUs wrong: " + "; ".join((_plus_one("annotated-compute-1", "0-14", "c1"),
                                              _plus_one("annotated-compute-2", "15-29", "c2"),
                                              _plus_one("annotated-drive-1", "32-43", "d1"),
                                              _plus_one("annotated-client-1", "44-53", "k1"))),
        "annotated CPUs wrong: annotated-compute-1 has 0-15 but annotation '0-14' is 0-14; extra 15; "
        "annotated-compute-2 has 15-30 but annotation '15-29' is 15-29; extra 30; annotated-drive-1 has "
        "32-43,54 but annotation '32-43' is 32-43; extra 54; annotated-client-1 has 31,44-53 but annotation "
        "'44-53' is 44-53; extra 31",
        tuple(grant_is_annotation_plus_one(p) for p in ("c1", "c2", "d1", "k1")),
    ), "each annotated pod must run on exactly its annotation (the extra CPU depends on the order "
       "the pods are admitted in)"),
    Verdict("annotated-plus-one", "race", None,
            "the model adds the CPU only on the no-conflict path (HeadModel._annotated_grant); "
            "the race's annotated pods always conflict with an integer pod, so they get exactly "
            "their annotation: a known blind spot of this suite for this defect"),
    # The four models below break behaviours these two procedures never exercise; their
    # PASS is expected (verified by running) and the reason is stated. The contract suite
    # (suites/plugin_contract.robot) is the one that must fail on them.
    Verdict("shared-includes-integer", "ten-step", None,
            "every pod of the procedure is annotated or integer: no shared container is created "
            "while integer CPUs are held, so the shared pool is never checked (expected PASS)"),
    Verdict("shared-includes-integer", "race", None,
            "the race creates only annotated and integer pods, so the shared pool is never checked "
            "(expected PASS)"),
    Verdict("forbid-ignored", "ten-step", None,
            "no pod of the procedure carries weka.io/forbid-core-ids (expected PASS)"),
    Verdict("forbid-ignored", "race", None,
            "no pod of the race carries weka.io/forbid-core-ids (expected PASS)"),
    Verdict("annotated-mems-missing", "ten-step", None,
            "the suite runs on one NUMA node (SIM_NUMA_NODES 1), where every container's memory nodes "
            "are node 0 with or without the plugin's cpuset.mems, and it does not check "
            "Mems_allowed_list (expected PASS)"),
    Verdict("annotated-mems-missing", "race", None,
            "one NUMA node, and the race's annotated pods are admitted by reallocation, where "
            "upstream sets no cpuset.mems anyway (expected PASS)"),
    Verdict("annotation-not-validated", "ten-step", None,
            "every annotation of the procedure names online CPUs, so the missing online check is "
            "never reached (expected PASS)"),
    Verdict("annotation-not-validated", "race", None,
            "the race's annotations name CPUs of running integer pods, all online (expected PASS)"),
    Verdict(CUSTOM_MODEL, "ten-step", Failure(
        "Step 10 Verify Fix Success",
        accounting("reclaim-freed-cpus", r"(?P<need>\d+)"),
        "accounting corruption: plugin refused pod reclaim-freed-cpus with "
        "'need 18, have 1' but 19 CPUs are really free (64 online; integer 45 by "
        "annotated-state-test-2951c281/integer-compute-1=20, annotated-state-test-2951c281/integer-compute-2=15, "
        "annotated-state-test-2951c281/integer-drive-1=10; really free 19); the plugin reserves 0-62 (63 CPUs); "
        "leaked CPUs (reserved but held by no container): 23-31,54-62 (18)",
        ACCOUNTING_CHECKS,
    ), "a user's model (module:Class from outside nrisim) that never releases integer CPUs: the "
       "CPUs of the deleted trigger pods cannot be allocated again"),
    Verdict(CUSTOM_MODEL, "race", None,
            "the race procedure deletes only annotated pods, so an integer leak is not exercised"),

    # ---- the contract suite: independent tests; the named ones fail, every other passes ----
    contract("head", "the current upstream plugin keeps every other requirement the contract checks; its known "
             "deviations from the requirements (resources/accepted-deviations.yaml) fail and are waived by the gate"),
    contract("pre-fix", "PRE words an impossible reallocation `cannot reallocate conflicting integer containers: "
             "...`, where the contract asserts HEAD's exact message (the requirements give none, so the contract "
             "asserts the code's); it refuses an empty annotation (`failed to record annotated container: no CPU "
             "list in adjustment`), as the requirements want. Its single moves, exhaustion figures and restart keep "
             "the contract (the lost plan of two moves at once is the race suite's)",
             Failure(T_IMPOSSIBLE,
                     r"pod annotated-impossible was refused with 'cannot reallocate conflicting integer containers: "
                     r"cannot reallocate integer container (?P<id>[0-9a-f]{64})', expected 'cannot reallocate "
                     r"conflicting containers: cannot reallocate integer container (?P=id)'",
                     "pod annotated-impossible was refused with 'cannot reallocate conflicting integer containers: "
                     "cannot reallocate integer container b31c4707e3fe95089a1fe597d6337f76bf20a817a4373e9f3be298d47426a953', "
                     "expected 'cannot reallocate conflicting containers: cannot reallocate integer container "
                     "b31c4707e3fe95089a1fe597d6337f76bf20a817a4373e9f3be298d47426a953'"),
             variables=PRE_VARIABLES, without=(T_EMPTY,)),
    contract("leak-on-remove", "the released annotated CPUs stay reserved: every test that deleted an annotated "
             "pod fails in its teardown naming the leaked CPUs and the pods they were granted to (the teardown then "
             "restarts the plugin, so the next test starts clean); the release test also fails on its own check",
             *_leaks((T_CLASSIFIED, "0", "0 of pod annotated-small"),
                     (T_LISTS, "0,2,4,8-9,11-12", "0,2,4 of pod annotated-list, 8-9,11-12 of pod annotated-ranges"),
                     (T_SHARE, "0,2", "0,2 of pod annotated-share-1, 0,2 of pod annotated-share-2"),
                     (T_POOL, "0-1", "0-1 of pod annotated-held"),
                     (T_ANNOTATED_FORBID, "0-1", "0-1 of pod annotated-forbid"),
                     (T_MEMS, "0,16", "0 of pod annotated-one-node, 0,16 of pod annotated-span"),
                     (T_MOVE_ONE, "1", "1 of pod annotated-mover"),
                     (T_MOVE_TWO, "1-2", "1-2 of pod annotated-mover"),
                     (T_IMPOSSIBLE, "0,2-32,34-63", "0,2-32,34-63 of pod annotated-filler"),
                     (T_EXHAUSTION, "0-31", "0-31 of pod annotated-half"),
                     (T_RESTART, "0-1", "0-1 of pod annotated-restart")),
             _leaky(T_SYNC_ADMISSIONS, "1,62-63: it still reserved them after the test's pods were deleted and "
                    "released (granted to 62-63 of pod annotated-admitted, 1 of pod annotated-mover)"),
             _leaky(T_SYNC_REMOVALS, "62-63: it still reserved them after the test's pods were deleted and released "
                    "(no grant of this test's pods names them)",
                    Failure(T_SYNC_REMOVALS, r"requirement 3\.2-shared-live-update violated: 5 s after annotated pod "
                            r"annotated-removed was removed: shared pod shared-synced has 0-61, the shared pool "
                            r"is 0-63: lacks 62-63 of the shared pool",
                            "requirement 3.2-shared-live-update violated: 5 s after annotated pod annotated-removed "
                            "was removed: shared pod shared-synced has 0-61, the shared pool is 0-63: lacks 62-63 of "
                            "the shared pool")),
             _leaky(T_MOVED_FORBID, "1: it still reserved them after the test's pods were deleted and released "
                    "(granted to 1 of pod annotated-fence)"),
             Failure(T_RELEASED, *_teardown_leak("0-3", "0-3 of pod annotated-released",
                                                 "CPUs the plugin reserves for no pod is 0-3, expected none; extra 0-3"))),
    contract("integer-one-too-many", "every test that checks an integer pod's count fails (the exhaustion test: "
             "the plugin needs one more than the pod asks for); the deviation tests that do not count the integer "
             "pod's CPUs fail as on head, naming 3 CPUs",
             Failure(T_CLASSIFIED, "integer CPUs wrong: " + _too_many("integer-two", 2, "a") + "; "
                     + _too_many("integer-one", 1, "b"),
                     "integer CPUs wrong: integer-two has 3 CPUs (1,32-33), requested 2; integer-one has 2 CPUs "
                     "(2,34), requested 1", one_more_than_requested("a", "b")),
             Failure(T_SHARE, "integer CPUs wrong: " + _too_many("integer-beside", 2, "a"),
                     "integer CPUs wrong: integer-beside has 3 CPUs (1,32,34), requested 2",
                     one_more_than_requested("a")),
             Failure(T_INTEGER, "integer CPUs wrong: " + "; ".join(
                 (_too_many("integer-a", 2, "a"), _too_many("integer-b", 2, "b"), _too_many("integer-c", 4, "c"))),
                     "integer CPUs wrong: integer-a has 3 CPUs (1,32-33), requested 2; integer-b has 3 CPUs "
                     "(0,2,34), requested 2; integer-c has 5 CPUs (3-5,35-36), requested 4",
                     one_more_than_requested("a", "b", "c")),
             Failure(T_EXISTING_SHARED, "integer CPUs wrong: " + _too_many("integer-late", 2, "a"),
                     "integer CPUs wrong: integer-late has 3 CPUs (1,32-33), requested 2",
                     one_more_than_requested("a")),
             Failure(T_FORBID, "integer CPUs wrong: " + _too_many("integer-forbid", 2, "a"),
                     "integer CPUs wrong: integer-forbid has 3 CPUs (33,35,37), requested 2",
                     one_more_than_requested("a")),
             Failure(T_BAD_FORBID, "integer CPUs wrong: " + _too_many("integer-bad-forbid", 2, "a"),
                     "integer CPUs wrong: integer-bad-forbid has 3 CPUs (1,32-33), requested 2",
                     one_more_than_requested("a")),
             Failure(T_MOVED_FORBID, "integer CPUs wrong: " + _too_many("integer-fenced", 2, "a"),
                     "integer CPUs wrong: integer-fenced has 3 CPUs (2,33-34), requested 2",
                     one_more_than_requested("a")),
             Failure(T_INVALID, "integer CPUs wrong: " + _too_many("integer-after-refusals", 63, "a"),
                     "integer CPUs wrong: integer-after-refusals has 64 CPUs (0-63), requested 63",
                     one_more_than_requested("a")),
             Failure(T_MOVE_ONE, "integer CPUs wrong: " + _too_many("integer-moved", 2, "a"),
                     "integer CPUs wrong: integer-moved has 3 CPUs (2,33-34), requested 2",
                     one_more_than_requested("a")),
             Failure(T_MOVE_TWO, "integer CPUs wrong: " + _too_many("integer-moved", 4, "a"),
                     "integer CPUs wrong: integer-moved has 5 CPUs (3,32-35), requested 4",
                     one_more_than_requested("a")),
             Failure(T_EXHAUSTION, _exhaustion_mismatch(34, 32, 33, 32),
                     "pod integer-too-big was refused with 'failed to allocate CPUs: failed to allocate exclusive "
                     "CPUs (avoiding forbidden cores): insufficient free CPUs: need 34, have 32 (reserved: [0 1 2 3 4 "
                     "5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31])', which does "
                     "not match '.*insufficient free CPUs: need 33, have 32(?: \\(reserved: \\[[0-9 ]*\\]\\))?'"),
             deviations=_as_observed(_head_deviations(granted=3), {
                 T_SYNC_ADMISSIONS: "Several failures occurred:\n\n1) requirement 3.2-shared-live-update violated: 5 s "
                 "after integer pod integer-admitted was admitted: shared pod shared-synced has 0-63, the shared pool "
                 "is 0,2-31,34-63: runs on 1,32-33, reserved for integer pod integer-admitted (1,32-33)\n\n2) "
                 "requirement 3.2-shared-live-update violated: 5 s after annotated pod annotated-admitted was admitted: "
                 "shared pod shared-synced has 0-63, the shared pool is 0,2-31,34-61: runs on 1,32-33,62-63, reserved "
                 "for annotated pod annotated-admitted (62-63), integer pod integer-admitted (1,32-33)\n\n3) "
                 "requirement 3.2-shared-live-update violated: 5 s after integer pod integer-admitted was moved live "
                 "off 1 for annotated pod annotated-mover: shared pod shared-synced has 0-63, the shared pool is "
                 "0,2-29,32,34-61: runs on 1,30-31,33,62-63, reserved for annotated pod annotated-admitted (62-63), "
                 "annotated pod annotated-mover (1), integer pod integer-admitted (30-31,33)",
                 T_FORBID_REFRESH: "Several failures occurred:\n\n1) requirement 3.1-forbid-on-refresh violated: 5 s "
                 "after the restart: shared pod shared-refresh-forbid has 0,2-31,34-63, the shared pool is "
                 "3,5-31,34-63: runs on its forbidden CPUs 0,2,4\n\n2) requirement 3.1-forbid-on-refresh violated: "
                 "5 s after integer pod integer-refresh was removed: shared pod shared-refresh-forbid has 0-63, the "
                 "shared pool is 1,3,5-63: runs on its forbidden CPUs 0,2,4",
                 T_MEMORY_REQUEST: "requirement 2-integer-pod violated: pod memory-burstable (cpu 2/2 but memory "
                 "32Mi/64Mi: not an integer pod) runs on 1,32-33, not on the shared pool 0-63",
                 T_EXITED: "requirement 3.4-release-on-exit violated: pod integer-exited ended (Succeeded) but CPUs "
                 "1,32-33 stay reserved: shared pod shared-after-exit, created next on an otherwise idle node, runs "
                 "on 0,2-31,34-63",
             })),
    contract("integer-shared-cpu", "the model shares a CPU on the plugin's second integer admission only: the "
             "first test's second integer pod",
             Failure(T_CLASSIFIED, r"integer CPUs wrong: integer-one and integer-two share CPUs (?P<shared>\d+)",
                     "integer CPUs wrong: integer-one and integer-two share CPUs 1")),
    contract("restart-forgets-integer", "after the restart the plugin's log must show the integer container "
             "synchronized, and a shared pod it met in that Synchronize is given the forgotten integer pod's CPUs (also "
             "the one forbidding 0,2,4: two requirements broken, no accepted deviation)",
             Failure(T_SYNC_REMOVALS, rf"requirement 3\.2-shared-corrected-on-register violated: 5 s after the "
                     rf"restart: shared pod shared-synced has (?P<has>{CPUS}), the shared pool is (?P<pool>{CPUS}): "
                     rf"runs on (?P<on>{CPUS}), reserved for integer pod integer-removed \((?P=on)\)",
                     "requirement 3.2-shared-corrected-on-register violated: 5 s after the restart: shared pod "
                     "shared-synced has 0-61, the shared pool is 0-29,32-61: runs on 30-31, reserved for integer pod "
                     "integer-removed (30-31)", (union_is("has", "pool", "on"), cpu_count("on", 2))),
             _literal(T_FORBID_REFRESH, FORGOTTEN_INTEGER_REFRESH),
             Failure(T_RESTART, rf"plugin did not synchronize: integer-restart \(container {CID}\)",
                     "plugin did not synchronize: integer-restart (container 392e1d42d2ee)")),
    contract("annotated-plus-one", "every annotated pod admitted without a move gets an extra CPU; the shared "
             "pool and the free count lose it too, and the restart gives it back",
             Failure(T_CLASSIFIED, "annotated CPUs wrong: " + _plus_one("annotated-small", "0", "a"),
                     "annotated CPUs wrong: annotated-small has 0-1 but annotation '0' is 0; extra 1",
                     (grant_is_annotation_plus_one("a"),)),
             Failure(T_LISTS, "annotated CPUs wrong: " + _plus_one("annotated-list", "0,2,4", "a") + "; "
                     + _plus_one("annotated-ranges", "8-9,11-12", "b"),
                     "annotated CPUs wrong: annotated-list has 0-2,4 but annotation '0,2,4' is 0,2,4; extra 1; "
                     "annotated-ranges has 3,8-9,11-12 but annotation '8-9,11-12' is 8-9,11-12; extra 3",
                     (grant_is_annotation_plus_one("a"), grant_is_annotation_plus_one("b"))),
             Failure(T_SHARE, "annotated CPUs wrong: " + _plus_one("annotated-share-1", "0,2", "a") + "; "
                     + _plus_one("annotated-share-2", "0,2", "b"),
                     "annotated CPUs wrong: annotated-share-1 has 0-2 but annotation '0,2' is 0,2; extra 1; "
                     "annotated-share-2 has 0,2-3 but annotation '0,2' is 0,2; extra 3",
                     (grant_is_annotation_plus_one("a"), grant_is_annotation_plus_one("b"))),
             Failure(T_POOL, rf"shared CPUs wrong: shared-pool has (?P<has>{CPUS}), the shared pool is "
                     rf"(?P<pool>{CPUS}): missing (?P<missing>\d+)",
                     "shared CPUs wrong: shared-pool has 3-31,34-63, the shared pool is 2-31,34-63: missing 2",
                     (difference_is("pool", "missing", "has"),)),
             Failure(T_ANNOTATED_FORBID, "annotated CPUs wrong: " + _plus_one("annotated-forbid", "0-1", "a"),
                     "annotated CPUs wrong: annotated-forbid has 0-2 but annotation '0-1' is 0-1; extra 2",
                     (grant_is_annotation_plus_one("a"),)),
             Failure(T_EXHAUSTION, _exhaustion_mismatch(33, 31, 33, 32),
                     "pod integer-too-big was refused with 'failed to allocate CPUs: failed to allocate exclusive "
                     "CPUs (avoiding forbidden cores): insufficient free CPUs: need 33, have 31 (reserved: [0 1 2 3 4 "
                     "5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32])', which does "
                     "not match '.*insufficient free CPUs: need 33, have 32(?: \\(reserved: \\[[0-9 ]*\\]\\))?'"),
             Failure(T_RESTART, rf"CPUs changed: annotated-restart has 0-1 but before is 0-2; missing 2; "
                     rf"shared-restart has (?P<now>{CPUS}) but before is (?P<before>{CPUS}); extra 2",
                     "CPUs changed: annotated-restart has 0-1 but before is 0-2; missing 2; shared-restart has "
                     "2-31,34-63 but before is 3-31,34-63; extra 2")),
    contract(CUSTOM_MODEL, "the user's model never releases integer CPUs: every test that deleted an integer "
             "pod fails in its teardown naming the leaked CPUs and the integer pods they were granted to (the "
             "teardown restarts the plugin, so the next test starts clean); the release test also fails on its "
             "own check",
             *(Failure(test, _integer_leak(*pods), _teardown_leak(cpus, owners)[1])
               for test, pods, cpus, owners in (
                 (T_CLASSIFIED, ('integer-one', 'integer-two'), '1,32-33', '33 of pod integer-one, 1,32 of pod integer-two'),
                 (T_SHARE, ('integer-beside',), '32,34', '32,34 of pod integer-beside'),
                 (T_INTEGER, ('integer-a', 'integer-b', 'integer-c'), '1-4,33-36', '1,33 of pod integer-a, 2,34 of pod integer-b, 3-4,35-36 of pod integer-c'),
                 (T_POOL, ('integer-held',), '32-33', '32-33 of pod integer-held'),
                 (T_FORBID, ('integer-forbid',), '33,35', '33,35 of pod integer-forbid'),
                 (T_INVALID, ('integer-after-refusals',), '1-63', '1-63 of pod integer-after-refusals'),
                 (T_MEMS, ('integer-mems',), '32,48', '32,48 of pod integer-mems'),
                 (T_MOVE_ONE, ('integer-moved',), '32-33', '33 of pod integer-moved'),
                 (T_MOVE_TWO, ('integer-moved',), '3,33-35', '33-34 of pod integer-moved'),
                 (T_IMPOSSIBLE, ('integer-boxed-in',), '1,33', '1,33 of pod integer-boxed-in'),
                 (T_RESTART, ('integer-restart',), '32-33', '32-33 of pod integer-restart'),
             )),
             _leaky(T_EXISTING_SHARED, "1,33: it still reserved them after the test's pods were deleted and "
                    "released (granted to 1,33 of pod integer-late)"),
             _leaky(T_SYNC_ADMISSIONS, "30,33: it still reserved them after the test's pods were deleted and "
                    "released (granted to 33 of pod integer-admitted)"),
             _leaky(T_SYNC_REMOVALS, "30-31: it still reserved them after the test's pods were deleted and "
                    "released (no grant of this test's pods names them)",
                    Failure(T_SYNC_REMOVALS, rf"requirement 3\.2-shared-live-update violated: 5 s after integer pod "
                            rf"integer-removed was removed: shared pod shared-synced has (?P<has>{CPUS}), the shared "
                            rf"pool is (?P<pool>{CPUS}): lacks (?P<lacks>{CPUS}) of the shared pool",
                            "requirement 3.2-shared-live-update violated: 5 s after integer pod integer-removed was "
                            "removed: shared pod shared-synced has 0-29,32-61, the shared pool is 0-61: lacks 30-31 "
                            "of the shared pool",
                            (difference_is("pool", "lacks", "has"), cpu_count("lacks", 2)))),
             _leaky(T_BAD_FORBID, "1,33: it still reserved them after the test's pods were deleted and released "
                    "(granted to 1,33 of pod integer-bad-forbid)"),
             _leaky(T_MOVED_FORBID, "32-33: it still reserved them after the test's pods were deleted and "
                    "released (granted to 33 of pod integer-fenced)"),
             _leaky(T_FORBID_REFRESH, "1,33: it still reserved them after the test's pods were deleted and "
                    "released (no grant of this test's pods names them)", _literal(T_FORBID_REFRESH, LEAKED_INTEGER_REFRESH)),
             _leaky(T_MEMORY_REQUEST, "1,33: it still reserved them after the test's pods were deleted and "
                    "released (granted to 1,33 of pod memory-burstable)"),
             _leaky(T_EXITED, "1,33: it still reserved them after the test's pods were deleted and released "
                    "(granted to 1,33 of pod integer-exited)"),
             Failure(T_RELEASED, rf"CPUs the plugin reserves for no pod is (?P<leak>{CPUS}), expected none; "
                     rf"extra (?P=leak)\n\nAlso teardown failed:\n"
                     + _integer_leak("integer-released", group="leaked")[len(r"Teardown failed:\n"):],
                     "CPUs the plugin reserves for no pod is 32-35, expected none; extra 32-35\n\nAlso teardown "
                     "failed:\nthe plugin leaked CPUs 32-35: it still reserved them after the test's pods were "
                     "deleted and released (granted to 32-35 of pod integer-released); restarted it for the next test",
                     (cpu_count("leak", 4),))),
    contract("shared-includes-integer", "new shared containers get integer CPUs: every test comparing a shared "
             "pod with the shared pool fails; after a restart Synchronize gives the shared pod the right pool. The "
             "exited-container test passes by accident: the shared pod created after the exit gets the integer "
             "CPUs the plugin still reserves",
             Failure(T_CLASSIFIED, "shared CPUs wrong: " + "; ".join(_shared_extra(pod, p) for pod, p in (
                 ("shared-fractional", "a"), ("shared-burstable", "b"), ("shared-no-memory-limit", "c"),
                 ("shared-best-effort", "d"))),
                     "shared CPUs wrong: shared-fractional has 1-63, the shared pool is 2-31,34-63: extra 1,32-33 "
                     "(integer); shared-burstable has 1-63, the shared pool is 2-31,34-63: extra 1,32-33 (integer); "
                     "shared-no-memory-limit has 1-63, the shared pool is 2-31,34-63: extra 1,32-33 (integer); "
                     "shared-best-effort has 1-63, the shared pool is 2-31,34-63: extra 1,32-33 (integer)",
                     tuple(union_is(f"{p}_has", f"{p}_pool", f"{p}_extra") for p in "abcd")),
             Failure(T_POOL, "shared CPUs wrong: " + _shared_extra("shared-pool", "a"),
                     "shared CPUs wrong: shared-pool has 2-63, the shared pool is 2-31,34-63: extra 32-33 (integer)",
                     (union_is("a_has", "a_pool", "a_extra"), cpu_count("a_extra", 2))),
             Failure(T_FORBID, "shared CPUs wrong: " + _shared_extra("shared-forbid", "a"),
                     "shared CPUs wrong: shared-forbid has 1,3,5-63, the shared pool is 1,3,5-32,34,36-63: extra "
                     "33,35 (integer)", (union_is("a_has", "a_pool", "a_extra"), cpu_count("a_extra", 2))),
             Failure(T_BAD_FORBID, "shared CPUs wrong: " + _shared_extra("shared-bad-forbid", "a") + "; "
                     + _shared_extra("shared-offline-forbid", "b"),
                     "shared CPUs wrong: shared-bad-forbid has 0-63, the shared pool is 0,2-32,34-63: extra 1,33 "
                     "(integer); shared-offline-forbid has 0,2-63, the shared pool is 0,2-32,34-63: extra 33 "
                     "(integer)", (union_is("a_has", "a_pool", "a_extra"), union_is("b_has", "b_pool", "b_extra"))),
             Failure(T_RESTART, rf"CPUs changed: shared-restart has (?P<now>{CPUS}) but before is (?P<before>{CPUS}); "
                     rf"missing (?P<missing>{CPUS})",
                     "CPUs changed: shared-restart has 2-31,34-63 but before is 2-63; missing 32-33",
                     (difference_is("before", "missing", "now"), cpu_count("missing", 2))),
             without=(T_EXITED,)),
    contract("forbid-ignored", "weka.io/forbid-core-ids is checked for an integer and a shared pod; an "
             "unparsable one logs no warning, and a shared pod forbidding every CPU is admitted. The moved and "
             "refreshed forbidden-CPU deviations show as on head",
             Failure(T_FORBID, r"forbidden CPUs used: integer-forbid runs on forbidden CPUs 1 \(forbid-core-ids "
                     r"1,3,5\); shared-forbid runs on forbidden CPUs 0,2,4 \(forbid-core-ids 0,2,4\)",
                     "forbidden CPUs used: integer-forbid runs on forbidden CPUs 1 (forbid-core-ids 1,3,5); "
                     "shared-forbid runs on forbidden CPUs 0,2,4 (forbid-core-ids 0,2,4)"),
             Failure(T_BAD_FORBID, r"no plugin log line since the test started matches '\(\?i\)\.\*warning\.\*"
                     r"not-a-number\.\*' within 30 s \(\d+ lines read\)",
                     "no plugin log line since the test started matches '(?i).*warning.*not-a-number.*' within 30 s "
                     "(26 lines read)"),
             Failure(T_ALL_FORBIDDEN, r"pod shared-all-forbidden is Running: the plugin did not refuse it",
                     "pod shared-all-forbidden is Running: the plugin did not refuse it")),
    contract("annotated-mems-missing", "on the 2-NUMA node an annotated pod on node 0 may use both memory nodes "
             "(the pod spanning both nodes is right by accident)",
             Failure(T_MEMS, r"memory nodes wrong: annotated-one-node on CPUs 0 may use memory nodes 0-1, expected 0 "
                     r"\(the NUMA nodes of its CPUs\)",
                     "memory nodes wrong: annotated-one-node on CPUs 0 may use memory nodes 0-1, expected 0 "
                     "(the NUMA nodes of its CPUs)")),
    contract("annotation-not-validated", "the annotation `999` is admitted and runc fails the start, instead "
             "of the plugin refusing it at creation",
             Failure(T_INVALID, r"pod invalid-offline was not refused by the plugin at creation: invalid-offline: "
                     r"phase=Failed, container terminated \(StartError, exit code 128\); container ended: StartError: "
                     r".*failed to write \"999\": .*cpuset\.cpus: "
                     r"invalid argument: unknown",
                     "pod invalid-offline was not refused by the plugin at creation: invalid-offline: phase=Failed, "
                     "container terminated (StartError, exit code 128); container ended: StartError: failed to create containerd task: failed to create shim task: "
                     "OCI runtime create failed: runc create failed: unable to start container process: error during "
                     "container init: error setting cgroup config for procHooks process: failed to write \"999\": "
                     "write /sys/fs/cgroup/kubepods/burstable/pod7e4e1f08-afb8-4841-91d2-564db1e2fb98/c6c3bdfa0778ace"
                     "32008ca928806052a7da75d08986edc6b51fab4b9cf4c0960/cpuset.cpus: invalid argument: unknown")),
    contract("exit-on-removal-burst", "every test's teardown removes its pods and then the leak probe, a shared "
             "container the plugin does not track, within the plugin's debounce window of the previous removal: "
             "the plugin exits 0 there and kubelet restarts it, so every test fails naming the restart, its exit "
             "code and the removal it died in",
             *(_burst_restart(test) for test in CONTRACT_TESTS)),
    contract("sync-leaves-unpinned", "the restart test's annotated pods were pinned before the restart, and "
             "only containers created while no plugin was connected are left unpinned, which no contract "
             "test does (the name-reservation procedure does)"),
)


CRASH_FIX_RELEASE = "Step 08 Verify Their CPUs Can Be Allocated Again"

VERDICTS += (
    Verdict("head", "crash-fix", None, "the current plugin stays up through completions and a forced "
            "burst of removals, and every CPU comes back"),
    Verdict("pre-fix", "crash-fix", None,
            "PRE's lost reallocation plan needs a live move, which this procedure never causes",
            PRE_VARIABLES),
    Verdict("leak-on-remove", "crash-fix", Failure(
        CRASH_FIX_RELEASE,
        rf"CPUs the plugin reserves for no pod is (?P<leaked>{CPUS}), expected none; extra (?P=leaked)",
        "CPUs the plugin reserves for no pod is 15-16, expected none; extra 15-16",
    ), "the finished annotated pod's CPUs stay reserved after its removal (the leak probe finds them)"),
    Verdict("integer-one-too-many", "crash-fix", Failure(
        "Step 04 Create The Stress Pods", "integer CPUs wrong: " + _too_many("stress-race-1", 1, "s"),
        "integer CPUs wrong: stress-race-1 has 2 CPUs (0,2), requested 1",
        one_more_than_requested("s"),
    ), "the long-running integer stress pod is checked for exactly one CPU (the short-lived ones end "
       "before they can be read)"),
    Verdict("integer-shared-cpu", "crash-fix", Failure(
        "Step 06 Verify The Plugin Stayed Up",
        r"plugin reported state corruption (?P<n>\d+) times since run: ERROR: State corruption - CPU "
        r"(?P<cpu>\d+) assigned to multiple integer containers \(conflict detected\)",
        "plugin reported state corruption 1 times since run: ERROR: State corruption - CPU 32 assigned to "
        "multiple integer containers (conflict detected)",
    ), "the two short-lived integer pods share a CPU; they end before they can be read, and the "
       "plugin's own consistency check reports the double owner at the forced removals"),
    Verdict("restart-forgets-integer", "crash-fix", None,
            "the plugin is never restarted on head-like models here, so Synchronize is never exercised"),
    Verdict("annotated-plus-one", "crash-fix", Failure(
        CRASH_FIX_RELEASE, "annotated CPUs wrong: " + _plus_one("annotated-again", "15-16", "a"),
        "annotated CPUs wrong: annotated-again has 0,15-16 but annotation '15-16' is 15-16; extra 0",
        (grant_is_annotation_plus_one("a"),),
    ), "the annotated pod created on the released CPUs gets one CPU beyond its annotation (the "
       "short-lived one ended before it could be read)"),
    Verdict("shared-includes-integer", "crash-fix", None,
            "the shared pods' CPUs are not read (they are short-lived or about to be force-deleted)"),
    Verdict("forbid-ignored", "crash-fix", None, "no pod carries weka.io/forbid-core-ids"),
    Verdict("annotated-mems-missing", "crash-fix", None,
            "one NUMA node, and Mems_allowed_list is not read"),
    Verdict("annotation-not-validated", "crash-fix", None, "every annotation names online CPUs"),
    Verdict("exit-on-removal-burst", "ten-step", Failure(
        "Step 04 Bulk Remove Annotated Pods",
        r"Teardown failed:\nthe plugin restarted (?P<n>\d+) times during the test, (?P<asked>0) of them asked for by "
        r"the test; pod weka-nri-cpuset-\w{5} restartCount (?P<before>\d+) -> (?P<after>\d+), its container last "
        r"ended with exit code 0 \(Completed\); the last plugin log lines before it: .*Removing container "
        r"weka-container from pod annotated-state-test-\w+/annotated-[\w-]+",
        "Teardown failed:\nthe plugin restarted 1 times during the test, 0 of them asked for by the test; pod "
        "weka-nri-cpuset-9h2nc restartCount 0 -> 1, its container last ended with exit code 0 (Completed); the last "
        "plugin log lines before it: Removing container weka-container from pod "
        "annotated-state-test-07f2d7f9/annotated-compute-1",
        (restarts_unasked,)),
        "the suite setup's topology probe (a shared container this plugin never tracks) is the first removal of "
        "a burst whose update the runtime has not applied when Step 04 removes the annotated pods: the plugin "
        "exits 0 there and kubelet restarts it; the step fails naming the unasked restart and the removal it "
        "died in (its update window is widened to 2 s so that the verdict does not depend on the machine's "
        "speed)", BURST_WINDOW),
    Verdict("exit-on-removal-burst", "race", None,
            "only tracked (annotated and integer) containers are removed (expected PASS)"),
    Verdict("exit-on-removal-burst", "crash-fix", Failure(
        "Step 05 Force Delete The Stress Pods Together",
        r"the plugin restarted: pod weka-nri-cpuset-\w{5} restartCount 0 -> 1, last state terminated "
        r"with exit code 0 \(Completed\)\n\nAlso " + _unasked_restart(r"plugin-crash-fix-\w+/stress-race-\d")[0].lower()
        + _unasked_restart(r"plugin-crash-fix-\w+/stress-race-\d")[1:],
        "the plugin restarted: pod weka-nri-cpuset-bd2wg restartCount 0 -> 1, last state terminated with "
        "exit code 0 (Completed)\n\nAlso teardown failed:\nthe plugin restarted 1 times during the test, 0 of them "
        "asked for by the test; pod weka-nri-cpuset-bd2wg restartCount 0 -> 1, its container last ended with exit "
        "code 0 (Completed); the last plugin log lines before it: DEBUG: RemoveContainer() completed successfully, "
        "releasing global allocation lock | Removing container weka-container from pod "
        "plugin-crash-fix-c0572076/stress-race-2",
        (restarts_unasked,),
    ), "the forced removal of the integer and the two shared stress pods together makes the plugin "
       "exit 0 (the crash upstream reported); its restartCount, read at the start, grows, and the step's "
       "teardown names the exit and the removal it died in"),
    Verdict("sync-leaves-unpinned", "ten-step", None,
            "every container was pinned by the plugin before the restart, so Synchronize only "
            "re-asserts (expected PASS)"),
    Verdict("sync-leaves-unpinned", "race", None, "the race never restarts the plugin (expected PASS)"),
    Verdict("sync-leaves-unpinned", "crash-fix", None, "the plugin is never restarted here (expected PASS)"),
    Verdict(CUSTOM_MODEL, "crash-fix", Failure(
        CRASH_FIX_RELEASE,
        rf"CPUs the plugin reserves for no pod is (?P<leaked>{CPUS}), expected none; extra (?P=leaked)",
        "CPUs the plugin reserves for no pod is 0-1,32-33, expected none; extra 0-1,32-33",
    ), "the finished integer pods' CPUs are never released"),
)


_UNPINNED = rf"stress-test-[1-5] has 0-63 but annotation '(?P<a>[0-4])' is (?P=a); extra {CPUS}"
_UNPINNED_MORE = rf"stress-test-[1-5] has 0-63 but annotation '[0-4]' is [0-4]; extra {CPUS}"

VERDICTS += tuple(
    Verdict(model, "name-reservation", None, why) for model, why in (
        ("head", "the replacement plugin synchronizes and pins the pods created while it was gone; "
                 "containerd's transient name reservation errors are counted and reported"),
        ("pre-fix", "PRE's Synchronize pins annotated containers the same way; no live move happens"),
        ("leak-on-remove", "nothing is removed before the checks"),
        ("integer-one-too-many", "the procedure creates only annotated pods"),
        ("integer-shared-cpu", "the procedure creates only annotated pods"),
        ("restart-forgets-integer", "the plugin restarts, but there is no integer container to forget"),
        ("annotated-plus-one", "the pods are pinned by Synchronize, where the model adds no CPU "
                               "(its defect is on the direct admission path only)"),
        ("shared-includes-integer", "no shared or integer pod is created"),
        ("forbid-ignored", "no pod carries weka.io/forbid-core-ids"),
        ("annotated-mems-missing", "one NUMA node, and Mems_allowed_list is not read"),
        ("annotation-not-validated", "every annotation names online CPUs"),
        ("exit-on-removal-burst", "nothing is removed before the checks"),
        (CUSTOM_MODEL, "nothing is removed before the checks"),
    )
) + (
    Verdict("sync-leaves-unpinned", "name-reservation", Failure(
        "Step 03 Verify Every Test Pod Runs On Its CPU",
        rf"annotated CPUs wrong: {_UNPINNED}(?:; {_UNPINNED_MORE})*",
        "annotated CPUs wrong: stress-test-1 has 0-63 but annotation '0' is 0; extra 1-63; stress-test-2 has "
        "0-63 but annotation '1' is 1; extra 0,2-63; stress-test-3 has 0-63 but annotation '2' is 2; extra "
        "0-1,3-63; stress-test-4 has 0-63 but annotation '3' is 3; extra 0-2,4-63; stress-test-5 has 0-63 "
        "but annotation '4' is 4; extra 0-3,5-63",
    ), "the pods created while the old plugin was shutting down were created unpinned; the new plugin's "
       "Synchronize records them but never pins them, so they run on every CPU"),
)


# ---- the single-node catalog procedures, and the models added for them on the older suites ----

def _count_is(group: str, count: int) -> Check:
    """The CPU list in ``group`` has ``count`` CPUs."""
    def check(m: re.Match[str]) -> str | None:
        n = len(_cpus(m[group]))
        return None if n == count else f"{m[group]} is {n} CPUs, expected {count}"
    return check


def _within(part: str, whole: str) -> Check:
    """The CPU list ``part`` lies within the CPU list ``whole``."""
    def check(m: re.Match[str]) -> str | None:
        return None if _cpus(m[part]) <= _cpus(m[whole]) else f"{m[part]} is not within {m[whole]}"
    return check


def _breaks_cores(pod: str) -> str:
    """The whole-core check's failure for a grant of pod ``pod`` (a regular expression), with
    any more pods named after it."""
    return (rf"integer CPUs break whole cores: (?P<pod>{pod}) broke whole free cores it did not have to: "
            rf"(?P<n>\d+) CPUs (?P<grant>{CPUS}); before it \d+ whole free cores and \d+ free threads of "
            rf"partly taken cores \((?:{CPUS}|none)\); whole cores broken: (?P<broken>{CPUS}(?:, {CPUS})*) "
            r"\(the rule allows (?P<allowed>[01])\)"
            r"(?:; so do \d+ more: [a-z0-9-]+(?:, [a-z0-9-]+)* \(the table says how\))?")


def _broke_more_than_allowed(m: re.Match[str]) -> str | None:
    """The grant has its count, and breaks more whole cores than the rule allows."""
    if len(_cpus(m["grant"])) != int(m["n"]):
        return f"grant {m['grant']} is not {m['n']} CPUs"
    broken = m["broken"].split(", ")
    return None if len(broken) > int(m["allowed"]) else f"{len(broken)} broken cores are allowed ({m['allowed']})"


def _core_failure(step: str, pod: str, example: str) -> Failure:
    return Failure(step, _breaks_cores(pod), example, (_broke_more_than_allowed,))


def _passes(model: str, why: str, *suites: str, variables: tuple[str, ...] = ()) -> tuple[Verdict, ...]:
    """The same PASS reason for ``model`` on each of ``suites``."""
    return tuple(Verdict(model, suite, None, why, variables) for suite in suites)


VERDICTS += (
    Verdict("head", "invalid", None, "the current plugin refuses every malformed annotation at creation"),
    Verdict("pre-fix", "invalid", None,
            "PRE refuses the same annotations with the same messages (its creation log line names the pod, "
            "which the suite accepts)", PRE_VARIABLES),
    *_passes("leak-on-remove", "no annotated pod ever runs, so nothing is released or leaked", "invalid"),
    *_passes("integer-one-too-many", "the procedure creates no integer pod", "invalid"),
    *_passes("integer-shared-cpu", "the procedure creates no integer pod", "invalid"),
    *_passes("restart-forgets-integer", "the procedure never restarts the plugin", "invalid"),
    *_passes("annotated-plus-one", "no annotation is valid, so none is granted", "invalid"),
    *_passes("shared-includes-integer", "no integer CPU is held while the probe pod is created", "invalid"),
    *_passes("forbid-ignored", "no pod carries weka.io/forbid-core-ids", "invalid"),
    *_passes("annotated-mems-missing", "no annotated pod is admitted", "invalid"),
    Verdict("annotation-not-validated", "invalid", Failure(
        "Step 03 Monitor Pod Status And Plugin Logs",
        r"pod invalid-annotation-pod got a container: invalid-annotation-pod: phase=Failed, "
        r"container terminated \(StartError, exit code 128\)",
        "pod invalid-annotation-pod got a container: invalid-annotation-pod: phase=Failed, container "
        "terminated (StartError, exit code 128)",
    ), "the `999` pod is admitted and the runtime fails its start: it got a container instead of being "
       "refused at creation"),
    Verdict("refused-annotation-reserves", "invalid", Failure(
        "Step 05 Verify Expected Failures",
        r"CPUs the plugin reserves for no pod is (?P<cpu>\d+), expected none; extra (?P=cpu)",
        "CPUs the plugin reserves for no pod is 0, expected none; extra 0",
    ), "the partly valid list `0,999` is refused but strands CPU 0: the probe pod's shared pool lacks it"),
    Verdict(CUSTOM_MODEL, "invalid", None, "the procedure creates no integer pod"),
    *_passes("siblings-ignored", "the procedure creates no integer pod", "invalid"),

    Verdict("head", "sibling", None, "the current plugin gives a 2-CPU pod one core's two threads"),
    Verdict("pre-fix", "sibling", None,
            "PRE allocates integer CPUs sibling-aware too (its record line is accepted as the log evidence)",
            PRE_VARIABLES),
    *_passes("leak-on-remove", "the procedure releases nothing before its checks", "sibling"),
    Verdict("integer-one-too-many", "sibling", Failure(
        "Step 04 Parse And Count Cpus",
        "integer CPUs wrong: " + _too_many("integer-sibling-test", 2, "s"),
        "integer CPUs wrong: integer-sibling-test has 3 CPUs (1,32-33), requested 2",
        one_more_than_requested("s"),
    ), "the pod's CPUs are counted as a set"),
    *_passes("integer-shared-cpu", "the model shares a CPU on the second integer admission; the procedure "
             "admits one", "sibling"),
    *_passes("restart-forgets-integer", "the procedure never restarts the plugin", "sibling"),
    *_passes("annotated-plus-one", "the procedure creates no annotated pod", "sibling"),
    *_passes("shared-includes-integer", "the procedure creates no shared pod", "sibling"),
    *_passes("forbid-ignored", "no pod carries weka.io/forbid-core-ids", "sibling"),
    *_passes("annotated-mems-missing", "the procedure creates no annotated pod", "sibling"),
    *_passes("annotation-not-validated", "the procedure creates no annotated pod", "sibling"),
    *_passes("refused-annotation-reserves", "the procedure creates no annotated pod", "sibling"),
    Verdict(CUSTOM_MODEL, "sibling", None, "the procedure deletes no integer pod before its checks"),
    Verdict("siblings-ignored", "sibling", _core_failure(
        "Step 04 Parse And Count Cpus", "integer-sibling-test",
        "integer CPUs break whole cores: integer-sibling-test broke whole free cores it did not have to: 2 CPUs 1-2; "
        "before it 32 whole free cores and 0 free threads of partly taken cores (none); whole cores broken: 1,33, "
        "2,34 (the rule allows 0)",
    ), "the two lowest free CPU numbers are threads of two different whole free cores: the integer grant's "
       "whole-core check fails before the procedure's own sibling step"),

    *_passes("impossible-move-admitted", "the procedure creates no annotated pod", "invalid", "sibling"),
    *_passes("move-off-first-conflict-only", "the procedure creates no annotated pod on an integer pod's CPUs",
             "invalid", "sibling"),

    Verdict("head", "impossible", None, "the current plugin moves the integer pod while CPUs are free and "
            "refuses the annotated pod, changing nothing, once none is"),
    Verdict("pre-fix", "impossible", Failure(
        "Step 11 Verify The Impossible Reallocation Is Refused",
        r"pod boxed-in-annotated-test was refused with 'cannot reallocate conflicting integer containers: "
        r"cannot reallocate integer container (?P<id>[0-9a-f]{64})', expected 'cannot reallocate conflicting "
        r"containers: cannot reallocate integer container (?P=id)'",
        "pod boxed-in-annotated-test was refused with 'cannot reallocate conflicting integer containers: cannot "
        "reallocate integer container 2c9a1f8f3f5462dec901e0516f881eae2f01c34becc3b6181015c2050e689bf2', expected "
        "'cannot reallocate conflicting containers: cannot reallocate integer container "
        "2c9a1f8f3f5462dec901e0516f881eae2f01c34becc3b6181015c2050e689bf2'",
    ), "PRE makes the possible move too, but words the refusal differently from the current plugin",
        PRE_VARIABLES),
    *_passes("leak-on-remove", "no annotated pod is deleted before the checks", "impossible"),
    Verdict("integer-one-too-many", "impossible", Failure(
        "Step 04 Wait For Integer Pods To Be Ready",
        accounting(r"integer-exhaust-\d+", "(?P<need>3)", leaked="", nleaked="0"),
        "accounting corruption: plugin refused pod integer-exhaust-19 with 'need 3, have 1' but 22 CPUs are "
        "really free (64 online; integer 42 by manual-impossible-e90bd40c/integer-exhaust-1=2, "
        "manual-impossible-e90bd40c/integer-exhaust-10=2; really free 22); the plugin reserves 0-62 (63 CPUs); "
        "leaked CPUs (reserved but held by no container):  (0)",
        ACCOUNTING_CHECKS,
    ), "the fill gives every pod 3 CPUs, so a later pod is refused while the pods' requests leave CPUs free "
       "(which pod depends on the admission order)"),
    Verdict("integer-shared-cpu", "impossible", Failure(
        "Step 04 Wait For Integer Pods To Be Ready",
        r"integer CPUs wrong: integer-exhaust-(?P<a>\d+) and integer-exhaust-(?P<b>\d+) share CPUs (?P<shared>\d+)",
        "integer CPUs wrong: integer-exhaust-1 and integer-exhaust-2 share CPUs 1",
        (distinct("a", "b"),),
    ), "the integer pods of the fill are checked pairwise for overlap"),
    *_passes("restart-forgets-integer", "the procedure never restarts the plugin", "impossible", "conflicts"),
    *_passes("annotated-plus-one", "annotated pods that conflict are admitted by a move (no extra CPU on that "
             "path); the one holding the last free CPUs has no free CPU left to be given", "impossible"),
    *_passes("shared-includes-integer", "the procedure creates no shared pod", "impossible", "conflicts"),
    *_passes("forbid-ignored", "no pod carries weka.io/forbid-core-ids", "impossible", "conflicts"),
    *_passes("annotated-mems-missing", "one NUMA node, and the conflicting annotated pods are admitted by a "
             "move, where no cpuset.mems is set anyway", "impossible", "conflicts"),
    *_passes("annotation-not-validated", "every annotation names online CPUs", "impossible", "conflicts"),
    *_passes("refused-annotation-reserves", "every annotation names online CPUs", "impossible", "conflicts"),
    Verdict(CUSTOM_MODEL, "impossible", None, "the procedure deletes no integer pod before its checks"),
    Verdict("siblings-ignored", "impossible", _core_failure(
        "Step 04 Wait For Integer Pods To Be Ready", r"integer-exhaust-\d+",
        "integer CPUs break whole cores: integer-exhaust-1 broke whole free cores it did not have to: 2 CPUs 1-2; "
        "before it 32 whole free cores and 0 free threads of partly taken cores (none); whole cores broken: 1,33, "
        "2,34 (the rule allows 0); so do 2 more: integer-exhaust-2, integer-exhaust-3 (the table says how)",
    ), "each 2-CPU integer pod gets the two lowest free CPU numbers, threads of two different whole free cores"),
    Verdict("siblings-ignored", "conflicts", _core_failure(
        "Step 02 Create Integer Pod With 4 Cpus", "integer-4cpu-test",
        "integer CPUs break whole cores: integer-4cpu-test broke whole free cores it did not have to: 4 CPUs 1-4; "
        "before it 32 whole free cores and 0 free threads of partly taken cores (none); whole cores broken: 1,33, "
        "2,34, 3,35, 4,36 (the rule allows 0)",
    ), "the 4-CPU integer pod gets one thread of each of four whole free cores"),
    Verdict("impossible-move-admitted", "impossible", Failure(
        "Step 11 Verify The Impossible Reallocation Is Refused",
        r"pod boxed-in-annotated-test got a container: boxed-in-annotated-test: phase=Running, Ready",
        "pod boxed-in-annotated-test got a container: boxed-in-annotated-test: phase=Running, Ready",
    ), "with no CPU free the annotated pod is admitted on the integer pod's CPUs instead of being refused"),
    Verdict("move-off-first-conflict-only", "impossible", Failure(
        "Step 07 Monitor Annotated Pod Behavior",
        rf"within 10 s these pods did not leave CPUs (?P<cpus>{CPUS}): integer-exhaust-1 still on (?P<still>{CPUS})",
        "within 10 s these pods did not leave CPUs 1,33: integer-exhaust-1 still on 33",
        (_within("still", "cpus"),),
    ), "the move avoids only the first of the two CPUs asked for, so the integer pod keeps the second"),

    Verdict("head", "conflicts", None, "the current plugin moves the integer pod off both CPUs, keeping 4"),
    Verdict("pre-fix", "conflicts", None, "one conflicting pod at a time is moved correctly by PRE too (its "
            "lost plan needs two admissions in a row)", PRE_VARIABLES),
    *_passes("leak-on-remove", "the procedure deletes nothing before its checks", "conflicts"),
    Verdict("integer-one-too-many", "conflicts", Failure(
        "Step 02 Create Integer Pod With 4 Cpus",
        "integer CPUs wrong: " + _too_many("integer-4cpu-test", 4, "i"),
        "integer CPUs wrong: integer-4cpu-test has 5 CPUs (1-2,32-34), requested 4",
        one_more_than_requested("i"),
    ), "the integer pod's count is checked as a set before the conflict"),
    *_passes("integer-shared-cpu", "the model shares a CPU on the second integer admission; the procedure "
             "admits one", "conflicts"),
    *_passes("annotated-plus-one", "the annotated pod is admitted by a move, where the model adds no CPU",
             "conflicts"),
    Verdict(CUSTOM_MODEL, "conflicts", None, "the procedure deletes no integer pod before its checks"),
    *_passes("impossible-move-admitted", "the move is possible, and possible moves are made as at HEAD",
             "conflicts"),
    Verdict("move-off-first-conflict-only", "conflicts", Failure(
        "Step 07 Verify Final Cpu Assignments",
        rf"within 10 s these pods did not leave CPUs (?P<cpus>{CPUS}): integer-4cpu-test still on (?P<still>{CPUS})",
        "within 10 s these pods did not leave CPUs 1-2: integer-4cpu-test still on 2",
        (_within("still", "cpus"), _count_is("cpus", 2)),
    ), "the move avoids only the first of the two annotated CPUs: the integer pod keeps the second"),

    # the models added for the catalog, on the older procedures
    *_passes("refused-annotation-reserves", "every annotation of the procedure is valid", "ten-step", "race"),
    *_passes("impossible-move-admitted", "no reallocation of the procedure is impossible", "ten-step", "race"),
    *_passes("move-off-first-conflict-only", "the procedure never makes the plugin move an integer container",
             "ten-step"),
    Verdict("move-off-first-conflict-only", "race", Failure(
        "Step 04 Verify The Integer Pods Moved",
        rf"within 30 s these pods did not leave CPUs (?P<cpus>{CPUS}): "
        r"(?:integer-x still on \d+(?:; integer-y still on \d+)?|integer-y still on \d+)",
        "within 30 s these pods did not leave CPUs 1-4: integer-x still on 4; integer-y still on 2",
        (_count_is("cpus", 4),),
    ), "each move avoids only the first of the two CPUs its annotated pod asks for"),
    Verdict("siblings-ignored", "ten-step", _core_failure(
        "Step 06 Verify Integer Pod Allocations", r"integer-(?:compute-[12]|drive-1)",
        "integer CPUs break whole cores: integer-compute-1 broke whole free cores it did not have to: 2 CPUs 1-2; "
        "before it 32 whole free cores and 0 free threads of partly taken cores (none); whole cores broken: 1,33, "
        "2,34 (the rule allows 0); so do 1 more: integer-compute-2 (the table says how)",
    ), "the integer pods get the lowest free CPU numbers: one thread of each of many whole free cores"),
    Verdict("siblings-ignored", "race", _core_failure(
        "Step 02 Create Integer Pods", "integer-[xy]",
        "integer CPUs break whole cores: integer-x broke whole free cores it did not have to: 4 CPUs 1-4; before it "
        "32 whole free cores and 0 free threads of partly taken cores (none); whole cores broken: 1,33, 2,34, 3,35, "
        "4,36 (the rule allows 0); so do 1 more: integer-y (the table says how)",
    ), "the 4-CPU integer pods get one thread of each of four whole free cores"),
)


# ---- models of one procedure family on the suites of another -----------------------------------

VERDICTS += (
    contract("refused-annotation-reserves", "its leak needs a refused list that is partly online (`0,999`); the "
             "contract's invalid annotations are wholly malformed or wholly offline (`999`), so nothing is "
             "stranded (the invalid-annotation procedure covers the partly valid list)"),
    contract("siblings-ignored", "integer CPUs are taken without regard to cores: every test whose integer "
             "grant could keep whole cores sees one broken",
             _core_failure(T_CLASSIFIED, "integer-(?:two|one)",
                           "integer CPUs break whole cores: integer-two broke whole free cores it did not have to: 2 "
                           "CPUs 1-2; before it 31 whole free cores and 1 free threads of partly taken cores (32); "
                           "whole cores broken: 1,33, 2,34 (the rule allows 1); so do 1 more: integer-one (the table "
                           "says how)"),
             _core_failure(T_SHARE, "integer-beside",
                           "integer CPUs break whole cores: integer-beside broke whole free cores it did not have to: "
                           "2 CPUs 1,3; before it 30 whole free cores and 2 free threads of partly taken cores "
                           "(32,34); whole cores broken: 1,33, 3,35 (the rule allows 0)"),
             _core_failure(T_INTEGER, "integer-[abc]",
                           "integer CPUs break whole cores: integer-a broke whole free cores it did not have to: 2 "
                           "CPUs 1-2; before it 32 whole free cores and 0 free threads of partly taken cores (none); "
                           "whole cores broken: 1,33, 2,34 (the rule allows 0); so do 2 more: integer-b, integer-c "
                           "(the table says how)"),
             _core_failure(T_EXISTING_SHARED, "integer-late",
                           "integer CPUs break whole cores: integer-late broke whole free cores it did not have to: 2 "
                           "CPUs 1-2; before it 32 whole free cores and 0 free threads of partly taken cores (none); "
                           "whole cores broken: 1,33, 2,34 (the rule allows 0)"),
             _core_failure(T_FORBID, "integer-forbid",
                           "integer CPUs break whole cores: integer-forbid broke whole free cores it did not have to: "
                           "2 CPUs 2,4; before it 29 whole free cores and 3 free threads of partly taken cores "
                           "(33,35,37); whole cores broken: 2,34, 4,36 (the rule allows 0)"),
             _core_failure(T_BAD_FORBID, "integer-bad-forbid",
                           "integer CPUs break whole cores: integer-bad-forbid broke whole free cores it did not have "
                           "to: 2 CPUs 1-2; before it 32 whole free cores and 0 free threads of partly taken cores "
                           "(none); whole cores broken: 1,33, 2,34 (the rule allows 0)"),
             _core_failure(T_MOVED_FORBID, "integer-fenced",
                           "integer CPUs break whole cores: integer-fenced broke whole free cores it did not have to: "
                           "2 CPUs 1-2; before it 3 whole free cores and 0 free threads of partly taken cores (none); "
                           "whole cores broken: 1,33, 2,34 (the rule allows 0)"),
             _core_failure(T_MOVE_ONE, "integer-moved",
                           "integer CPUs break whole cores: integer-moved broke whole free cores it did not have to: "
                           "2 CPUs 1-2; before it 32 whole free cores and 0 free threads of partly taken cores (none); "
                           "whole cores broken: 1,33, 2,34 (the rule allows 0)"),
             _core_failure(T_MOVE_TWO, "integer-moved",
                           "integer CPUs break whole cores: integer-moved broke whole free cores it did not have to: "
                           "4 CPUs 1-4; before it 32 whole free cores and 0 free threads of partly taken cores (none); "
                           "whole cores broken: 1,33, 2,34, 3,35, 4,36 (the rule allows 0)")),
    contract("impossible-move-admitted", "an annotated pod whose integer conflict cannot be moved is admitted "
             "instead of refused",
             Failure(T_IMPOSSIBLE, r"pod annotated-impossible is Running: the plugin did not refuse it",
                     "pod annotated-impossible is Running: the plugin did not refuse it")),
    contract("move-off-first-conflict-only", "only the first conflicting CPU is moved off: with two annotated "
             "CPUs on one integer pod, that pod keeps the second",
             Failure(T_MOVE_TWO, rf"within \d+ s these pods did not leave CPUs (?P<cpus>{CPUS}): integer-moved "
                     rf"still on \d+",
                     "within 30 s these pods did not leave CPUs 1-2: integer-moved still on 2"),
             # the pod never moves: waiting out the default 2 min only made this the slowest run
             variables=("POD_READY_TIMEOUT:30 s",)),
    *(verdict_row for model, why in (
        ("refused-annotation-reserves", "the DaemonSet procedures create no annotation that is partly offline"),
        ("impossible-move-admitted", "these procedures never put an annotated pod on an integer pod's CPUs"),
        ("move-off-first-conflict-only", "these procedures never put an annotated pod on an integer pod's CPUs"),
    ) for verdict_row in _passes(model, why, "crash-fix", "name-reservation")),
    *_passes("siblings-ignored", "the procedure creates no integer pod", "name-reservation"),
    Verdict("siblings-ignored", "crash-fix", _core_failure(
        "Step 04 Create The Stress Pods", r"stress-race-\d+",
        "integer CPUs break whole cores: stress-race-1 broke whole free cores it did not have to: 1 CPUs 4; before "
        "it 27 whole free cores and 5 free threads of partly taken cores (33-35,47-48); whole cores broken: 4,36 "
        "(the rule allows 0)",
    ), "a 1-CPU integer pod breaks a whole free core while free threads of partly taken cores are left"),
    *_passes("exit-on-removal-burst", "these procedures delete their pods without a force-deleted burst that "
             "mixes in an untracked (shared) container",
             *(suite for suite in SINGLE_NODE_CATALOG if suite != "invalid")),
    Verdict("exit-on-removal-burst", "invalid", Failure(
        "Step 01 Create Test Namespace",
        _unasked_restart(r"invalid-annotation-\w+/release-probe"),
        "Teardown failed:\nthe plugin restarted 1 times during the test, 0 of them asked for by the test; pod "
        "weka-nri-cpuset-b856j restartCount 0 -> 1, its container last ended with exit code 0 (Completed); the "
        "last plugin log lines before it: DEBUG: RemoveContainer called for unknown container 299cb5dfee81 (not in "
        "state) | DEBUG: RemoveContainer() completed successfully, releasing global allocation lock | Pod sandbox "
        "starting: invalid-annotation-3563f85e/release-probe | DEBUG: CreateContainer called for shared container "
        "invalid-annotation-3563f85e/release-probe (container 1caa940407a1) | Removing container weka-container "
        "from pod invalid-annotation-3563f85e/release-probe",
        (restarts_unasked,),
    ), "the suite setup's topology probe (a shared container the plugin does not track) opens a removal burst, "
       "and Step 01's release probe is removed in it: the plugin exits 0 there and kubelet restarts it; the step "
       "fails naming the unasked restart (update window widened to 2 s, as for ten-step)", BURST_WINDOW),
    *_passes("sync-leaves-unpinned", "no container is created while no plugin is connected in these procedures",
             *SINGLE_NODE_CATALOG),
    Verdict("realloc-splits-cores", "ten-step", None,
            "the ten-step procedure never makes the plugin move an integer container (expected PASS)"),
    Verdict("realloc-splits-cores", "race", None,
            "the race checks the moved pods' counts and that no CPU is shared, which this model keeps "
            "right; it does not check sibling pairs (expected PASS)"),
    *RELOCATE_VERDICTS,
    *DS_STATE_VERDICTS,
)


# ---- the multi-node procedures and the models of the other procedure families --------------------

_NODE_POD = r"sim-node-\d+: integer-test-ds-[a-z0-9]{5}"
VERDICTS += (
    Verdict("exit-on-removal-burst", "ds-state", Failure(
        "Step 04 Bulk Remove Annotated DaemonSets",
        _unasked_restart(r"daemonset-state-test-\w+/[\w-]+"),
        "Teardown failed:\nthe plugin restarted 1 times during the test, 0 of them asked for by the test; pod "
        "weka-nri-cpuset-ncxvs restartCount 0 -> 1, its container last ended with exit code 0 (Completed); the last "
        "plugin log lines before it: Removing container weka-container from pod "
        "daemonset-state-test-ff6214f3/client-annotated-d9xbj",
        (restarts_unasked,)),
        "the suite setup's topology probe (a container this plugin never tracks) opens a removal burst that "
        "Step 04's DaemonSet removals fall in (update window widened to 2 s, as for ten-step): the plugin exits "
        "0 and the step fails naming the unasked restart", MULTI_NODE + BURST_WINDOW),
    contract("realloc-splits-cores", "the contract's moves judge counts and that the annotated CPUs are left, "
             "not which free CPUs the moved pod lands on (the relocate procedure judges core pairing)"),
    *_passes("realloc-splits-cores", "these procedures judge counts, exclusivity and release; where a moved "
             "integer pod lands inside the free CPUs is not checked", "crash-fix", "name-reservation",
             *SINGLE_NODE_CATALOG),
    *(row for model, why in (
        ("sync-leaves-unpinned", "the plugin restart of ds-state happens while every test pod is pinned; no "
         "container is created while no plugin is connected"),
        ("refused-annotation-reserves", "no annotation is refused in these procedures"),
        ("impossible-move-admitted", "every move in these procedures has free CPUs to go to"),
    ) for row in _passes(model, why, "relocate", "ds-state")),
    *_passes("exit-on-removal-burst", "no force-deleted burst mixes in a container the plugin does not track",
             "relocate"),
    Verdict("siblings-ignored", "ds-state", _core_failure(
        "Step 06 Verify Integer Pod Allocations And Test State", r"(?:client|compute|drive)-integer-[a-z0-9]+",
        "integer CPUs break whole cores: client-integer-4zxzn broke whole free cores it did not have to: 9 CPUs 1-9; "
        "before it 32 whole free cores and 0 free threads of partly taken cores (none); whole cores broken: 1,33, "
        "2,34, 3,35, 4,36, 5,37, 6,38, 7,39, 8,40, 9,41 (the rule allows 1); so do 2 more: client-integer-dmzjr, "
        "compute-integer-5xq5b (the table says how)",
    ), "the integer DaemonSets' pods get the lowest free CPU numbers on every node: one thread of each of many "
       "whole free cores"),
    Verdict("move-off-first-conflict-only", "ds-state", None,
            "its annotated and integer DaemonSets never overlap, so nothing is moved"),
    Verdict("siblings-ignored", "relocate", Failure(
        "Step 03 Verify Initial CPU Assignments Across All Nodes",
        rf"integer pods wrong: {_NODE_POD} has {CPUS}, not whole cores, although whole cores were free"
        rf"(?:; {_NODE_POD} has {CPUS}, not whole cores, although whole cores were free)*",
        "integer pods wrong: sim-node-1: integer-test-ds-75fjc has 1-2, not whole cores, although whole cores "
        "were free; sim-node-2: integer-test-ds-cnjrn has 1-2, not whole cores, although whole cores were free; "
        "sim-node-3: integer-test-ds-9k7x2 has 1-2, not whole cores, although whole cores were free"),
        "the 2-CPU integer pods get two threads of different cores while whole cores are free"),
    Verdict("move-off-first-conflict-only", "relocate", Failure(
        "Step 05 Verify Live Reallocation Results Across All Nodes",
        rf"relocation wrong: sim-node-\d+: integer pod \({CPUS}\) and annotated pod share CPUs {CPUS}"
        rf"(?:; sim-node-\d+: integer pod \({CPUS}\) and annotated pod share CPUs {CPUS})*",
        "relocation wrong: sim-node-1: integer pod (32-33) and annotated pod share CPUs 33; sim-node-2: integer "
        "pod (32-33) and annotated pod share CPUs 33; sim-node-3: integer pod (32-33) and annotated pod share "
        "CPUs 33"),
        "only the first conflicting CPU is moved off, so the integer pod keeps the second annotated CPU"),
)


def verdict(model: str, suite: str) -> Verdict:
    for v in VERDICTS:
        if (v.model, v.suite) == (model, suite):
            return v
    raise KeyError(f"no verdict for model {model!r} on suite {suite!r}")


def skip_message(failed_step: str) -> str:
    return f"Skipped: previous step '{failed_step}' did not pass"


def expected_results(v: Verdict) -> list[Expected]:
    """The status (and message pattern) of every test of the suite under verdict ``v``."""
    tests = SUITES[v.suite].tests
    if not SUITES[v.suite].chain:
        if v.failure is not None:
            raise ValueError(f"{v.model} x {v.suite}: independent tests take failures=, not failure=")
        failing = {f.step: f for f in v.failures}
        unknown = set(failing) - set(tests)
        if unknown:
            raise ValueError(f"{v.model} x {v.suite}: no such tests {sorted(unknown)}")
        return [Expected(t, "FAIL", failing[t].pattern, failing[t].checks) if t in failing else Expected(t, "PASS")
                for t in tests]
    if v.failures:
        raise ValueError(f"{v.model} x {v.suite}: a chain suite takes failure=, not failures=")
    if v.failure is None:
        return [Expected(t, "PASS") for t in tests]
    failing = tests.index(v.failure.step)
    return ([Expected(t, "PASS") for t in tests[:failing]]
            + [Expected(v.failure.step, "FAIL", v.failure.pattern, v.failure.checks)]
            + [Expected(t, "SKIP", re.escape(skip_message(v.failure.step))) for t in tests[failing + 1:]])


def problems(expected: Expected, message: str) -> list[str]:
    """Why ``message`` does not satisfy ``expected`` (empty when it does)."""
    if expected.message is None:
        return []
    match = re.fullmatch(expected.message, message)
    if match is None:
        return [f"{expected.test}: message {message!r} does not match {expected.message!r}"]
    return [f"{expected.test}: {p}" for p in (c(match) for c in expected.checks) if p]


# ---- the doc ------------------------------------------------------------------------------

def _cell(v: Verdict) -> str:
    if not SUITES[v.suite].chain:
        if not v.failures:
            return f"PASS (all {len(SUITES[v.suite].tests)})"
        passed = len(SUITES[v.suite].tests) - len(v.failures)
        defects = [LABELS.get(f.step, f.step) for f in v.failures if not f.deviation]
        waived = [LABELS.get(f.step, f.step) for f in v.failures if f.deviation]
        said = [f"FAIL {', '.join(defects)}"] if defects else ["gate PASS"]
        head = [LABELS.get(f.step, f.step) for f in HEAD_DEVIATIONS]
        if waived and waived == head and v.model != "head":
            said.append(f"waived: head's {len(waived)}")
        elif waived:
            said.append(f"waived: {', '.join(waived)}")
        return "; ".join(said) + f"; {passed} PASS"
    if v.failure is None:
        return f"PASS (all {len(SUITES[v.suite].tests)})"
    tests = SUITES[v.suite].tests
    i = tests.index(v.failure.step)
    step = v.failure.step.split()[1]
    later = f", {len(tests) - i - 1} later SKIP" if i + 1 < len(tests) else ""
    return f"FAIL at Step {step}{later}"


def table_groups() -> tuple[tuple[str, ...], ...]:
    """The suites of each table: the single-node catalog has its own (keeps tables readable)."""
    return (tuple(s for s in SUITES if s not in SINGLE_NODE_CATALOG), SINGLE_NODE_CATALOG)


def render_table(suites: tuple[str, ...] | None = None) -> list[str]:
    """The models x suites table (markdown lines), as docs/verdicts.md and the README show it;
    ``suites``: the columns (default: the first table's)."""
    models = list(dict.fromkeys(v.model for v in VERDICTS))
    suites = list(suites if suites is not None else table_groups()[0])
    lines = ["| Model | " + " | ".join(suites) + " |", "|---|" + "---|" * len(suites)]
    for model in models:
        lines.append(f"| `{model}` | " + " | ".join(_cell(verdict(model, s)) for s in suites) + " |")
    return lines


def render_markdown() -> str:
    models = list(dict.fromkeys(v.model for v in VERDICTS))
    suites = list(SUITES)
    lines = [
        "# What the suites prove",
        "",
        "Generated from `tests/robot/verdicts.py` (`PYTHONPATH=tests/support python tests/robot/verdicts.py > docs/verdicts.md`);",
        "`tests/robot/test_verdicts.py` runs every suite against every plugin model of the simulated",
        "cluster, enforces every test's status and the failing test's message, and checks that this",
        "file equals the rendering of the table it enforces.",
        "",
        "Suites: " + "; ".join(f"**{s}** = `{SUITES[s].path}` ({len(SUITES[s].tests)} tests)" for s in suites) + ".",
        "In a procedure suite, tests before the failing one pass; every later test is skipped with",
        "the message `Skipped: previous step '<failing test>' did not pass`. The tests of the contract",
        "suite are independent: the tests named in its cell fail, every other test passes. *waived* names",
        "failures of known deviations of the upstream plugin from its requirements",
        "(resources/accepted-deviations.yaml, docs/requirements.md), which the release gate waives by name",
        "(the enforcing test checks the gate agrees; *head's N*: the same tests as on `head`, failing the same",
        "way); *FAIL* names defects, which fail the gate. Its cells use",
        "short names: " + "; ".join(f"*{label}* = {test}" for test, label in LABELS.items()) + ".",
        *(line for group in table_groups() for line in ("", *render_table(group))),
    ]
    lines += ["", "## Why, and the failure messages", ""]
    for v in VERDICTS:
        lines.append(f"- `{v.model}` x **{v.suite}**: {_cell(v)} — {v.why}.")
        for failure in v.all_failures:
            if v.model != "head" and failure in HEAD_DEVIATIONS:
                continue  # the same failure as on head, listed there
            waived = f" (accepted deviation `{failure.deviation}`)" if failure.deviation else ""
            lines.append(f"  - `{failure.step}`{waived} message (observed): `{failure.example}`")
    lines += ["", "Pods created together are admitted in an order the node chooses, so which pod is named",
              "and which CPUs are listed can vary between runs; the enforced patterns accept each order",
              "and check the figures against each other (a list's length equals its count, the plugin's",
              "free figure is below the need and the real one is not, ...).",
              "", "Run it: `python -m pytest tests/robot/test_verdicts.py -q` (36 runs, two at a time: about 4.5 min on 2 cores).",
              "", f"`{CUSTOM_MODEL}` is a user's model in `tests/robot/custom_model/`, loaded by",
              "`-v PLUGIN_MODEL:" + CUSTOM_MODEL + "` with that directory on `PYTHONPATH`.", ""]
    lines += [*MEASURED_BINARIES[1:], ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
