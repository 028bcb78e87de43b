"""The node map: what containers hold, and what the plugin reserves that no container holds."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from CpusetLibrary.evidence import LEAKED_HOLDER
from CpusetLibrary.nodemap import NodeMap
from CpusetLibrary.oracle import NodeUsage

SVG = "{http://www.w3.org/2000/svg}"
ONLINE = frozenset(range(16))


def _map(reserved, unread=False) -> NodeMap:
    integer = {"ns/int-a": 2, "other/int-b": 3} if unread else {"ns/int-a": 2}
    usage = NodeUsage(ONLINE, annotated={"ns/ann": frozenset({0, 1})}, integer=integer,
                      integer_sets={"ns/int-a": frozenset({4, 5})})
    return NodeMap(16, usage, reserved)


def _svg(html: str) -> ET.Element:
    return ET.fromstring(html[html.index("<svg"):html.index("</svg>") + 6])


def test_reserved_cpus_no_container_holds_are_drawn_as_leaked_with_a_letter():
    node_map = _map(frozenset({0, 1, 4, 5, 8, 9}))
    assert node_map.leaked == frozenset({8, 9})
    holders = node_map.holders()
    assert holders[8] == holders[9] == (LEAKED_HOLDER, "leaked")
    html = node_map.html("t")
    cells = [g for g in _svg(html).iter(f"{SVG}g") if (g.get("class") or "").startswith("cpu ")]
    leaked = {int(g.get("data-cpu")) for g in cells if g.get("class") == "cpu leaked"}
    assert leaked == {8, 9}
    assert "Leaked: the plugin reserves 8-9 (2 CPUs)" in html


def test_the_holder_table_carries_the_map_letters():
    node_map = _map(frozenset({0, 1, 4, 5, 8, 9}))
    rows = node_map.table_rows(node_map.holders())
    assert rows[:3] == [("A", "ns/ann", "annotated", "0-1", "2"), ("B", "ns/int-a", "integer", "4-5", "2"),
                        ("C", LEAKED_HOLDER, "leaked", "8-9", "2")]
    assert rows[-1] == ("", "free", "free", "2-3,6-7,10-15", "10")
    svg = _svg(node_map.html("t"))
    tags = {g.get("data-cpu"): g.find(f"{SVG}text[@class='tag']").text
            for g in svg.iter(f"{SVG}g") if g.get("class") in ("cpu annotated", "cpu integer", "cpu leaked")}
    assert tags == {"0": "A", "1": "A", "4": "B", "5": "B", "8": "C", "9": "C"}


def test_no_plugin_view_and_no_leak_draw_no_leaked_kind():
    for reserved in (None, frozenset({0, 1, 4, 5})):
        html = _map(reserved).html("t")
        assert "cpu leaked" not in html and "leaked (" not in html
    assert "no access to its log" in _map(None).html("t")


def test_unread_integer_pods_are_named_as_a_possible_holder_of_leaked_cpus():
    node_map = _map(frozenset({8, 9, 10}), unread=True)
    assert "up to 3 of them may belong to integer pods whose CPUs were not read" in node_map.html("t")
    assert ("", "other/int-b", "integer", "(not read)", "3") in node_map.table_rows(node_map.holders())
