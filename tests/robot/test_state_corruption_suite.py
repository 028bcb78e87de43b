"""The ten-step suite, run through robot against the simulated cluster."""
from __future__ import annotations

import pytest
from suite_steps import STATE_CORRUPTION, STATE_CORRUPTION_STEPS

pytestmark = pytest.mark.suite

STEPS = list(STATE_CORRUPTION_STEPS)
SUITE = STATE_CORRUPTION


def test_every_step_passes_on_the_head_model(robot_run):
    run = robot_run(suite=SUITE)
    assert [run.status(step) for step in STEPS] == ["PASS"] * 10, run.statuses
    assert run.rc == 0
    out = run.outdir
    log = (out / "log.html").read_text()
    assert "<svg" in log  # the CPU map is in the log
    assert (out / "evidence").is_dir() and any((out / "evidence").iterdir())


@pytest.mark.parametrize("cpus", [16, 128])
def test_the_suite_scales_to_other_node_sizes(robot_run, cpus):
    run = robot_run("--variable", f"SIM_CPUS:{cpus}", suite=SUITE)
    assert [run.status(step) for step in STEPS] == ["PASS"] * 10, run.statuses


def test_a_node_too_small_stops_in_suite_setup(robot_run):
    run = robot_run("--variable", "SIM_CPUS:8", suite=SUITE)
    assert all(status == "FAIL" for status, _ in run.statuses.values())
    assert "Parent suite setup failed" in run.message(STEPS[0])
    assert "8" in run.suite_message and "CPU" in run.suite_message


def test_dry_run_needs_no_cluster(robot_run):
    run = robot_run("--dryrun")
    assert run.rc == 0, run.stdout


@pytest.mark.parametrize("variable, named", [
    ("POD_READY_TIMEOUT:soon", "POD_READY_TIMEOUT 'soon' is not a positive time"),
    ("SIM_CPUS:abc", "SIM_CPUS 'abc' is not what the simulated cluster supports"),
    ("DELETE_GRACE_PERIOD:-1", "DELETE_GRACE_PERIOD '-1' is not a whole number >= 0"),
    ("NODE_ACCESS:bogus", "NODE_ACCESS 'bogus' is not a node access kind; expected one of local, ssh, daemonset"),
    ("LATENCY_PROFILE:slow", "LATENCY_PROFILE 'slow' is not a latency profile; expected one of fast, realistic"),
])
def test_a_bad_run_variable_stops_in_suite_setup_naming_it(robot_run, variable, named):
    run = robot_run("--variable", variable, suite=SUITE)
    assert all(status == "FAIL" for status, _ in run.statuses.values())
    assert named in run.suite_message, run.suite_message
    assert not (run.outdir / "evidence").exists()
