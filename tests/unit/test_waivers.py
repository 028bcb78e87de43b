"""Accepted deviations (CpusetLibrary/cli/waivers.py) and the release gate: a failure is waived only by name
(its tag, its requirement tag and a message naming the requirement); --strict or an empty list
waives nothing; a listed deviation that no longer occurs is reported."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from robot import rebot, run
from robot.api import ExecutionResult

from CpusetLibrary.cli import waivers

ROOT = Path(__file__).resolve().parents[2]
GATE = Path(sys.executable).with_name("nricpuset-gate")
SHIPPED = ROOT / "resources" / "accepted-deviations.yaml"
LIST = """deviations:
  - id: live
    requirement: 3.2-live
    reason: shared pods are not updated
    link: https://example.invalid/prd#3.2
  - id: gone
    requirement: 3.4-gone
    reason: fixed upstream meanwhile
    link: https://example.invalid/prd#3.4
"""
VIOLATION = "Fail    requirement 3.2-live violated: shared-a runs on 1,33 of integer-b\n"
TAGS = "    [Tags]    deviation:live    req:3.2-live\n"


def _output(tmp_path: Path, body: str) -> Path:
    suite = tmp_path / "s.robot"
    suite.write_text("*** Test Cases ***\n" + body)
    run(str(suite), outputdir=str(tmp_path), report="NONE", log="NONE", console="none")
    return tmp_path / "output.xml"


def _gate(tmp_path: Path, output: Path, *args: str, listing: str = LIST) -> subprocess.CompletedProcess:
    deviations = tmp_path / "deviations.yaml"
    deviations.write_text(listing)
    return subprocess.run([str(GATE), "--deviations", str(deviations), *args, str(output)],
                          capture_output=True, text=True)


WAIVED = "Shared\n" + TAGS + "    " + VIOLATION + "Other\n    No Operation\n"


def test_a_listed_deviation_is_waived_and_said(tmp_path):
    done = _gate(tmp_path, _output(tmp_path, WAIVED))
    assert done.returncode == 0, done.stdout
    assert "gate: PASSED with 1 accepted deviation: live (Shared)" in done.stdout
    assert "accepted deviation live (requirement 3.2-live): Shared" in done.stdout


@pytest.mark.parametrize("args, listing", [(("--strict",), LIST), ((), "deviations: []\n"), ((), "")])
def test_strict_or_an_empty_list_waives_nothing(tmp_path, args, listing):
    done = _gate(tmp_path, _output(tmp_path, WAIVED), *args, listing=listing)
    assert done.returncode == 1, done.stdout
    assert "failed, not an accepted deviation: Shared: requirement 3.2-live violated" in done.stdout


@pytest.mark.parametrize("body", [
    # the tag is there but the test failed for another reason
    "Shared\n" + TAGS + "    Fail    pod shared-a never became Ready\n",
    # the message names the requirement but the test does not carry the deviation's tag
    "Shared\n    [Tags]    req:3.2-live\n    " + VIOLATION,
    # the deviation's tag without the requirement's tag
    "Shared\n    [Tags]    deviation:live\n    " + VIOLATION,
    # an unlisted deviation
    "Shared\n    [Tags]    deviation:other    req:3.2-live\n    " + VIOLATION,
    # the requirement failed, and so did the teardown (a leak, a restart)
    "Shared\n" + TAGS + "    [Teardown]    Fail    plugin leaked 4-5\n    " + VIOLATION,
    # two failures, one of them not the requirement's
    "Shared\n" + TAGS + "    Run Keyword And Continue On Failure    " + VIOLATION.rstrip()
    + "\n    Fail    pod shared-b is gone\n",
])
def test_a_failure_that_is_not_the_listed_deviation_fails_the_gate(tmp_path, body):
    done = _gate(tmp_path, _output(tmp_path, body))
    assert done.returncode == 1, done.stdout
    assert "failed, not an accepted deviation: Shared" in done.stdout


def test_several_failures_of_the_requirement_are_one_waiver(tmp_path):
    body = ("Shared\n" + TAGS + "    Run Keyword And Continue On Failure    " + VIOLATION.rstrip()
            + "\n    Fail    requirement 3.2-live violated: shared-a runs on 4 of annotated-c\n")
    assert _gate(tmp_path, _output(tmp_path, body)).returncode == 0


def test_a_listed_deviation_that_no_longer_occurs_is_reported(tmp_path):
    body = "Fixed\n    [Tags]    deviation:gone    req:3.4-gone\n    No Operation\n"
    done = _gate(tmp_path, _output(tmp_path, body))
    assert done.returncode == 0, done.stdout
    assert "accepted deviation gone no longer occurs (passed: Fixed): remove it from the list" in done.stdout
    assert "accepted deviation live: no test of this run checks it" in done.stdout


def test_an_unwaived_failure_fails_beside_a_waived_one(tmp_path):
    done = _gate(tmp_path, _output(tmp_path, WAIVED + "Broken\n    Fail    exclusive CPUs overlap\n"))
    assert done.returncode == 1, done.stdout
    assert "failed, not an accepted deviation: Broken: exclusive CPUs overlap" in done.stdout
    assert "PASSED" not in done.stdout


def test_a_malformed_list_fails_naming_the_entry(tmp_path):
    done = _gate(tmp_path, _output(tmp_path, WAIVED), listing="deviations:\n  - id: live\n    reason: x\n")
    assert done.returncode == 1
    assert "entry 1 (live) lacks requirement, link" in done.stdout


def test_the_rebot_modifier_says_it_at_the_top_of_the_log(tmp_path):
    output = _output(tmp_path, WAIVED)
    deviations = tmp_path / "deviations.yaml"
    deviations.write_text(LIST)
    for mode, said in (("", "passed with 1 accepted deviation: live (Shared)"),
                       (":strict", "FAILED: 1 failed tests are not accepted deviations")):
        merged = tmp_path / f"merged{mode.strip(':')}.xml"
        rebot(str(output), output=str(merged), log="NONE", report="NONE", stdout=None,
              prerebotmodifier=f"CpusetLibrary.cli.waivers.LogAcceptedDeviations:{deviations}{mode}")
        suite = ExecutionResult(str(merged)).suite
        assert suite.metadata[waivers.METADATA].startswith(said)
        tagged = [t.name for t in suite.all_tests if "accepted-deviation" in t.tags]
        assert tagged == ([] if mode else ["Shared"])


def test_the_shipped_list_is_well_formed_and_names_requirements_of_the_doc():
    doc = (ROOT / "docs" / "requirements.md").read_text()
    deviations = waivers.load(SHIPPED)
    assert deviations
    for d in deviations:
        assert f"`{d.requirement}`" in doc, f"{d.id}: requirement {d.requirement} is not in docs/requirements.md"
        assert d.link.startswith("https://github.com/weka/nri-cpuset/"), d.link


def test_a_named_list_that_does_not_exist_fails_the_gate(tmp_path):
    done = subprocess.run([str(GATE), "--deviations", str(tmp_path / "nope.yaml"),
                           str(_output(tmp_path, "T\n    No Operation\n"))], capture_output=True, text=True)
    assert done.returncode == 1
    assert f"--deviations {tmp_path / 'nope.yaml'}: no such file" in done.stdout


def test_without_a_named_list_the_shipped_one_applies(tmp_path):
    body = "Exited\n    [Tags]    deviation:release-on-exit    req:3.4-release-on-exit\n" \
           "    Fail    requirement 3.4-release-on-exit violated: pod p ended (Succeeded) but CPUs 1,33 stay reserved\n"
    done = subprocess.run([str(GATE), str(_output(tmp_path, body))], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert "gate: PASSED with 1 accepted deviation: release-on-exit (Exited)" in done.stdout
