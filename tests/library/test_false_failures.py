"""Regression tests for the five false failures of issue 9: keywords that failed a correct
plugin (the simulator's ``head`` model). Each fails on the library before its fix."""
from __future__ import annotations

from datetime import timedelta

import pytest

from CpusetLibrary.nodemap import read_node_map
from library_caller import start

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


# ---- issue 20: node and pod states the suites were not written on --------------------------

def ended(lib, *names: str) -> None:
    """Wait until the pods' containers have ended (phase Succeeded or Failed; not deleted)."""
    _, done = lib.ctx.cluster.watch_pods(
        lib.ctx.namespace, list(names),
        lambda s: all(p is not None and p.status.phase in ("Succeeded", "Failed") for p in s.values()), 10)
    assert done, f"{names} did not end"


def test_cpu_set_union_is_a_cpu_list_a_pod_body_can_carry(lib):
    union = lib("Cpu Set Union", "0", "2")
    assert str(union) == "0,2"  # failed before: a plain frozenset, 'frozenset({0, 2})'
    # Robot hands ``cores=${union}`` to the str argument as str(value)
    run(lib, lib("Pod Body", "ann-union", cpu="100m", cores=str(union)))
    lib("Pods Should Have Their Annotated Cpus", "ann-union")


def test_an_ended_pod_holds_its_cpus_until_it_is_removed(lib):
    names = lib("Create Pods Together", lib("Pod Body", "int-ended", cpu="2", memory="64Mi", command="exit 0"))
    ended(lib, *names)
    # failed before: the ended pod's CPUs were counted as free (16 where 14 are)
    assert lib("Free Cpus For A New Integer Pod") == 14
    run(lib, lib("Pod Body", "shr-beside", cpu="500m"))
    lib("Pods Should Have The Shared Pool", "shr-beside")  # failed before: "missing" the ended pod's CPUs
    assert not lib("Cpus Reserved For No Pod")  # failed before: the ended pod's CPUs reported as leaked
    lib("Create Pods Together", lib("Pod Body", "int-too-big", cpu="15", memory="64Mi"))
    # the plugin's 'need 15, have 14' is right; it was reported as accounting corruption
    assert "need 15, plugin has 14" in lib("Pod Should Be Refused Genuinely", "int-too-big", timeout=SECONDS)


def test_a_pods_own_forbidden_cpus_are_not_free_for_it(lib):
    run(lib, lib("Pod Body", "ann-most", cpu="100m", cores="0-11"))
    lib("Create Pods Together", lib("Pod Body", "int-forbids", cpu="4", memory="64Mi", forbid="12"))
    # 'need 4, have 3' is right: 12-15 are free, 12 is forbidden to it; it was reported as corruption
    assert "need 4, plugin has 3" in lib("Pod Should Be Refused Genuinely", "int-forbids", timeout=SECONDS)
    lib("Create Pods Together", lib("Pod Body", "int-fits", cpu="3", memory="64Mi", forbid="12"))
    lib("Wait Until Pods Are Ready", "int-fits", timeout=SECONDS)


@pytest.fixture(scope="module")
def offline_node(tmp_path_factory):
    """A 16-CPU node whose CPUs 5 and 7 are offline (capacity 14, highest online CPU 15)."""
    library = start(tmp_path_factory, sim_cpus=16, sim_offline_cpus="5,7")
    try:
        yield library
    finally:
        library("Disconnect From Cluster")


ONLINE_WITH_5_7_OFFLINE = frozenset(range(16)) - {5, 7}


def test_plans_and_free_counts_use_the_online_cpus(offline_node):
    lib = offline_node
    capacity = lib("Read Node Capacity")  # before a test namespace exists, as the suites' setups do
    assert capacity.online == ONLINE_WITH_5_7_OFFLINE  # failed before: range(capacity) = 0-13
    assert not lib.ctx.namespace, "the probe's namespace is gone again"
    lib("Create Test Namespace", "lib")
    try:
        run(lib, lib("Pod Body", "ann-low", cpu="100m", cores="0-4,6"))
        assert lib("Real Free Cpus") == 8
        holders = lib("Log Node Cpu Map", "with offline CPUs")
        assert holders[5][1] == holders[7][1] == "offline" and 15 not in holders
        node_map = read_node_map(lib.ctx)
        assert node_map.ncpus == 16
        free_row = node_map.table_rows(holders)[-1]
        assert free_row[3] == "8-15" and free_row[4] == "8"  # failed before: 8-13, 6 CPUs
    finally:
        lib("Delete Test Namespace", grace_period=0)
