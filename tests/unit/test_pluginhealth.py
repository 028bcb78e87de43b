"""Counting the plugin's restarts and exits a test did not ask for (issue 20, item 6)."""
from __future__ import annotations

from CpusetLibrary.pluginhealth import (Baseline, PluginPodState, lines_before_last_start, log_starts, pod_starts,
                                        unrequested_restarts)

SYNC = "DEBUG: Synchronizing state with 3 pods and 4 containers"


def _pod(restarts: int, uid: str = "u1", running: bool = True, ended: str = "", code: int | None = None):
    return PluginPodState("weka-nri-cpuset-abcde" if uid == "u1" else "weka-nri-cpuset-fghij", uid, restarts,
                          running, ended, code)


def test_starts_are_counted_from_the_pod_and_from_the_log():
    assert pod_starts(_pod(2), _pod(5)) == 3
    assert pod_starts(_pod(2), _pod(1, uid="u2")) == 2  # a replacement pod, restarted once since
    assert pod_starts(None, _pod(1)) == 0 and pod_starts(_pod(1), None) == 0
    assert log_starts(["x", f"[2026-01-01 00:00:00] {SYNC}", "y", SYNC]) == 2


def test_no_restart_or_only_the_asked_ones_is_no_problem():
    assert unrequested_restarts(Baseline(_pod(0), 0), _pod(0), 0, ["a", "b"], []) == ""
    assert unrequested_restarts(Baseline(_pod(0), 3), _pod(1), 4, ["a", SYNC], []) == ""
    assert unrequested_restarts(Baseline(None, 0), None, 1, ["a", SYNC], []) == ""  # native, asked for


def test_an_unasked_restart_names_the_count_the_exit_and_the_lines_before():
    lines = ["Removing container c from pod ns/shared-a", "[2026-01-01 00:00:00] Starting Weka NRI Plugin (PID: 7)",
             SYNC]
    problem = unrequested_restarts(Baseline(_pod(4), 1), _pod(5, ended="exit code 0 (Completed)", code=0), 1,
                                   lines, [])
    assert problem == ("the plugin restarted 1 times during the test, 0 of them asked for by the test; pod "
                       "weka-nri-cpuset-abcde restartCount 4 -> 5, its container last ended with exit code 0 "
                       "(Completed); the last plugin log lines before it: Removing container c from pod ns/shared-a")


def test_a_native_plugin_restart_is_found_in_its_log_without_a_pod():
    problem = unrequested_restarts(Baseline(None, 0), None, 0, ["x", SYNC], [])
    assert problem.startswith("the plugin restarted 1 times during the test, 0 of them asked for by the test; "
                              "exit code not reported (no plugin pod on the node"), problem
    assert problem.endswith("the last plugin log lines before it: x"), problem


def test_a_plugin_that_ended_and_is_not_back_is_named():
    problem = unrequested_restarts(Baseline(_pod(0), 0), _pod(0, running=False, ended="exit code 2 (Error)", code=2),
                                   0, [], ["panic: boom", "goroutine 1 [running]:"])
    assert "the plugin process has ended and is not running now" in problem
    assert "last ended with exit code 2 (Error)" in problem
    assert problem.endswith("the last plugin log lines before it: panic: boom | goroutine 1 [running]:"), problem


def test_a_replaced_pod_names_both_pods_and_uses_the_previous_log():
    problem = unrequested_restarts(Baseline(_pod(0), 0), _pod(0, uid="u2", ended="exit code 0 (Completed)"), 0,
                                   [SYNC], ["last words"])
    assert "pod weka-nri-cpuset-abcde replaced by weka-nri-cpuset-fghij (restartCount 0)" in problem, problem
    assert problem.endswith("before it: last words"), problem


def test_lines_before_the_last_start_prefer_the_wrapper_line():
    lines = ["a", "b", "Starting Weka NRI Plugin (PID: 3)", "Created plugin", SYNC]
    assert lines_before_last_start(lines) == ["a", "b"]
    assert lines_before_last_start(["a", SYNC]) == ["a"]
    assert lines_before_last_start(["a"]) == []
