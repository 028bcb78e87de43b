"""Release gate over a robot run: fail when any test failed or was skipped, and (with
``--require-real-cluster``) when the run was made on the simulated cluster. A failure that is an
accepted deviation of the plugin (listed by name in ``--deviations``, default
``resources/accepted-deviations.yaml``; rules in ``CpusetLibrary/cli/waivers.py``) is waived and reported
as such; ``--strict`` waives nothing.

robot's exit status ignores skipped tests, and a step after a failed step is skipped, so a
gate that only reads the exit status can pass a run that proved nothing. The gate reads
output.xml; a run made with ``-o NONE`` is judged from its xunit.xml, and with neither the
gate fails saying so.

    nricpuset-gate [--require-real-cluster] [--strict] [--deviations LIST] [--xunit XUNIT] [OUTPUT_XML]
"""
from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from CpusetLibrary.cli import waivers

#: the suite metadata CpusetLibrary writes (CpusetLibrary/target.py)
TARGET_METADATA = "Target"
REAL_TARGET = "real cluster"


@dataclass
class Verdict:
    passed: int
    failed: int
    skipped: int
    target: str  # the run's Target metadata ('' when the run never connected)
    source: str
    tests: list[waivers.TestResult] = field(default_factory=list)  # empty when judged from xunit


def _target(suite) -> str:
    """The suite's Target metadata; for a merged run (rebot of one output per procedure) the one
    target all its suites share, or every target named when they differ (never a real-only one)."""
    own = str(suite.metadata.get(TARGET_METADATA, ""))
    if own or not suite.suites:
        return own
    targets = {_target(child) for child in suite.suites}
    return targets.pop() if len(targets) == 1 else " / ".join(sorted(targets))


def from_output_xml(path: Path) -> Verdict:
    from robot.api import ExecutionResult

    result = ExecutionResult(str(path))
    stats = result.statistics.total
    return Verdict(stats.passed, stats.failed, stats.skipped,
                   _target(result.suite), str(path), waivers.results_of(result.suite))


def from_xunit(path: Path) -> Verdict:
    root = ET.parse(path).getroot()
    tests = int(root.get("tests", 0))
    failed = int(root.get("failures", 0)) + int(root.get("errors", 0))
    skipped = int(root.get("skipped", 0))
    target = ""
    for prop in root.iterfind("properties/property"):
        if prop.get("name") == TARGET_METADATA:
            target = prop.get("value", "")
    return Verdict(tests - failed - skipped, failed, skipped, target, str(path))


def read_verdict(output: Path, xunit: Path | None) -> Verdict:
    if output.name.upper() != "NONE" and output.is_file():
        return from_output_xml(output)
    if xunit is not None and xunit.is_file():
        return from_xunit(xunit)
    why = ("robot was run with -o NONE" if output.name.upper() == "NONE"
           else f"{output} does not exist (robot did not run, or wrote its output elsewhere: -d/-o)")
    raise FileNotFoundError(
        f"no result to judge: {why}, and no xunit.xml"
        f"{f' at {xunit}' if xunit is not None else ''}; the exit status alone ignores skipped tests. "
        "Keep output.xml, or add --xunit xunit.xml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nricpuset-gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("output", nargs="?", default="results/output.xml", type=Path)
    parser.add_argument("--xunit", type=Path, help="xunit.xml to judge when there is no output.xml")
    parser.add_argument("--require-real-cluster", action="store_true",
                        help="fail a run made on the simulated cluster (or one that never reached a cluster)")
    parser.add_argument("--deviations", type=Path,
                        help="the accepted deviations (YAML; default resources/accepted-deviations.yaml, none "
                             "when that file is absent); a named file must exist")
    parser.add_argument("--strict", action="store_true", help="waive no failure, not even an accepted deviation")
    args = parser.parse_args(argv)
    try:
        verdict = read_verdict(args.output, args.xunit)
        deviations = _deviations(args.deviations)
    except (FileNotFoundError, ET.ParseError, ValueError) as err:
        print(f"gate: FAILED: {err}")
        return 1
    print(f"gate: {verdict.passed} passed, {verdict.failed} failed, {verdict.skipped} skipped ({verdict.source})")
    if verdict.target:
        print(f"gate: target: {verdict.target}")
    judgement = _waive(verdict, deviations, args.strict)
    waived = judgement.waived_count if judgement else 0
    if verdict.failed - waived or verdict.skipped:
        print("gate: FAILED (every test must pass; none may be skipped"
              + ("; failures of listed deviations are waived only by name" if deviations and not args.strict else "")
              + ")")
        return 1
    if not verdict.passed and not waived:
        print("gate: FAILED (no test ran)")
        return 1
    if args.require_real_cluster and verdict.target != REAL_TARGET:
        print("gate: FAILED (--require-real-cluster: this run was made on "
              f"{'the simulated cluster' if verdict.target else 'no cluster the run recorded'}; "
              "pass -v KUBECONFIG:<path> -v TARGET_NODE:<node>)")
        return 1
    if judgement and waived:
        print(f"gate: PASSED with {judgement.summary()}")
    return 0


def _deviations(named: Path | None) -> list[waivers.Deviation]:
    if named is None:
        return waivers.load(waivers.DEFAULT_LIST) if waivers.DEFAULT_LIST.is_file() else []
    if not named.is_file():
        raise FileNotFoundError(f"--deviations {named}: no such file")
    return waivers.load(named)


def _waive(verdict: Verdict, deviations: list[waivers.Deviation], strict: bool) -> waivers.Judgement | None:
    """Print what the accepted deviations waive (and which no longer occur); None when the run
    has no per-test results (judged from xunit.xml, which carries no tags)."""
    if not verdict.tests:
        if verdict.failed and deviations and not strict:
            print("gate: no accepted deviation is waived: the run is judged from xunit.xml, which has no tags")
        return None
    judgement = waivers.judge(verdict.tests, deviations, strict)
    for line in waivers.report_lines(judgement, deviations, strict):
        print(f"gate: {line}")
    return judgement


if __name__ == "__main__":
    sys.exit(main())
