"""A failing step shows its evidence under the failing keyword (issue: the teardown hid it).

One run of the ten-step suite on the ``leak-on-remove`` model (it fails at step 05 with
accounting corruption) is read twice: from output.xml (what was logged where, in which order)
and, when Chromium is installed, as a reader sees log.html (scripts/check_failure_evidence.py).
"""
from __future__ import annotations

import importlib.util
import xml.etree.ElementTree as ET

import pytest
from robot.api import ExecutionResult

from robot_runner import ROOT, run_robot
from CpusetLibrary.cpusets import parse_cpu_list

pytestmark = pytest.mark.suite
SVG = "{http://www.w3.org/2000/svg}"
LEAKED = parse_cpu_list("0-29,32-53")


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_failure_evidence",
                                                  ROOT / "scripts" / "check_failure_evidence.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("leak") / "out"
    run = run_robot(outdir, "-v", "PLUGIN_MODEL:leak-on-remove", suite="suites/annotated_pod_state_corruption.robot")
    assert run.status("Step 05 Bulk Create Integer Pods") == "FAIL", run.stdout
    return outdir


def _failed_library_keyword(test):
    """The innermost failed keyword of the step (the library keyword that raised)."""
    node = test
    while True:
        failed = [kw for kw in node.body if getattr(kw, "status", "") == "FAIL" and hasattr(kw, "body")]
        if not failed:
            return node
        node = failed[0]


def _all_messages(item) -> list[str]:
    found = []
    for child in getattr(item, "body", []):
        found += [child.message] if getattr(child, "type", "") == "MESSAGE" else _all_messages(child)
    return found


def _messages(item) -> list:
    return [m for m in item.body if getattr(m, "type", "") == "MESSAGE"]


def test_the_failing_keyword_logs_its_evidence_before_it_raises(failing_run):
    result = ExecutionResult(str(failing_run / "output.xml"))
    test = next(t for t in result.suite.all_tests if t.name.startswith("Step 05"))
    keyword = _failed_library_keyword(test)
    assert keyword.name == "Wait Until Pods Are Ready"
    messages = _messages(keyword)
    texts = [m.message for m in messages]
    assert texts[0].startswith("<b>Evidence when 'Wait Until Pods Are Ready' failed</b>")
    fail = next(i for i, m in enumerate(messages) if m.level == "FAIL")
    assert texts[fail].startswith("accounting corruption")
    evidence = "\n".join(texts[:fail])  # all logged before the failure
    assert "<svg" in evidence and "Leaked: the plugin reserves 0-29,32-53 (52 CPUs)" in evidence
    assert "CreateContainerError" in evidence and "<th>reason</th>" in evidence  # not-Ready pods, events
    assert "Decisive plugin lines of this step so far" in evidence and "CPU allocation failed" in evidence
    teardown = test.teardown
    assert teardown.status == "PASS"
    teardown_text = "\n".join(_all_messages(teardown))
    assert "Plugin log during this step" in teardown_text  # the step's plugin log is still attached
    assert "The failure evidence is logged under the failing keyword." in teardown_text
    assert "<svg" not in teardown_text  # the map is not drawn a second time in the teardown


def test_the_map_draws_the_leaked_cpus_with_the_table_letters(failing_run):
    result = ExecutionResult(str(failing_run / "output.xml"))
    test = next(t for t in result.suite.all_tests if t.name.startswith("Step 05"))
    html = next(m.message for m in _messages(_failed_library_keyword(test)) if "<svg" in m.message)
    svg = ET.fromstring(html[html.index("<svg"):html.index("</svg>") + 6])
    cells = {int(g.get("data-cpu")): g for g in svg.iter(f"{SVG}g") if (g.get("class") or "").startswith("cpu ")}
    leaked = {cpu for cpu, g in cells.items() if g.get("class") == "cpu leaked"}
    assert leaked == LEAKED
    letter = {cells[cpu].find(f"{SVG}text[@class='tag']").text for cpu in leaked}
    assert len(letter) == 1
    assert f"<tr><td>{letter.pop()}</td><td>reserved by the plugin, held by no container</td><td>leaked</td>" \
           "<td>0-29,32-53</td><td>52</td></tr>" in html


@pytest.mark.chromium
def test_log_html_shows_the_evidence_without_expanding_anything(failing_run, tmp_path):
    checker = _load_checker()
    if checker.find_chromium() is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): "
                    "log.html was NOT checked in a browser")
    png = tmp_path / "step05.png"
    assert checker.check(failing_run, png) == []
    assert png.stat().st_size > 10_000


def test_an_expected_or_tolerated_failure_logs_no_evidence_and_a_real_one_still_does(tmp_path):
    run = run_robot(tmp_path / "out", suite="tests/robot/robotdata/tolerated_failures.robot")
    result = ExecutionResult(str(run.outdir / "output.xml"))
    (test,) = result.suite.all_tests
    assert test.status == "FAIL" and test.message.startswith("exclusive CPUs overlap: a and b share CPUs 3")
    expected, tolerated, real = test.body
    assert not any("Evidence when" in m for m in _all_messages(expected) + _all_messages(tolerated))
    assert _all_messages(real)[0].startswith("<b>Evidence when 'Cpu Sets Should Not Overlap' failed</b>")
    assert "No evidence: not connected to a cluster." in _all_messages(real)
