"""The verdict table (verdicts.py), enforced: every suite against every plugin model.

Each (suite, model) pair is one test with one robot run of its own, so a parallel pytest
(``-n``, as scripts/run-tests.sh runs it) spreads the pairs over its workers; then every test's
status is asserted, the failing test's message is matched against its pattern and its figures
checked, and every skipped test must name the failing one.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from robot.api import ExecutionResult
from robot.running import TestSuiteBuilder as SuiteBuilder

from nrisim.plugin import MODEL_NAMES

import verdicts as V

from CpusetLibrary.cli import waivers

pytestmark = pytest.mark.suite

ROOT = V.ROOT
DOC = ROOT / "docs" / "verdicts.md"


@dataclass(frozen=True)
class Outcome:
    rc: int
    tests: list[tuple[str, str, str]]  # (name, status, message) in suite order
    suite_message: str
    output: str
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # test name -> its tags


def run_suite(outdir: Path, suite_path: str, model: str, variables: tuple[str, ...] = (),
              timeout: float = 300) -> Outcome:
    """Run one suite on the simulated cluster with plugin model ``model`` (the user's
    custom_model directory on PYTHONPATH, as the simulator subprocess inherits it)."""
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(V.CUSTOM_MODEL_PATH), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "robot", "--outputdir", str(outdir), "--console", "dotted",
               "--report", "NONE", "--log", "NONE", "--variable", f"PLUGIN_MODEL:{model}",
               *(arg for variable in variables for arg in ("--variable", variable)), str(ROOT / suite_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    result = ExecutionResult(str(outdir / "output.xml"))
    return Outcome(done.returncode, [(t.name, t.status, t.message) for t in result.suite.all_tests],
                   result.suite.message, done.stdout + done.stderr,
                   {t.name: tuple(str(tag) for tag in t.tags) for t in result.suite.all_tests})


def _gate_disagreements(verdict: V.Verdict, results: list[tuple[str, str, tuple[str, ...]]]) -> list[str]:
    """Failed tests ``(name, message, tags)`` the release gate would waive differently from the
    table: a failure marked with a deviation must be waived as that one, any other never."""
    listed = {d.id: d for d in waivers.load(waivers.DEFAULT_LIST)}
    wanted = {f.step: f.deviation for f in verdict.all_failures}
    problems = []
    for name, message, tags in results:
        got = waivers.covering(waivers.TestResult(name, "FAIL", message, tags), listed)
        if (got.id if got else "") != wanted.get(name, ""):
            problems.append(f"{name}: the table says {wanted.get(name) or 'a defect'}, the gate waives it as "
                            f"{got.id if got else 'nothing'}: {message}")
    return problems


def _mismatches(expected, outcome: Outcome) -> str:
    """Each test whose status differs, with its whole message (pytest would cut a tuple)."""
    got = {name: (status, message) for name, status, message in outcome.tests}
    lines = [f"suite message: {outcome.suite_message!r}"] if outcome.suite_message else []
    for e in expected:
        status, message = got.get(e.test, ("MISSING", ""))
        if status != e.status:
            lines.append(f"{e.test}: expected {e.status}, got {status}: {message}")
    extra = [name for name in got if name not in {e.test for e in expected}]
    return "\n".join(lines + [f"unexpected test {name}" for name in extra])


def _id(v: V.Verdict) -> str:
    return f"{v.suite}-{v.model}"


@pytest.mark.timeout(400)  # run_suite's own bound (300 s) fires first, with the command
@pytest.mark.parametrize("verdict", V.VERDICTS, ids=_id)
def test_every_test_has_its_expected_status_and_message(tmp_path, verdict):
    suite = V.SUITES[verdict.suite]
    outcome = run_suite(tmp_path / "out", suite.path, verdict.model, suite.variables + verdict.variables)
    expected = V.expected_results(verdict)
    got = [(name, status) for name, status, _ in outcome.tests]
    assert got == [(e.test, e.status) for e in expected], _mismatches(expected, outcome)
    problems = [p for e, (_, _, message) in zip(expected, outcome.tests) for p in V.problems(e, message)]
    assert not problems, "\n".join(problems)  # one per line, whole (a list's repr would be cut)
    assert outcome.rc == sum(e.status == "FAIL" for e in expected), outcome.output
    failed = [(name, message, outcome.tags[name]) for name, status, message in outcome.tests if status == "FAIL"]
    assert not _gate_disagreements(verdict, failed), "\n".join(_gate_disagreements(verdict, failed))


def test_the_table_covers_every_named_model_on_every_suite():
    pairs = [(v.model, v.suite) for v in V.VERDICTS]
    assert len(pairs) == len(set(pairs)), "a (model, suite) pair is listed twice"
    wanted = {(m, s) for m in (*MODEL_NAMES, V.CUSTOM_MODEL) for s in V.SUITES}
    assert set(pairs) == wanted, {"missing": wanted - set(pairs), "unknown": set(pairs) - wanted}


def test_the_table_lists_every_suite_and_every_test_in_order():
    on_disk = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "suites").glob("*.robot"))
    assert sorted(s.path for s in V.SUITES.values()) == on_disk
    for suite in V.SUITES.values():
        built = SuiteBuilder().build(str(ROOT / suite.path))
        assert tuple(t.name for t in built.all_tests) == suite.tests, suite.path


@pytest.mark.parametrize("verdict", [v for v in V.VERDICTS if v.all_failures], ids=_id)
def test_the_gate_waives_exactly_the_failures_the_table_marks_as_deviations(verdict):
    built = {t.name: tuple(str(tag) for tag in t.tags)
             for t in SuiteBuilder().build(str(ROOT / V.SUITES[verdict.suite].path)).all_tests}
    examples = [(f.step, f.example, built[f.step]) for f in verdict.all_failures]
    assert not _gate_disagreements(verdict, examples), "\n".join(_gate_disagreements(verdict, examples))


def test_a_failure_marked_wrongly_disagrees_with_the_gate():
    from dataclasses import replace
    head = V.verdict("head", "contract")
    built = {t.name: tuple(str(tag) for tag in t.tags)
             for t in SuiteBuilder().build(str(ROOT / V.SUITES["contract"].path)).all_tests}
    defect = V.verdict("integer-one-too-many", "contract")
    cases = [  # a waived deviation marked as a defect; a defect of a deviation test marked as the deviation
        (replace(head, failures=tuple(replace(f, deviation="") for f in head.failures)), head.failures[0]),
        (replace(defect, failures=tuple(replace(f, deviation="shared-live-update") if f.step == V.T_EXISTING_SHARED
                                        else f for f in defect.failures)),
         next(f for f in defect.failures if f.step == V.T_EXISTING_SHARED)),
    ]
    for wrong, failure in cases:
        said = _gate_disagreements(wrong, [(failure.step, failure.example, built[failure.step])])
        assert said and failure.step in said[0], said


@pytest.mark.parametrize("verdict", [v for v in V.VERDICTS if v.all_failures], ids=_id)
def test_each_recorded_example_satisfies_its_own_pattern(verdict):
    expected = {e.test: e for e in V.expected_results(verdict)}
    for failure in verdict.all_failures:
        assert V.problems(expected[failure.step], failure.example) == []


@pytest.mark.parametrize("model, suite, mutate, complaint", [
    ("integer-one-too-many", "race", lambda m: m.replace("(1-2,32-34)", "(1-2,32-33)"),
     "is 4 CPUs, the message says 5"),
    ("integer-one-too-many", "race", lambda m: m.replace("has 5 CPUs (1-2,32-34), requested 4",
                                                         "has 4 CPUs (1-2,32-33), requested 4"),
     "is not one too many"),
    ("leak-on-remove", "ten-step", lambda m: m.replace("54 CPUs are", "14 CPUs are").replace("free 54", "free 14"),
     "not an accounting corruption"),
    ("leak-on-remove", "ten-step", lambda m: m.replace("'need 15", "'need 20"), "requests 15"),
    ("annotated-plus-one", "ten-step", lambda m: m.replace("has 0-15 but", "has 0-16 but"), "is not annotation"),
    ("integer-shared-cpu", "ten-step", lambda m: m.replace("integer-compute-2", "integer-compute-1"),
     "named twice"),
    ("pre-fix", "race", lambda m: m.replace("share CPUs 5,37", "share CPUs"), "does not match"),
])
def test_a_message_with_inconsistent_figures_is_rejected(model, suite, mutate, complaint):
    verdict = V.verdict(model, suite)
    failing = next(e for e in V.expected_results(verdict) if e.status == "FAIL")
    mutated = mutate(verdict.failure.example)
    assert mutated != verdict.failure.example
    problems = V.problems(failing, mutated)
    assert any(complaint in p for p in problems), problems


def test_a_skipped_step_must_name_the_failed_step():
    verdict = V.verdict("pre-fix", "race")
    skipped = [e for e in V.expected_results(verdict) if e.status == "SKIP"]
    assert skipped and all(V.problems(e, V.skip_message(verdict.failure.step)) == [] for e in skipped)
    other = V.skip_message("Step 03 Create Two Conflicting Annotated Pods Back To Back")
    assert all(V.problems(e, other) for e in skipped)


def test_the_doc_is_the_enforced_table():
    assert DOC.read_text() == V.render_markdown(), (
        "docs/verdicts.md is stale: PYTHONPATH=tests/support python tests/robot/verdicts.py > docs/verdicts.md")


def test_the_readme_shows_the_enforced_table():
    readme = (DOC.parents[1] / "README.md").read_text()
    assert "\n".join(V.render_table()) in readme, "README.md's verdict table is stale: copy it from docs/verdicts.md"


@pytest.mark.parametrize("spec, named", [
    ("nosuch:Model", "no module named 'nosuch'"),
    ("my_models:Missing", "module 'my_models' has no class 'Missing'"),
    ("my_models:NotAModel", "NotAModel is not a subclass of nrisim.plugin.interface.PluginModel"),
    ("no-such-model", "expected one of head"),
])
def test_an_invalid_model_spec_stops_the_run_in_suite_setup(tmp_path, spec, named):
    outcome = run_suite(tmp_path / "out", V.SUITES["race"].path, spec)
    assert outcome.suite_message.startswith("Suite setup failed:\n"), outcome.suite_message
    assert f"plugin model '{spec}'" in outcome.suite_message and named in outcome.suite_message, \
        outcome.suite_message
    assert {status for _, status, _ in outcome.tests} == {"FAIL"}
    assert all(message.startswith("Parent suite setup failed:") for _, _, message in outcome.tests)
