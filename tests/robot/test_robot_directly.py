"""`robot suites/` straight from a checkout, as the design's own entry point (issue 16, path 3):
with the README's argument file the results go to results/, and whatever a run writes, with or
without it, is ignored by git."""
from __future__ import annotations

import subprocess

import pytest

from checkout import checkout_copy, git_status, user_env

pytestmark = pytest.mark.suite

STEP_01 = ["--test", "Step 01*", "--console", "dotted", "suites/annotated_pod_state_corruption.robot"]


def _robot(copy, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["robot", *args], cwd=copy, env=user_env(), capture_output=True, text=True,
                          timeout=300)


def test_robot_with_the_argument_file_writes_into_results_and_git_sees_nothing(tmp_path):
    copy = checkout_copy(tmp_path)
    done = _robot(copy, "-A", "robot.args", *STEP_01)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = copy / "results"
    for name in ("output.xml", "log.html", "report.html", "xunit.xml"):
        assert (results / name).is_file(), name
    assert list((results / "evidence").rglob("*.plugin.log"))
    assert list(results.glob("nrisim*/**/cluster.json"))
    assert not (copy / "output.xml").exists() and not (copy / "evidence").exists()
    assert git_status(copy) == ""


def test_plain_robot_in_the_checkout_root_leaves_nothing_git_shows(tmp_path):
    copy = checkout_copy(tmp_path)
    done = _robot(copy, "--xunit", "xunit.xml", *STEP_01)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert (copy / "output.xml").is_file() and (copy / "evidence").is_dir()
    assert git_status(copy) == ""


def test_robotcode_configuration_names_results():
    import tomllib

    from checkout import ROOT
    config = tomllib.loads((ROOT / "robot.toml").read_text())
    assert config["output-dir"] == "results" and config["paths"] == ["suites"]
    args = (ROOT / "robot.args").read_text().split()
    assert args[args.index("--outputdir") + 1] == "results"


def test_one_robot_run_stops_at_the_first_procedure_when_a_variable_is_invalid(tmp_path):
    copy = checkout_copy(tmp_path)
    done = _robot(copy, "-A", "robot.args", "-v", "RELEASE_TIMEOUT:later", "--console", "dotted",
                  "suites/sibling_core_allocation_test.robot", "suites/invalid_annotation_test.robot")
    assert done.returncode != 0
    from robot.api import ExecutionResult
    first, second = ExecutionResult(str(copy / "results" / "output.xml")).suite.suites
    assert "RELEASE_TIMEOUT 'later'" in first.setup.message
    assert {t.status for t in second.tests} == {"SKIP"}
    assert "not run: procedure 'Sibling Core Allocation Test' found that no procedure can pass" in second.setup.message


def _suite_doc_in_log(copy) -> str:
    from robot.api import ExecutionResult
    return ExecutionResult(str(copy / "results" / "output.xml")).suite.doc


def test_log_html_links_the_procedure_page_at_the_tested_commit(tmp_path):
    copy = checkout_copy(tmp_path)
    done = _robot(copy, "-A", "robot.args", "-v", "REPOSITORY_URL:https://git.example.org/qa/acceptance", *STEP_01)
    assert done.returncode == 0, done.stdout[-2000:]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=copy, capture_output=True, text=True).stdout.strip()
    doc = _suite_doc_in_log(copy)
    assert (f"[https://git.example.org/qa/acceptance/blob/{commit}/docs/procedures/"
            "annotated-pod-state-corruption.md|") in doc, doc
    assert "../docs/" not in (copy / "results" / "log.html").read_text()


def test_without_a_repository_url_log_html_carries_the_page(tmp_path):
    copy = checkout_copy(tmp_path)  # a fresh repository without an origin remote
    done = _robot(copy, "-A", "robot.args", *STEP_01)
    assert done.returncode == 0, done.stdout[-2000:]
    doc = _suite_doc_in_log(copy)
    assert "../docs/" not in doc and "docs/procedures/annotated-pod-state-corruption.md" in doc
    assert "What was wrong" in doc or "oracle" in doc, doc[-1500:]
