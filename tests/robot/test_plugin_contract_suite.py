"""The plugin contract suite, run through robot on the simulated cluster (fast profile): on the
``head`` model every test passes or fails as an accepted deviation of the upstream plugin (the
release gate waives it, and only it), at 16, 64 and 128 CPUs with 1 and 2 NUMA nodes, and with
offline CPUs and a shuffled map order (the suite must not depend on one walk order)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.suite

SUITE = "suites/plugin_contract.robot"


def _only_accepted_deviations_fail(run) -> None:
    """The release gate passes the run, naming accepted deviations for every failure (none else)."""
    failed = {name: message for name, (status, message) in run.statuses.items() if status != "PASS"}
    gate = subprocess.run([str(Path(sys.executable).with_name("nricpuset-gate")), str(run.outdir / "output.xml")],
                          capture_output=True, text=True)
    assert gate.returncode == 0, (gate.stdout, failed)
    assert "not an accepted deviation" not in gate.stdout
    assert all("accepted deviation" in gate.stdout and name in gate.stdout for name in failed), gate.stdout


@pytest.mark.parametrize("cpus", [16, 64, 128])
@pytest.mark.parametrize("numa_nodes", [1, 2])
def test_every_contract_test_passes_on_head_or_is_an_accepted_deviation(robot_run, cpus, numa_nodes):
    run = robot_run("--variable", f"SIM_CPUS:{cpus}", "--variable", f"SIM_NUMA_NODES:{numa_nodes}", suite=SUITE)
    assert len(run.statuses) >= 15
    _only_accepted_deviations_fail(run)


def test_the_contract_holds_with_offline_cpus_and_a_shuffled_map_order(robot_run):
    run = robot_run("--variable", "SIM_OFFLINE_CPUS:5,7", "--variable", "SIM_SHUFFLE_MAP_ORDER:True",
                    "--variable", "SIM_MAP_ORDER_SEED:11", suite=SUITE)
    _only_accepted_deviations_fail(run)


def test_one_contract_test_runs_alone(robot_run):
    """Tests are independent: one selected test sets up and cleans up on its own."""
    run = robot_run("--test", "Memory Nodes Follow The Cpus Of Annotated Pods", suite=SUITE)
    assert [status for status, _ in run.statuses.values()] == ["PASS"], run.statuses


def test_a_node_too_small_stops_in_suite_setup_naming_the_numbers(robot_run):
    run = robot_run("--variable", "SIM_CPUS:8", suite=SUITE)
    assert all(status == "FAIL" for status, _ in run.statuses.values())
    assert "TARGET_NODE has 8 online CPUs (0-7); the contract suite needs at least 16" in run.suite_message
