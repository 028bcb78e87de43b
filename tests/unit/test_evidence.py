"""Tests of the log.html evidence fragments (CpusetLibrary.evidence)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from CpusetLibrary.evidence import (
    COLOURS,
    cpu_map_svg,
    cpu_table_html,
    holders_from_assignments,
    log_lines_html,
)

SVG = "{http://www.w3.org/2000/svg}"


def cells(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if g.get("class", "").startswith("cpu ")]


def test_cpu_map_one_cell_per_cpu_with_kind_and_tooltip() -> None:
    holders = {0: ("annotated-compute-1", "annotated"), 5: ("integer-drive-1", "integer"),
               6: ("coredns", "shared"), 7: ("a, b", "conflict")}
    svg = cpu_map_svg(64, holders)
    found = cells(svg)
    assert len(found) == 64
    by_cpu = {int(g.get("data-cpu")): g for g in found}
    assert by_cpu[0].find(f"{SVG}title").text == "cpu 0: annotated-compute-1 (annotated)"
    assert by_cpu[0].find(f"{SVG}rect").get("fill") == COLOURS["annotated"]
    assert by_cpu[5].get("class") == "cpu integer"
    assert by_cpu[7].find(f"{SVG}rect").get("fill") == COLOURS["conflict"]
    assert by_cpu[63].find(f"{SVG}title").text == "cpu 63: (free)"
    assert by_cpu[63].find(f"{SVG}text").text == "63"
    legend = [g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "legend"]
    assert [g.find(f"{SVG}text").text for g in legend] == [
        "annotated (1)", "integer (1)", "shared (1)", "free (60)", "conflict (1)"]


@pytest.mark.parametrize(("ncpus", "columns"), [(1, 16), (17, 16), (256, 32), (10, 3)])
def test_cpu_map_sizes(ncpus: int, columns: int) -> None:
    root = ET.fromstring(cpu_map_svg(ncpus, {}, columns=columns))
    assert len(cells(cpu_map_svg(ncpus, {}, columns=columns))) == ncpus
    rows = -(-ncpus // columns)
    ys = {float(r.get("y")) for g in cells(ET.tostring(root, encoding="unicode"))
          for r in g.iter(f"{SVG}rect")}
    assert len(ys) == rows


def test_cpu_map_escapes_pod_names() -> None:
    svg = cpu_map_svg(4, {1: ('<script>"x"&</script>', "integer")})
    assert "<script>" not in svg
    title = cells(svg)[1].find(f"{SVG}title").text
    assert title == 'cpu 1: <script>"x"&</script> (integer)'


@pytest.mark.parametrize(
    ("holders", "fragment"),
    [
        ({64: ("p", "integer")}, "outside 0-63"),
        ({1: ("p", "weird")}, "expected \\(pod, kind\\)"),
        ({1: "p"}, "expected \\(pod, kind\\)"),
    ],
)
def test_cpu_map_rejects_bad_holders(holders, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        cpu_map_svg(64, holders)


def test_cpu_map_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="ncpus"):
        cpu_map_svg(0, {})
    with pytest.raises(ValueError, match="columns"):
        cpu_map_svg(4, {}, columns=0)


def test_holders_from_assignments_marks_conflicts() -> None:
    holders = holders_from_assignments([
        ("a1", "annotated", {0, 1, 2}),
        ("a2", "annotated", {2, 3}),
        ("i1", "integer", {3, 4}),
        ("s1", "shared", {4, 5}),
        ("i2", "integer", {6}),
        ("i3", "integer", {6}),
    ])
    assert holders[0] == ("a1", "annotated")
    assert holders[2] == ("a1, a2", "annotated")  # annotated sharing is allowed
    assert holders[3] == ("a2, i1", "conflict")
    assert holders[4] == ("i1", "integer")  # shared overlap shown as the exclusive holder
    assert holders[5] == ("s1", "shared")
    assert holders[6] == ("i2, i3", "conflict")
    with pytest.raises(ValueError, match="'bogus'"):
        holders_from_assignments([("p", "bogus", {1})])


def test_cpu_table_html_escapes_and_formats_sets() -> None:
    html = cpu_table_html([
        {"pod": "<b>x</b>", "cpus": frozenset({0, 1, 2, 5}), "note": None},
        {"pod": "y&z", "cpus": frozenset(), "note": "ok"},
    ])
    root = ET.fromstring(html)
    assert [th.text for th in root.iter("th")] == ["pod", "cpus", "note"]
    cells_text = [td.text for td in root.iter("td")]
    assert cells_text == ["<b>x</b>", "0-2,5", None, "y&z", None, "ok"]
    assert "<b>" not in html
    assert ET.fromstring(cpu_table_html([], columns=["a"])).find("tr/th").text == "a"


def test_log_lines_html_marks_and_escapes() -> None:
    lines = [
        "DEBUG: Recorded integer container abc123 with CPUs [1 2]",
        "DEBUG: <other> & stuff",
        "ERROR: insufficient free CPUs for def456\n",
    ]
    html = log_lines_html(lines, ["abc123", "def456"])
    root = ET.fromstring(html)
    assert root.tag == "pre"
    marks = [m.text for m in root.iter("mark")]
    assert marks == [lines[0], lines[2].rstrip("\n")]
    assert "&lt;other&gt; &amp; stuff" in html
    assert "".join(root.itertext()).count("\n") == 2
    with pytest.raises(ValueError, match="non-empty"):
        log_lines_html(lines, [""])
