"""The verdict table: what every suite must report against every plugin model.

One source for ``test_verdicts.py`` (which runs each suite against each model and enforces
the table) and for ``docs/verdicts.md`` (rendered by :func:`render_markdown`; a test checks
the file equals the rendering). Regenerate the doc with::

    python tests/robot/verdicts.py > docs/verdicts.md

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "libraries"))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from CpusetLibrary.cpusets import parse_cpu_list  # noqa: E402
from suite_steps import STATE_CORRUPTION, STATE_CORRUPTION_STEPS  # noqa: E402

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


@dataclass(frozen=True)
class Failure:
    step: str
    pattern: str
    example: str  # a message observed in a real run; must match ``pattern``
    checks: tuple[Check, ...] = ()


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
T_EXISTING_SHARED = "Existing Shared Pods Keep Their Cpus When Exclusive Cpus Are Granted"
T_FORBID = "Integer And Shared Pods Avoid Their Forbidden Cpus"
T_ANNOTATED_FORBID = "Annotated Pods Ignore Forbidden Cpus"
T_INVALID = "Invalid Annotations Are Refused With The Plugin's Messages And Reserve Nothing"
T_EMPTY = "An Empty Annotation Runs Unpinned"
T_MEMS = "Memory Nodes Follow The Cpus Of Annotated Pods"
T_MOVE_ONE = "Live Reallocation Of One Cpu"
T_MOVE_TWO = "Live Reallocation Of Two Cpus"
T_IMPOSSIBLE = "An Impossible Reallocation Is Refused And Changes Nothing"
T_EXHAUSTION = "Exhaustion Is Refused With The Real Free Count"
T_RELEASED = "Deleted Pods' Cpus Are Free Again"
T_RESTART = "A Restart Keeps Every Container's Cpus"
#: short names of the contract's tests in the table (the doc lists them)
LABELS = {T_CLASSIFIED: "classes", T_LISTS: "annotated", T_SHARE: "sharing", T_INTEGER: "integer", T_POOL: "pool",
          T_EXISTING_SHARED: "old shared", T_FORBID: "forbid", T_ANNOTATED_FORBID: "annotated forbid",
          T_INVALID: "invalid", T_EMPTY: "empty annotation", T_MEMS: "mems", T_MOVE_ONE: "move 1", T_MOVE_TWO: "move 2",
          T_IMPOSSIBLE: "impossible move", T_EXHAUSTION: "exhaustion", T_RELEASED: "released", T_RESTART: "restart"}
CONTRACT_TESTS = (T_CLASSIFIED, T_LISTS, T_SHARE, T_INTEGER, T_POOL, T_EXISTING_SHARED, T_FORBID, T_ANNOTATED_FORBID,
                  T_INVALID, T_EMPTY, T_MEMS, T_MOVE_ONE, T_MOVE_TWO, T_IMPOSSIBLE, T_EXHAUSTION, T_RELEASED, T_RESTART)

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
    )
}

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


def contract(model: str, why: str, *failures: Failure, variables: tuple[str, ...] = ()) -> Verdict:
    return Verdict(model, "contract", None, why, CONTRACT_VARIABLES + variables, failures)


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
    contract("head", "the current plugin keeps every behaviour of the contract"),
    contract("pre-fix", "PRE refuses an empty annotation (`failed to record annotated container: no CPU list in "
             "adjustment`; HEAD runs it unpinned) and words an impossible reallocation `cannot reallocate "
             "conflicting integer containers: ...`, where the contract asserts HEAD's behaviour and exact message. "
             "Its single moves, exhaustion figures and restart keep the contract (the lost plan of two moves "
             "at once is the race suite's)",
             Failure(T_EMPTY,
                     r"pod annotated-empty cannot start: runtime refused pod annotated-empty: failed to create "
                     r"containerd container: failed to get NRI adjustment for container: rpc error: code = Unknown "
                     r"desc = failed to record annotated container: no CPU list in adjustment",
                     "pod annotated-empty cannot start: runtime refused pod annotated-empty: failed to create "
                     "containerd container: failed to get NRI adjustment for container: rpc error: code = Unknown "
                     "desc = failed to record annotated container: no CPU list in adjustment"),
             Failure(T_IMPOSSIBLE,
                     r"pod annotated-impossible was refused with 'cannot reallocate conflicting integer containers: "
                     r"cannot reallocate integer container (?P<id>[0-9a-f]{64})', expected 'cannot reallocate "
                     r"conflicting containers: cannot reallocate integer container (?P=id)'",
                     "pod annotated-impossible was refused with 'cannot reallocate conflicting integer containers: "
                     "cannot reallocate integer container b31c4707e3fe95089a1fe597d6337f76bf20a817a4373e9f3be298d47426a953', "
                     "expected 'cannot reallocate conflicting containers: cannot reallocate integer container "
                     "b31c4707e3fe95089a1fe597d6337f76bf20a817a4373e9f3be298d47426a953'"),
             variables=PRE_VARIABLES),
    contract("leak-on-remove", "the released annotated CPUs 0-3 stay reserved; every teardown's probe sees a leak "
             "and restarts the plugin, so no other test fails",
             Failure(T_RELEASED, r"CPUs the plugin reserves for no pod is 0-3, expected none; extra 0-3",
                     "CPUs the plugin reserves for no pod is 0-3, expected none; extra 0-3")),
    contract("integer-one-too-many", "every test that checks an integer pod's count fails (the exhaustion test: "
             "the plugin needs one more than the pod asks for)",
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
                     "not match '.*insufficient free CPUs: need 33, have 32(?: \\(reserved: \\[[0-9 ]*\\]\\))?'")),
    contract("integer-shared-cpu", "the model shares a CPU on the plugin's second integer admission only: the "
             "first test's second integer pod",
             Failure(T_CLASSIFIED, r"integer CPUs wrong: integer-one and integer-two share CPUs (?P<shared>\d+)",
                     "integer CPUs wrong: integer-one and integer-two share CPUs 1")),
    contract("restart-forgets-integer", "after the restart the plugin's log must show the integer container "
             "synchronized",
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
             Failure(T_ANNOTATED_FORBID, "annotated CPUs wrong: " + _plus_one("annotated-forbid", "1,3", "a"),
                     "annotated CPUs wrong: annotated-forbid has 0-1,3 but annotation '1,3' is 1,3; extra 0",
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
    contract(CUSTOM_MODEL, "the user's model never releases integer CPUs: the deleted integer pod's 4 CPUs stay "
             "reserved (every teardown's probe restarts the plugin, so no other test fails)",
             Failure(T_RELEASED, rf"CPUs the plugin reserves for no pod is (?P<leak>{CPUS}), expected none; "
                     rf"extra (?P=leak)",
                     "CPUs the plugin reserves for no pod is 32-35, expected none; extra 32-35",
                     (cpu_count("leak", 4),))),
    contract("shared-includes-integer", "new shared containers get integer CPUs: every test comparing a shared "
             "pod with the shared pool fails; after a restart Synchronize gives the shared pod the right pool",
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
             Failure(T_RESTART, rf"CPUs changed: shared-restart has (?P<now>{CPUS}) but before is (?P<before>{CPUS}); "
                     rf"missing (?P<missing>{CPUS})",
                     "CPUs changed: shared-restart has 2-31,34-63 but before is 2-63; missing 32-33",
                     (difference_is("before", "missing", "now"), cpu_count("missing", 2)))),
    contract("forbid-ignored", "weka.io/forbid-core-ids is checked for an integer and a shared pod",
             Failure(T_FORBID, r"forbidden CPUs used: integer-forbid runs on forbidden CPUs 1 \(forbid-core-ids "
                     r"1,3,5\); shared-forbid runs on forbidden CPUs 0,2,4 \(forbid-core-ids 0,2,4\)",
                     "forbidden CPUs used: integer-forbid runs on forbidden CPUs 1 (forbid-core-ids 1,3,5); "
                     "shared-forbid runs on forbidden CPUs 0,2,4 (forbid-core-ids 0,2,4)")),
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
        return "FAIL " + ", ".join(LABELS.get(f.step, f.step) for f in v.failures) + f"; {passed} PASS"
    if v.failure is None:
        return f"PASS (all {len(SUITES[v.suite].tests)})"
    tests = SUITES[v.suite].tests
    i = tests.index(v.failure.step)
    step = v.failure.step.split()[1]
    later = f", {len(tests) - i - 1} later SKIP" if i + 1 < len(tests) else ""
    return f"FAIL at Step {step}{later}"


def render_table() -> list[str]:
    """The models x suites table (markdown lines), as docs/verdicts.md and the README show it."""
    models = list(dict.fromkeys(v.model for v in VERDICTS))
    suites = list(SUITES)
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
        "Generated from `tests/robot/verdicts.py` (`python tests/robot/verdicts.py > docs/verdicts.md`);",
        "`tests/robot/test_verdicts.py` runs every suite against every plugin model of the simulated",
        "cluster, enforces every test's status and the failing test's message, and checks that this",
        "file equals the rendering of the table it enforces.",
        "",
        "Suites: " + "; ".join(f"**{s}** = `{SUITES[s].path}` ({len(SUITES[s].tests)} tests)" for s in suites) + ".",
        "In a procedure suite, tests before the failing one pass; every later test is skipped with",
        "the message `Skipped: previous step '<failing test>' did not pass`. The tests of the contract",
        "suite are independent: the tests named in its cell fail, every other test passes. Its cells use",
        "short names: " + "; ".join(f"*{label}* = {test}" for test, label in LABELS.items()) + ".",
        "",
        *render_table(),
    ]
    lines += ["", "## Why, and the failure messages", ""]
    for v in VERDICTS:
        lines.append(f"- `{v.model}` x **{v.suite}**: {_cell(v)} — {v.why}.")
        for failure in v.all_failures:
            lines.append(f"  - `{failure.step}` message (observed): `{failure.example}`")
    lines += ["", "Pods created together are admitted in an order the node chooses, so which pod is named",
              "and which CPUs are listed can vary between runs; the enforced patterns accept each order",
              "and check the figures against each other (a list's length equals its count, the plugin's",
              "free figure is below the need and the real one is not, ...).",
              "", "Run it: `python -m pytest tests/robot/test_verdicts.py -q` (36 runs, two at a time: about 4.5 min on 2 cores).",
              "", f"`{CUSTOM_MODEL}` is a user's model in `tests/robot/custom_model/`, loaded by",
              "`-v PLUGIN_MODEL:" + CUSTOM_MODEL + "` with that directory on `PYTHONPATH`.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
