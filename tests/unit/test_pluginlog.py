"""Reading the plugin's log lines and refusal messages (formats of upstream HEAD and PRE)."""
from __future__ import annotations

from CpusetLibrary import pluginlog

CID = "3f2a9c1b7d4e" + "0" * 52
OTHER = "aa11bb22cc33" + "1" * 52


def test_refusal_with_reserved_list():
    message = ("failed to create containerd container: failed to get NRI adjustment for container: rpc error: "
               "code = Unknown desc = failed to allocate CPUs: failed to allocate exclusive CPUs (avoiding "
               "forbidden cores): insufficient free CPUs: need 20, have 12 (reserved: [0 1 2 53])")
    refusal = pluginlog.parse_refusal(message)
    assert refusal == pluginlog.Refusal(20, 12, frozenset({0, 1, 2, 53}))


def test_refusal_in_pre_format_has_no_reserved_list():
    refusal = pluginlog.parse_refusal("insufficient free CPUs: need 13, have 7")
    assert refusal == pluginlog.Refusal(13, 7, None)


def test_other_messages_are_not_refusals():
    assert pluginlog.parse_refusal("invalid CPU list in annotation '999': CPU(s) not online: [999]") is None
    assert pluginlog.parse_refusal("") is None


def test_grants_keep_the_latest_line_per_container():
    lines = [
        f"[2026-11-26 10:00:00] DEBUG: Successfully allocated integer container {CID[:12]} with CPUs [1 2 33 34]",
        f"[2026-11-26 10:00:01] DEBUG: Recorded annotated container {OTHER[:12]} with CPUs [5 6]",
        f"[2026-11-26 10:00:02] DEBUG: Synchronizing integer container {CID} with existing CPUs [3 4] "
        "(expected ~2 CPUs)",
    ]
    assert pluginlog.grants(lines) == {CID[:12]: frozenset({3, 4}), OTHER[:12]: frozenset({5, 6})}


def test_pre_fix_integer_record_line_is_a_grant():
    line = f"DEBUG: Recorded integer container {CID} with CPUs [7 8]"
    assert pluginlog.grants([line]) == {CID[:12]: frozenset({7, 8})}


def test_removals_by_pod_and_container_name():
    lines = ["[2026-11-26 10:00:00] Removing container weka-container from pod ns-1/annotated-compute-1",
             "Removing container sidecar from pod ns-1/other"]
    assert pluginlog.removed_pod_containers(lines) == {
        ("ns-1/annotated-compute-1", "weka-container"), ("ns-1/other", "sidecar")}


def test_synchronized_ids():
    lines = [f"DEBUG: Synchronizing integer container {CID} with existing CPUs [1] (expected ~1 CPUs)",
             f"DEBUG: Adding CPU restriction update for annotated container {OTHER}: [5]",
             f"DEBUG: RemoveContainer {CID[:12]} complete (after removal: intOwner=0 entries)"]
    assert pluginlog.synchronized(lines) == {CID[:12], OTHER[:12]}


def test_corruption_lines():
    lines = ["fine", "WARNING: State corruption - CPU 3 owned by missing container x",
             "WARNING: CPU 4 ownership mismatch during removal - expected a, found b"]
    assert pluginlog.corruption_lines(lines) == lines[1:]


def test_timestamp_prefix_is_stripped_once():
    assert pluginlog.strip_timestamp("[2026-11-26 10:00:00] [x] y") == "[x] y"
