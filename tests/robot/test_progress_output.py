"""A wait longer than a few seconds says on the console what it waits for and what it sees
(issue 11, point 8)."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.suite

SUITE = "suites/annotated_pod_state_corruption.robot"


def test_long_waits_print_what_they_wait_for_and_see(robot_run):
    # realistic latencies: a pod whose `sleep` ignores SIGTERM stays Terminating for its grace period
    run = robot_run("-v", "LATENCY_PROFILE:realistic", "-v", "DELETE_GRACE_PERIOD:8",
                    suite="tests/robot/robotdata/slow_deletion.robot")
    assert run.rc == 0, (run.suite_message, run.statuses)
    lines = [line for line in run.stdout.splitlines() if "waiting up to" in line]
    assert lines, run.stdout
    pods = [line for line in lines if re.search(r"waiting up to 60 s for pods sleeper .*\(\d+ s so far\): "
                                                r"Terminating: sleeper", line)]
    assert pods, lines
    released = [line for line in lines if re.search(
        r"waiting up to 60 s for the plugin to release slow-release \(RemoveContainer in its log\) \(\d+ s so far\): "
        r"0 of 1 containers released; not yet: slow-release \(container \S+\)", line)]
    assert released, lines


def test_a_fast_run_stays_quiet(robot_run):
    run = robot_run("--test", "Step 0[1-4]*", suite=SUITE)
    assert run.rc == 0
    assert "waiting up to" not in run.stdout
