"""docs/requirements.md and the suites agree: every requirement row names existing tests, every
contract test names its requirements (``req:<id>`` tags) and each tag's row names that test back,
and the accepted deviations are the requirements the table says the upstream plugin breaks."""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from robot.running import TestSuiteBuilder as SuiteBuilder

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "requirements.md"
CONTRACT = "plugin_contract"
from CpusetLibrary.cli import waivers

ROW = re.compile(r"^\| `(?P<id>[0-9.]+-[a-z0-9-]+)` \| (?P<text>[^|]+) \| (?P<tests>[^|]*) \| (?P<head>[^|]*) \|"
                 r"(?P<reading>[^|]*)\|$")


def rows() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for line in DOC.read_text().splitlines():
        if line.startswith("| `"):
            match = ROW.match(line)
            assert match, f"not a requirement row: {line}"
            assert match["id"] not in found, f"requirement {match['id']} listed twice"
            found[match["id"]] = match.groupdict()
    return found


def named_tests(cell: str) -> list[tuple[str, str]]:
    """``suite: test; suite: test`` -> [(suite, test)]."""
    tests = []
    for item in filter(None, (part.strip() for part in cell.split(";"))):
        suite, sep, test = item.partition(": ")
        assert sep, f"'{item}' is not 'suite: test'"
        tests.append((suite, test))
    return tests


@cache
def suite_tests(suite: str) -> dict[str, tuple[str, ...]]:
    path = ROOT / "suites" / f"{suite}.robot"
    assert path.is_file(), f"no suite {path.relative_to(ROOT)}"
    return {t.name: tuple(str(tag) for tag in t.tags) for t in SuiteBuilder().build(str(path)).all_tests}


def test_every_requirement_row_names_existing_tests():
    table = rows()
    assert len(table) > 30
    for rid, row in table.items():
        tests = named_tests(row["tests"])
        assert tests, f"requirement {rid} names no test"
        for suite, test in tests:
            assert test in suite_tests(suite), f"requirement {rid}: {suite} has no test '{test}'"


def test_every_contract_test_names_its_requirements_and_the_rows_name_it_back():
    table = rows()
    claimed = {rid: {t for s, t in named_tests(row["tests"]) if s == CONTRACT} for rid, row in table.items()}
    for test, tags in suite_tests(CONTRACT).items():
        reqs = {tag[len(waivers.REQUIREMENT_TAG):] for tag in tags if tag.startswith(waivers.REQUIREMENT_TAG)}
        assert reqs, f"contract test '{test}' carries no req:<id> tag"
        for rid in reqs:
            assert rid in table, f"contract test '{test}': req:{rid} is not a row of docs/requirements.md"
            assert test in claimed[rid], f"row {rid} does not name contract test '{test}' (tagged req:{rid})"
    for rid, tests in claimed.items():
        for test in tests:
            assert f"req:{rid}" in suite_tests(CONTRACT)[test], f"row {rid} names '{test}', which lacks req:{rid}"


def test_the_deviations_are_the_rows_head_breaks_and_each_has_its_tagged_test():
    table = rows()
    listed = {d.id: d for d in waivers.load(waivers.DEFAULT_LIST)}
    said: dict[str, set[str]] = {}  # deviation -> rows whose head column names it
    for rid, row in table.items():
        for dev in re.findall(r"deviation `([a-z0-9-]+)`", row["head"]):
            said.setdefault(dev, set()).add(rid)
    assert set(said) == set(listed), {"in the doc only": set(said) - set(listed),
                                      "listed only": set(listed) - set(said)}
    tagged = {}
    for test, tags in suite_tests(CONTRACT).items():
        for tag in tags:
            if tag.startswith(waivers.DEVIATION_TAG):
                dev = tag[len(waivers.DEVIATION_TAG):]
                assert dev in listed, f"'{test}' is tagged {tag}, which is not in accepted-deviations.yaml"
                assert f"req:{listed[dev].requirement}" in tags, f"'{test}' ({tag}) lacks req:{listed[dev].requirement}"
                tagged.setdefault(dev, []).append(test)
    for dev, deviation in listed.items():
        assert dev in tagged, f"no contract test is tagged deviation:{dev}"
        assert deviation.requirement in table, f"{dev}: requirement {deviation.requirement} is not a row"
        assert deviation.requirement in said[dev], f"row {deviation.requirement} does not say deviation `{dev}`"
