"""Accepted deviations: failures of the plugin version under test that its owner accepts, by name.

The list is a YAML file the user owns (``resources/accepted-deviations.yaml``): a mapping with a
``deviations`` list, each entry ``id``, ``requirement``, ``reason`` and ``link``. A failed test is
*waived* by deviation ``D`` only when all of these hold:

- the test carries the tag ``deviation:D`` and ``D`` is listed;
- the test carries the tag ``req:R`` where ``R`` is ``D``'s ``requirement``;
- every failure in the test's message (robot joins several with "Several failures occurred" and
  appends "Also teardown failed") starts with ``requirement R violated:``, the text the suites'
  requirement checks fail with.

So a deviation test that fails for another reason (a pod that never started, a leak found by its
teardown, another requirement) is not waived, and a failure of a test without the tag never is.
``--strict`` (or an empty list) waives nothing. A listed deviation whose tests all passed is
reported as no longer occurring (the list can shrink); one no test of the run carries is reported
as not exercised.

Used by ``nricpuset-gate`` (CpusetLibrary/cli/gate.py) and, through :class:`LogAcceptedDeviations` (a rebot pre-modifier),
by ``scripts/run-suites.sh`` to say the verdict at the top of log.html.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

_PACKAGED_LIST = Path(__file__).resolve().parents[1] / "accepted-deviations.yaml"
DEFAULT_LIST = (_PACKAGED_LIST if _PACKAGED_LIST.is_file()
                else Path(__file__).resolve().parents[3] / "resources" / "accepted-deviations.yaml")
"""The shipped list: packaged beside the library in a wheel, resources/ in a checkout."""
DEVIATION_TAG = "deviation:"
REQUIREMENT_TAG = "req:"
FIELDS = ("id", "requirement", "reason", "link")
METADATA = "Accepted deviations"


def violation_prefix(requirement: str) -> str:
    """The start of every failure message of a requirement check (the suites' convention)."""
    return f"requirement {requirement} violated:"


@dataclass(frozen=True)
class Deviation:
    id: str
    requirement: str
    reason: str
    link: str


@dataclass(frozen=True)
class TestResult:
    name: str
    status: str  # PASS, FAIL, SKIP, NOT RUN
    message: str
    tags: tuple[str, ...]


@dataclass
class Judgement:
    waived: dict[str, list[str]] = field(default_factory=dict)  # deviation id -> test names
    unwaived: list[TestResult] = field(default_factory=list)  # failed tests no deviation covers
    gone: dict[str, list[str]] = field(default_factory=dict)  # listed, its tests passed
    unexercised: list[str] = field(default_factory=list)  # listed, no test of the run carries it

    @property
    def waived_count(self) -> int:
        return sum(len(tests) for tests in self.waived.values())

    def summary(self) -> str:
        """``N accepted deviations: id (test, ...), ...``."""
        parts = [f"{d} ({', '.join(tests)})" for d, tests in self.waived.items()]
        return f"{len(self.waived)} accepted deviation{'s' if len(self.waived) != 1 else ''}: " + "; ".join(parts)


def load(path: Path) -> list[Deviation]:
    """The deviations listed in ``path``; a malformed entry fails naming it and the file."""
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise ValueError(f"accepted deviations {path}: {err}") from None
    entries = data.get("deviations") if isinstance(data, dict) else None
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise ValueError(f"accepted deviations {path}: 'deviations' must be a list")
    deviations: list[Deviation] = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ValueError(f"accepted deviations {path}: entry {number} is not a mapping")
        missing = [f for f in FIELDS if not str(entry.get(f) or "").strip()]
        if missing:
            raise ValueError(f"accepted deviations {path}: entry {number} ({entry.get('id', 'no id')}) lacks "
                             + ", ".join(missing))
        deviations.append(Deviation(*(str(entry[f]).strip() for f in FIELDS)))
    ids = [d.id for d in deviations]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"accepted deviations {path}: listed twice: {', '.join(twice)}")
    return deviations


_SEVERAL = "Several failures occurred:\n\n"
_TEARDOWN = "\n\nAlso teardown failed:\n"


def failure_parts(message: str) -> list[str]:
    """The separate failures robot joined into one test message."""
    body, _, teardown = message.partition(_TEARDOWN)
    parts = [teardown] if teardown else []
    if body.startswith(_SEVERAL):
        body = body[len(_SEVERAL):]
        parts = [p for p in re.split(r"(?:^|\n\n)\d+\) ", body) if p] + parts
    else:
        parts = [body] + parts
    return parts


def covering(test: TestResult, listed: dict[str, Deviation]) -> Deviation | None:
    """The listed deviation that waives this failed test, or None."""
    for tag in test.tags:
        if not tag.startswith(DEVIATION_TAG):
            continue
        deviation = listed.get(tag[len(DEVIATION_TAG):])
        if deviation is None or f"{REQUIREMENT_TAG}{deviation.requirement}" not in test.tags:
            continue
        prefix = violation_prefix(deviation.requirement)
        parts = failure_parts(test.message)
        if parts and all(part.startswith(prefix) for part in parts):
            return deviation
    return None


def judge(tests: Iterable[TestResult], deviations: list[Deviation], strict: bool = False) -> Judgement:
    listed = {} if strict else {d.id: d for d in deviations}
    tests = list(tests)
    result = Judgement()
    for test in tests:
        if test.status != "FAIL":
            continue
        deviation = covering(test, listed)
        if deviation is None:
            result.unwaived.append(test)
        else:
            result.waived.setdefault(deviation.id, []).append(test.name)
    for deviation in listed.values():
        carrying = [t for t in tests if f"{DEVIATION_TAG}{deviation.id}" in t.tags]
        if not carrying:
            result.unexercised.append(deviation.id)
        elif deviation.id not in result.waived and all(t.status == "PASS" for t in carrying):
            result.gone[deviation.id] = [t.name for t in carrying]
    return result


def results_of(suite) -> list[TestResult]:
    """Every test of a robot result suite (``robot.api.ExecutionResult(...).suite``)."""
    return [TestResult(t.name, t.status, t.message, tuple(str(tag) for tag in t.tags)) for t in suite.all_tests]


def report_lines(judgement: Judgement, deviations: list[Deviation], strict: bool) -> list[str]:
    """What the gate prints about the waivers (besides its verdict)."""
    by_id = {d.id: d for d in deviations}
    lines = []
    if strict and deviations:
        lines.append(f"--strict: the {len(deviations)} listed accepted deviations are not waived")
    for dev_id, tests in judgement.waived.items():
        d = by_id[dev_id]
        lines.append(f"accepted deviation {dev_id} (requirement {d.requirement}): {', '.join(tests)} — "
                     f"{d.reason} ({d.link})")
    for dev_id, tests in judgement.gone.items():
        lines.append(f"accepted deviation {dev_id} no longer occurs (passed: {', '.join(tests)}): remove it from "
                     "the list")
    for dev_id in judgement.unexercised:
        lines.append(f"accepted deviation {dev_id}: no test of this run checks it")
    for test in judgement.unwaived:
        first = test.message.splitlines()[0] if test.message else ""
        lines.append(f"failed, not an accepted deviation: {test.name}: {first}")
    return lines


class LogAcceptedDeviations:
    """rebot ``--prerebotmodifier waivers.LogAcceptedDeviations:LIST[:strict]`` (with
    ``--pythonpath scripts``): writes the waiver verdict as the top suite's metadata
    ``Accepted deviations`` and tags each waived test ``accepted-deviation``, so log.html and
    report.html say it at the top."""

    def __init__(self, path: str = str(DEFAULT_LIST), mode: str = "") -> None:
        self.path = Path(path)
        self.strict = mode == "strict"

    def visit_suite(self, suite) -> None:
        deviations = load(self.path) if self.path.is_file() else []
        tests = results_of(suite)
        judgement = judge(tests, deviations, self.strict)
        waived = {name for names in judgement.waived.values() for name in names}
        for test in suite.all_tests:
            if test.status == "FAIL" and test.name in waived:
                test.tags.add("accepted-deviation")
        skipped = sum(t.status == "SKIP" for t in tests)
        if judgement.unwaived or skipped:
            verdict = (f"FAILED: {len(judgement.unwaived)} failed tests are not accepted deviations"
                       + (f", {skipped} skipped" if skipped else ""))
            if judgement.waived:
                verdict += f"; {judgement.summary()}"
        elif judgement.waived:
            verdict = f"passed with {judgement.summary()}"
        else:
            verdict = "no failure, no deviation waived" + (" (--strict)" if self.strict else "")
        extra = report_lines(Judgement(gone=judgement.gone, unexercised=judgement.unexercised), deviations, False)
        suite.metadata[METADATA] = verdict + ("".join(f"\n\n{line}" for line in extra))
