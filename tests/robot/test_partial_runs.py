"""Running part of a procedure says which earlier steps are missing and how to rerun a whole
procedure, instead of "Variable '@{PODS}' not found" (issue 11, point 6)."""
from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.suite

SUITE = "suites/annotated_pod_state_corruption.robot"
EARLIER = ["Step 01 Environment Setup", "Step 02 Bulk Create Multiple Annotated Pods",
           "Step 03 Verify Initial State And Plugin Logs", "Step 04 Bulk Remove Annotated Pods"]


def assert_names_missing_steps_and_rerun(run, selected: str) -> None:
    assert run.rc != 0
    message = run.suite_message
    assert "not found" not in message, message
    assert f"was selected ({selected})" in message, message
    assert "Missing: " + ", ".join(EARLIER) + "." in message, message
    assert "'--rerunfailedsuites output.xml' reruns every procedure" in message
    assert not (run.outdir / "nrisim").exists()  # stopped before the cluster was touched


def test_include_one_step_names_the_steps_it_needs(robot_run):
    run = robot_run("--include", "step-05", suite=SUITE)
    assert_names_missing_steps_and_rerun(run, "Step 05 Bulk Create Integer Pods")


def test_rerunfailed_names_the_steps_it_needs_and_rerunfailedsuites_reruns_the_procedure(robot_run, tmp_path):
    first = robot_run("-v", "PLUGIN_MODEL:leak-on-remove", suite=SUITE)
    assert first.status("Step 05 Bulk Create Integer Pods") == "FAIL"
    earlier = shutil.copy(first.outdir / "output.xml", tmp_path / "first.xml")
    shutil.rmtree(first.outdir)  # the next runs write there
    rerun = robot_run("--rerunfailed", str(earlier), suite=SUITE)
    assert_names_missing_steps_and_rerun(rerun, "Step 05 Bulk Create Integer Pods")
    whole = robot_run("--rerunfailedsuites", str(earlier), suite=SUITE)
    assert len(whole.statuses) == 10 and whole.rc == 0, whole.statuses  # head plugin: the procedure passes


def test_selecting_the_first_steps_is_fine(robot_run):
    run = robot_run("--include", "step-01", "--include", "step-02", suite=SUITE)
    assert run.rc == 0, run.suite_message
