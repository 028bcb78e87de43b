"""The relocate-CPU suite (several nodes), run through robot on a 3-node simulated cluster
(fast profile): it passes on ``head`` at 16, 64 and 128 CPUs and on chosen nodes, stops in
suite setup naming a bad node, and removes the run's node label also when a step fails."""
from __future__ import annotations

import pytest
from suite_steps import RELOCATE_CPU, RELOCATE_CPU_STEPS

pytestmark = pytest.mark.suite


@pytest.mark.parametrize("cpus", [16, 64, 128])
def test_every_step_passes_on_head_on_three_nodes(robot_run, cpus):
    run = robot_run("--variable", f"SIM_CPUS:{cpus}", "--variable", "SIM_NODES:3", suite=RELOCATE_CPU)
    assert [run.status(step) for step in RELOCATE_CPU_STEPS] == ["PASS"] * 7, run.statuses
    assert run.rc == 0
    log = (run.outdir / "output.xml").read_text()
    for node in ("sim-node-1", "sim-node-2", "sim-node-3"):
        assert node in log


def test_the_nodes_can_be_named(robot_run):
    run = robot_run("--variable", "SIM_NODES:3", "--variable", "RUN_NODES:sim-node-3,sim-node-1",
                    suite=RELOCATE_CPU)
    assert [run.status(step) for step in RELOCATE_CPU_STEPS] == ["PASS"] * 7, run.statuses
    assert "Nodes of the run: sim-node-1, sim-node-3" in (run.outdir / "output.xml").read_text()


def test_a_node_that_does_not_exist_stops_in_suite_setup(robot_run):
    run = robot_run("--variable", "SIM_NODES:2", "--variable", "RUN_NODES:sim-node-2 sim-node-9",
                    suite=RELOCATE_CPU)
    assert all(status == "FAIL" for status, _ in run.statuses.values())
    assert "RUN_NODES: node 'sim-node-9' does not exist" in run.suite_message, run.suite_message


def test_the_label_is_removed_when_a_step_fails(robot_run):
    run = robot_run("--variable", "SIM_NODES:3", "--variable", "PLUGIN_MODEL:integer-one-too-many",
                    suite=RELOCATE_CPU)
    assert run.status(RELOCATE_CPU_STEPS[2]) == "FAIL"
    log = (run.outdir / "output.xml").read_text()
    assert "Label nri-cpuset-acceptance/relocate-cpu removed from: sim-node-1, sim-node-2, sim-node-3" in log


def test_a_bad_node_count_stops_in_suite_setup_naming_it(robot_run):
    run = robot_run("--variable", "SIM_NODES:0", suite=RELOCATE_CPU)
    assert all(status == "FAIL" for status, _ in run.statuses.values())
    assert "SIM_NODES '0' is not a whole number >= 1" in run.suite_message, run.suite_message
