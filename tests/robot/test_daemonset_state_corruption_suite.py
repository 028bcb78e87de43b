"""The DaemonSet state-corruption suite, run through robot on a 3-node simulated cluster (fast
profile): it passes on ``head`` at 16, 64 and 128 CPUs, sizes memory from the nodes, stops in
suite setup naming a node that cannot run it, and removes its node label when a step fails."""
from __future__ import annotations

import pytest
from suite_steps import DAEMONSET_STATE_CORRUPTION as SUITE
from suite_steps import DAEMONSET_STATE_CORRUPTION_STEPS as STEPS

pytestmark = pytest.mark.suite


@pytest.mark.parametrize("cpus", [16, 64, 128])
def test_every_step_passes_on_head_on_three_nodes(robot_run, cpus):
    run = robot_run("--variable", f"SIM_CPUS:{cpus}", "--variable", "SIM_NODES:3", suite=SUITE)
    assert [run.status(step) for step in STEPS] == ["PASS"] * 10, run.statuses
    assert run.rc == 0
    output = (run.outdir / "output.xml").read_text()
    assert "Nodes of the run: sim-node-1, sim-node-2, sim-node-3" in output
    assert "DaemonSet state-corruption plan at scale" in output


def test_a_node_too_small_stops_in_suite_setup(robot_run):
    run = robot_run("--variable", "SIM_CPUS:8", "--variable", "SIM_NODES:2", suite=SUITE)
    assert all(status == "FAIL" for status, _ in run.statuses.values())
    assert "node sim-node-1 too small" in run.suite_message and "8 online CPUs" in run.suite_message


def test_the_label_is_removed_when_a_step_fails(robot_run):
    run = robot_run("--variable", "SIM_NODES:2", "--variable", "PLUGIN_MODEL:integer-one-too-many", suite=SUITE)
    assert run.status(STEPS[5]) == "FAIL", run.statuses
    output = (run.outdir / "output.xml").read_text()
    assert "Label nri-cpuset-acceptance/daemonset-state removed from: sim-node-1, sim-node-2" in output
