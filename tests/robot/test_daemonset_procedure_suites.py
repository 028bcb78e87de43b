"""The procedures for the DaemonSet-deployed plugin, run through robot on the simulated cluster
(fast profile, plugin reached through its pod): every step passes on ``head`` at 16, 64 and 128
CPUs, and a native plugin (NODE_ACCESS ssh) is refused in suite setup with the reason."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.suite

CRASH_FIX = "suites/plugin_crash_fix.robot"


@pytest.mark.parametrize("cpus", [16, 64, 128])
def test_plugin_crash_fix_passes_on_head(robot_run, cpus):
    run = robot_run("--variable", f"SIM_CPUS:{cpus}", "--variable", "NODE_ACCESS:daemonset", suite=CRASH_FIX)
    assert len(run.statuses) == 8
    failed = {name: message for name, (status, message) in run.statuses.items() if status != "PASS"}
    assert not failed, failed
    assert run.rc == 0


def test_plugin_crash_fix_scales_the_annotated_cpus(robot_run):
    run = robot_run("--variable", "SIM_CPUS:16", "--variable", "NODE_ACCESS:daemonset", "--loglevel", "INFO",
                    suite=CRASH_FIX)
    assert run.rc == 0, run.statuses
    assert "Manual CPUs 15,16 (of 64) on this node: 3-4" in (run.outdir / "output.xml").read_text()


def test_a_native_plugin_is_refused_in_suite_setup(robot_run):
    run = robot_run("--variable", "NODE_ACCESS:ssh", suite=CRASH_FIX)
    assert "needs the plugin deployed as a DaemonSet (NODE_ACCESS daemonset), got NODE_ACCESS 'ssh'" \
        in run.suite_message, run.suite_message
