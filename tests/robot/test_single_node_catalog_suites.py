"""The single-node catalog procedures (invalid annotation, sibling core allocation, impossible
reallocation, multiple CPU conflicts), run through robot on the simulated cluster (fast
profile): every step passes on the ``head`` model at 16, 64 and 128 CPUs, and with a shuffled
map order and offline CPUs; the sibling suite says so on a node without SMT."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.suite

SUITES = {
    "suites/invalid_annotation_test.robot": 6,
    "suites/sibling_core_allocation_test.robot": 7,
    "suites/impossible_reallocation_test.robot": 12,
    "suites/multiple_cpu_conflicts.robot": 8,
}




def _failures(run) -> dict[str, str]:
    return {name: message for name, (status, message) in run.statuses.items() if status != "PASS"}


@pytest.mark.parametrize("cpus", [16, 64, 128])
@pytest.mark.parametrize("suite", list(SUITES))
def test_every_step_passes_on_head(robot_run, suite, cpus):
    run = robot_run("--variable", f"SIM_CPUS:{cpus}", suite=suite)
    assert len(run.statuses) == SUITES[suite], run.statuses
    assert not _failures(run), (run.suite_message, _failures(run))
    assert run.rc == 0


@pytest.mark.parametrize("suite", list(SUITES))
def test_every_step_passes_with_a_shuffled_map_order_and_offline_cpus(robot_run, suite):
    run = robot_run("--variable", "SIM_SHUFFLE_MAP_ORDER:True", "--variable", "SIM_MAP_ORDER_SEED:7",
                    "--variable", "SIM_OFFLINE_CPUS:5,7", suite=suite)
    assert not _failures(run), (run.suite_message, _failures(run))


def test_the_sibling_step_says_when_the_node_has_no_smt(robot_run):
    run = robot_run("--variable", "SIM_THREADS_PER_CORE:1", "--variable", "SIM_CPUS:16",
                    suite="suites/sibling_core_allocation_test.robot")
    assert not _failures(run), _failures(run)
    assert run.message("Step 05 Verify Sibling Core Relationship") == (
        "The node has one thread per core (no SMT): no sibling pairing to check; exclusivity and count "
        "checked only.")


def test_the_sibling_step_names_the_core_on_an_smt_node(robot_run):
    run = robot_run("--variable", "SIM_CPUS:16", suite="suites/sibling_core_allocation_test.robot")
    assert run.message("Step 05 Verify Sibling Core Relationship") == (
        "integer-sibling-test has 1,9: threads of the core 1,9")
