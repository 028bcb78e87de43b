"""The paths a QA engineer takes with scripts/run-suites.sh after the first run (issue 16):
rerunning the failed procedures (1), a subset (2), one cluster folder per procedure (4) and an
early stop when nothing can pass (5). Each runs the script in a copy of the checkout, as a user
does, and reads its exit status, its output, what is left in results/ and `git status`."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from robot.api import ExecutionResult

from checkout import VENV_BIN, checkout_copy, git_status, user_env

pytestmark = pytest.mark.suite

SIBLING = "suites/sibling_core_allocation_test.robot"
INVALID = "suites/invalid_annotation_test.robot"


@pytest.fixture
def checkout(tmp_path) -> Path:
    return checkout_copy(tmp_path)


def run_suites(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**user_env(), "VENV": str(VENV_BIN.parent)}
    return subprocess.run(["bash", "scripts/run-suites.sh", "--console", "dotted", *args], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=600)


def _result(checkout: Path):
    return ExecutionResult(str(checkout / "results" / "output.xml"))


def test_rerunning_the_failed_procedures_keeps_the_earlier_run_and_merges(checkout):
    first = run_suites(checkout, "-v", "PLUGIN_MODEL:siblings-ignored", SIBLING, INVALID)
    assert first.returncode == 1, first.stdout[-3000:]  # robot's status: one failed test
    results = checkout / "results"
    kept = results / "evidence" / "Invalid_Annotation_Test"
    kept_files = {p.name: p.stat().st_mtime_ns for p in kept.iterdir()}
    assert kept_files

    # the README's command, on the output of the failed run
    rerun = run_suites(checkout, "--rerunfailedsuites", "results/output.xml")
    output = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, output[-3000:]
    assert "rerunning 1 procedure(s) with failed tests in results/output.xml: Sibling Core Allocation Test" in output
    assert "Collecting failed suites" not in output and "No such file" not in output
    assert output.count("Running suite") == 1  # only the failed procedure ran again
    result = _result(checkout)
    assert [(s.name, s.status) for s in result.suite.suites] == [  # in the order they first ran
        ("Sibling Core Allocation Test", "PASS"), ("Invalid Annotation Test", "PASS")]
    assert result.suite.metadata["Rerun"].startswith("Sibling Core Allocation Test (failed in the earlier run")
    assert result.statistics.total.failed == 0 and result.statistics.total.passed == 13
    assert {p.name: p.stat().st_mtime_ns for p in kept.iterdir()} == kept_files  # the earlier run's files
    assert sorted(p.name for p in (results / "nrisim").iterdir()) == [
        "invalid_annotation_test", "sibling_core_allocation_test"]
    assert (results / "log.html").is_file() and (results / "xunit.xml").is_file()
    assert git_status(checkout) == ""


def test_nothing_to_rerun_says_so_once(checkout):
    first = run_suites(checkout, INVALID)
    assert first.returncode == 0, first.stdout[-2000:]
    again = run_suites(checkout, "-S", "results/output.xml")
    assert again.returncode == 252
    assert again.stderr.strip().splitlines() == [
        "run-suites.sh: nothing to rerun: no procedure in 'results/output.xml' has a failed test"]
    assert (checkout / "results" / "output.xml").is_file()  # the earlier run is still there


@pytest.mark.parametrize("selection", [
    [SIBLING],
    ["--suite", "Sibling Core Allocation Test"],
    ["--suite", "Suites.Sibling Core Allocation Test"],  # the name in the merged output
    ["--include", "procedure:sibling-core-allocation-test"],
], ids=["path", "suite", "merged-name", "include"])
def test_a_subset_runs_the_selected_procedure_once_without_noise(checkout, selection):
    done = run_suites(checkout, *selection)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "contains no tests" not in output and "[ ERROR ]" not in output, output[-3000:]
    assert output.count("Running suite") == 1
    result = _result(checkout)
    assert result.statistics.total.passed == 7 and result.suite.test_count == 7
    assert [p.name for p in (checkout / "results" / "nrisim").iterdir()] == ["sibling_core_allocation_test"]
    assert git_status(checkout) == ""


def test_test_and_exclude_select_tests_across_procedures(checkout):
    done = run_suites(checkout, "--test", "Step 01*", "--exclude", "procedure:sibling-core-allocation-test",
                      SIBLING, INVALID)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    result = _result(checkout)
    assert [t.name for t in result.suite.all_tests] == ["Step 01 Create Test Namespace"]


def test_a_selection_matching_nothing_is_one_message(checkout):
    done = run_suites(checkout, "--suite", "No Such Procedure")
    assert done.returncode == 252
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("run-suites.sh: no procedure has a test selected by --suite 'No Such Procedure'")


def test_an_invalid_variable_stops_the_run_at_the_first_procedure(checkout):
    started = time.monotonic()
    done = run_suites(checkout, "-v", "POD_READY_TIMEOUT:soon", SIBLING, INVALID)
    took = time.monotonic() - started
    assert done.returncode != 0
    result = _result(checkout)
    first, second = result.suite.suites
    assert "POD_READY_TIMEOUT 'soon'" in first.setup.message
    assert {t.status for t in second.tests} == {"SKIP"}
    assert all("not run: procedure 'Sibling Core Allocation Test' found that no procedure can pass: "
               "POD_READY_TIMEOUT 'soon'" in t.message for t in second.tests), second.tests[0].message
    assert done.stderr.count("stopped early") == 1
    assert took < 120


def test_an_unreachable_cluster_stops_the_run_at_the_first_procedure(checkout, tmp_path):
    kubeconfig = tmp_path / "unreachable.kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: t}}]\n")
    done = run_suites(checkout, "-v", f"KUBECONFIG:{kubeconfig}", "-v", "TARGET_NODE:worker-1",
                      "-v", "NODE_ACCESS:daemonset", SIBLING, INVALID)
    assert done.returncode != 0
    first, second = _result(checkout).suite.suites
    assert "127.0.0.1:9" in first.setup.message
    assert {t.status for t in second.tests} == {"SKIP"}
    assert "not run: procedure 'Sibling Core Allocation Test' found that no procedure can pass" in second.tests[0].message
    # the error is the first procedure's (robot lists it per test), then the one stop line
    copies = done.stdout.count("127.0.0.1:9") + done.stderr.count("127.0.0.1:9")
    assert copies <= first.test_count + 1, done.stdout[-3000:]
    assert done.stderr.count("stopped early") == 1
