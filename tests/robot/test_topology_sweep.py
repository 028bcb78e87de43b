"""Every suite passes on a correct plugin (``head``) past the node shape it was written on (the
contract: every test passes or fails as one of the upstream plugin's accepted deviations): with
offline CPUs at 64 CPUs (5, 7 and 40: three cores left with one online thread, and the capacity
counting 61 while CPU 63 is online), and at 48 CPUs on 2 NUMA nodes with CPU 3 offline. The
contract and the ten-step procedure also on a node without SMT, and the reallocation race at 16
and 128 CPUs (the other suites' 16 and 128 CPU runs are in their own test modules). One run per
suite and topology; a suite's failures are reported with their messages."""
from __future__ import annotations

import pytest

from test_plugin_contract_suite import SUITE as CONTRACT, _only_accepted_deviations_fail

pytestmark = pytest.mark.suite

OFFLINE_64 = ("SIM_OFFLINE_CPUS:5,7,40",)
NUMA_48_OFFLINE = ("SIM_CPUS:48", "SIM_NUMA_NODES:2", "SIM_OFFLINE_CPUS:3")
NO_SMT = ("SIM_THREADS_PER_CORE:1",)

#: suite -> its number of tests
SUITES = {
    "suites/annotated_pod_state_corruption.robot": 10,
    "suites/annotated_reallocation_race.robot": 7,
    "suites/containerd_name_reservation_crash.robot": 4,
    "suites/daemonset_state_corruption.robot": 10,
    "suites/impossible_reallocation_test.robot": 12,
    "suites/invalid_annotation_test.robot": 6,
    "suites/multiple_cpu_conflicts.robot": 8,
    "suites/plugin_contract.robot": 25,
    "suites/plugin_crash_fix.robot": 8,
    "suites/relocate_cpu.robot": 7,
    "suites/sibling_core_allocation_test.robot": 7,
}

RUNS = [
    *(pytest.param(suite, OFFLINE_64, id=f"{suite.split('/')[1][:-6]}-offline-5-7-40") for suite in SUITES),
    *(pytest.param(suite, NUMA_48_OFFLINE, id=f"{suite.split('/')[1][:-6]}-48-numa2-offline-3") for suite in SUITES),
    *(pytest.param(suite, NO_SMT, id=f"{suite.split('/')[1][:-6]}-no-smt")
      for suite in ("suites/plugin_contract.robot", "suites/annotated_pod_state_corruption.robot")),
    *(pytest.param("suites/annotated_reallocation_race.robot", (f"SIM_CPUS:{cpus}",), id=f"race-{cpus}")
      for cpus in (16, 128)),
]


def test_the_sweep_covers_every_suite():
    from robot_runner import ROOT

    assert sorted(SUITES) == sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "suites").glob("*.robot"))


@pytest.mark.parametrize("suite, variables", RUNS)
def test_every_test_passes_on_head(robot_run, suite, variables):
    run = robot_run(*(arg for variable in variables for arg in ("--variable", variable)), suite=suite)
    assert len(run.statuses) == SUITES[suite], run.statuses
    if suite == CONTRACT:
        _only_accepted_deviations_fail(run)  # the release gate waives them, and only them
        return
    failed = {name: message for name, (status, message) in run.statuses.items() if status != "PASS"}
    assert not failed, (run.suite_message, failed)
    assert run.rc == 0
