"""Regression tests for the five false failures of issue 9: keywords that failed a correct
plugin (the simulator's ``head`` model). Each fails on the library before its fix."""
from __future__ import annotations

from datetime import timedelta

import pytest

SECONDS = timedelta(seconds=10)


def run(lib, *bodies) -> list[str]:
    names = lib("Create Pods Together", *bodies)
    lib("Wait Until Pods Are Ready", *names, timeout=SECONDS)
    return names


def test_integer_check_allows_annotated_pods_to_share_cpus(lib):
    run(lib, lib("Pod Body", "ann-a", cpu="100m", cores="0,2"), lib("Pod Body", "ann-b", cpu="100m", cores="0,2"),
        lib("Pod Body", "int-a", cpu="2", memory="64Mi"))
    sets = lib("Pods Should Have Exactly Their Requested Cpus", "int-a")
    assert len(sets["int-a"]) == 2 and not sets["int-a"] & {0, 2}


def test_cpu_map_draws_a_legal_annotated_share_as_annotated(lib):
    run(lib, lib("Pod Body", "ann-a", cpu="100m", cores="0,2"), lib("Pod Body", "ann-b", cpu="100m", cores="0,2"))
    holders = lib("Log Node Cpu Map", "shared annotated CPUs")
    assert holders[0][1] == "annotated" and holders[2][1] == "annotated", holders
    assert "ann-a" in holders[0][0] and "ann-b" in holders[0][0]


def test_grants_match_after_a_correct_live_reallocation(lib):
    run(lib, lib("Pod Body", "int-x", cpu="4", memory="64Mi"))
    before = lib("Get Pod Cpus", "int-x")
    lib("Container Ids Of", "int-x")
    taken = ",".join(str(c) for c in sorted(before)[:2])
    run(lib, lib("Pod Body", "ann-a", cpu="100m", cores=taken))
    moved = lib("Wait Until Pods Leave Cpus", taken, "int-x")
    lib("Plugin Grants Should Match Pod Cpus", moved)  # failed before: compared with the old grant
    # a wrong view still fails: the same count, but on a CPU the plugin moved it off
    wrong = {"int-x": frozenset(sorted(moved["int-x"])[1:]) | {sorted(before)[0]}}
    with pytest.raises(AssertionError, match="plugin's view differs"):
        lib("Plugin Grants Should Match Pod Cpus", wrong)


def test_grants_of_a_container_that_was_not_moved_must_equal_the_logged_grant(lib):
    run(lib, lib("Pod Body", "int-a", cpu="2", memory="64Mi"))
    cpus = lib("Get Pod Cpus", "int-a")
    lib("Container Ids Of", "int-a")
    other = frozenset(c + 1 for c in cpus)
    with pytest.raises(AssertionError, match="plugin says"):
        lib("Plugin Grants Should Match Pod Cpus", {"int-a": other})


def test_release_wait_finds_a_pod_deleted_by_an_earlier_call(lib):
    run(lib, lib("Pod Body", "int-a", cpu="1", memory="64Mi"), lib("Pod Body", "int-b", cpu="1", memory="64Mi"))
    lib("Delete Pods Together", "int-a", grace_period=0)
    lib("Wait Until Pods Are Gone", "int-a", timeout=SECONDS)
    lib("Wait Until Plugin Has Released Pods", "int-a", timeout=SECONDS)
    lib("Delete Pods Together", "int-b", grace_period=0)
    lib("Wait Until Pods Are Gone", "int-b", timeout=SECONDS)
    # failed before: read only after the latest deletion (int-b), where int-a's release is not
    lib("Wait Until Plugin Has Released Pods", "int-a", "int-b", timeout=timedelta(seconds=2))


def test_corruption_check_reads_since_the_test_or_a_named_mark(lib):
    log = lib.ctx.simulator.plugin_log
    with open(log, "a", encoding="utf-8") as out:  # an earlier test's corruption, as the plugin writes it
        out.write("[2026-01-01 00:00:00] WARNING: State corruption - CPU 3 owned by missing container abc\n")
    lib("Mark Plugin Log For Step")
    lib("Mark Plugin Log", "after-it")
    lib("Plugin Log Should Not Report Corruption", since="test")
    lib("Plugin Log Should Not Report Corruption", since="after-it")
    with pytest.raises(AssertionError, match="State corruption"):
        lib("Plugin Log Should Not Report Corruption", since="run")
    with pytest.raises(ValueError, match="since 'nowhere' is not a plugin log mark"):
        lib("Plugin Log Should Not Report Corruption", since="nowhere")
