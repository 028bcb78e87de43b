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


def _ts(text: str) -> str:
    return f"[2026-11-26 10:00:00] {text}"


def test_reservation_follows_grants_and_releases():
    lines = [_ts(f"DEBUG: Successfully allocated integer container {CID[:12]} with CPUs [1 2 3]"),
             _ts(f"DEBUG: Recorded annotated container {OTHER[:12]} with CPUs [7 8]"),
             _ts(f"DEBUG: Released annotated CPU 7 from container {OTHER[:12]}"),
             _ts(f"DEBUG: Released annotated CPU 8 from container {OTHER[:12]}"),
             _ts(f"DEBUG: RemoveContainer {OTHER[:12]} complete (after removal: intOwner=3 entries)")]
    reservation = pluginlog.plugin_reservation(lines)
    assert reservation.by_container == {CID[:12]: frozenset({1, 2, 3})}
    assert reservation.snapshot is None and reservation.cpus == frozenset({1, 2, 3})


def test_a_printed_reserved_set_shows_cpus_logged_as_released_but_still_booked():
    lines = [_ts(f"DEBUG: Recorded annotated container {OTHER[:12]} with CPUs [0 1]"),
             _ts(f"DEBUG: Released annotated CPU 0 from container {OTHER[:12]}"),
             _ts(f"DEBUG: Released annotated CPU 1 from container {OTHER[:12]}"),
             _ts(f"DEBUG: RemoveContainer {OTHER[:12]} complete (after removal: ...)"),
             _ts("DEBUG: Memory state - reserved: [0 1], annotated: [0 1], forbidden: []"),
             _ts(f"DEBUG: Successfully allocated integer container {CID[:12]} with CPUs [4 5]")]
    reservation = pluginlog.plugin_reservation(lines)
    assert reservation.snapshot == frozenset({0, 1, 4, 5})
    assert reservation.cpus == frozenset({0, 1, 4, 5})


def test_release_after_the_printed_set_frees_the_cpu_unless_another_holder_has_it():
    lines = [_ts("DEBUG: Memory state - integer reserved: [], annotated reserved: [3 4]"),
             _ts(f"DEBUG: Recorded annotated container {CID[:12]} with CPUs [3 4]"),
             _ts(f"DEBUG: Recorded annotated container {OTHER[:12]} with CPUs [4]"),
             _ts(f"DEBUG: Released annotated CPU 3 from container {CID[:12]}"),
             _ts(f"DEBUG: Released annotated CPU 4 from container {CID[:12]}")]
    assert pluginlog.plugin_reservation(lines).cpus == frozenset({4})


def test_synchronize_starts_the_picture_again():
    lines = [_ts("DEBUG: Memory state - reserved: [0 1 2], annotated: [0 1 2], forbidden: []"),
             _ts("Synchronizing state with 1 pods and 1 containers"),
             _ts(f"DEBUG: Synchronizing integer container {CID} with existing CPUs [9 10] (expected ~2 CPUs)")]
    reservation = pluginlog.plugin_reservation(lines)
    assert reservation.snapshot is None and reservation.cpus == frozenset({9, 10})


def test_decisive_lines_are_about_the_run_or_errors():
    lines = [_ts(f"DEBUG: Successfully allocated integer container {CID[:12]} with CPUs [1]"),
             _ts(f"DEBUG: Successfully allocated integer container {OTHER[:12]} with CPUs [2]"),
             _ts("ERROR: CPU allocation failed - need 2 CPUs, have 1 available."),
             _ts(f"DEBUG: Handling integer container {CID[:12]} with synchronized architecture")]
    assert pluginlog.decisive_lines(lines, [CID[:12]]) == [lines[0], lines[2]]


ADMISSION_LOG = [
    "[2026-11-28 08:41:13] DEBUG: CreateContainer called for annotated container ns/refused-then-admitted "
    "(container 103de61e626c)",
    "[2026-11-28 08:41:13] DEBUG: Reallocation planning failed: cannot reallocate integer container aeda17796f09",
    "[2026-11-28 08:41:13] DEBUG: CreateContainer called for annotated container ns/refused-then-admitted "
    "(container 321e6900b6d3)",
    "[2026-11-28 08:41:13] DEBUG: Recorded annotated container 321e6900b6d3 with CPUs [1]",
    "[2026-11-28 08:41:13] DEBUG: CreateContainer called for integer container ns/integer (container aeda17796f09)",
    "[2026-11-28 08:41:13] DEBUG: Successfully allocated integer container aeda17796f09 with CPUs: [32 33]",
    "[2026-11-28 08:41:13] DEBUG: CreateContainer called for shared container ns/shared (container 2d8dffd0b3d0)",
    "[2026-11-28 08:41:13] Removing container weka-container from pod ns/integer",
]


def test_reserving_admissions_count_only_admitted_annotated_and_integer_containers():
    admitted = pluginlog.reserving_admissions(ADMISSION_LOG)
    assert admitted == {"ns/refused-then-admitted": 1, "ns/integer": 1}  # the refusal and the shared pod not
    assert pluginlog.removals_per_pod(ADMISSION_LOG) == {"ns/integer": 1}


def test_a_grant_whose_create_line_is_not_read_is_not_counted():
    assert pluginlog.reserving_admissions(ADMISSION_LOG[3:4]) == {}


def test_lines_since_the_last_start():
    lines = ["a", "Synchronizing state with 1 pods and 1 containers", "b",
             "Synchronizing state with 0 pods and 0 containers", "c"]
    assert pluginlog.since_last_start(lines) == lines[3:]
    assert pluginlog.since_last_start(["a", "b"]) == ["a", "b"]


MIXED_POD_LOG = [
    "DEBUG: CreateContainer called for shared container ns/mixed (container 5a5a5a5a5a5a)",
    "DEBUG: CreateContainer called for integer container ns/mixed (container 1b1b1b1b1b1b)",
    "DEBUG: Successfully allocated integer container 1b1b1b1b1b1b with CPUs: [4 5]",
    "Removing container sidecar from pod ns/mixed",
    "DEBUG: RemoveContainer called for unknown container 5a5a5a5a5a5a (not in state)",
]


def test_a_mixed_pods_shared_removal_does_not_release_its_integer_container():
    assert pluginlog.admitted_not_removed(MIXED_POD_LOG, {"ns/mixed"}) == {"ns/mixed"}
    removed = [*MIXED_POD_LOG, "Removing container worker from pod ns/mixed",
               "DEBUG: RemoveContainer 1b1b1b1b1b1b mode=integer CPUs=[4 5] (before removal: intOwner=2 entries, "
               "annotRef=0 entries)"]
    assert pluginlog.admitted_not_removed(removed, {"ns/mixed"}) == set()


def test_without_per_container_removal_lines_removals_are_counted_per_pod():
    lines = [*ADMISSION_LOG[:6]]
    assert pluginlog.admitted_not_removed(lines, {"ns/integer"}) == {"ns/integer"}
    assert pluginlog.admitted_not_removed(ADMISSION_LOG, {"ns/integer"}) == set()
