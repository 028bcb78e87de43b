"""The vocabulary's keywords against the simulated cluster (head model, 16 CPUs, 2 threads per
core with siblings i and i+8)."""
from __future__ import annotations

from datetime import timedelta

import pytest

SECONDS = timedelta(seconds=10)


def run(lib, *bodies) -> list[str]:
    names = lib("Create Pods Together", *bodies)
    lib("Wait Until Pods Are Ready", *names, timeout=SECONDS)
    return names


def test_a_refusal_is_checked_exactly_or_by_pattern(lib):
    lib("Create Pods Together", lib("Pod Body", "bad", cores="5-2"))
    message = "invalid CPU list in annotation '5-2': invalid CPU range 5-2: start > end"
    assert lib("Pod Should Be Refused By The Plugin", "bad", message=message, timeout=SECONDS) == message
    lib("Pod Should Be Refused By The Plugin", "bad", pattern=r"invalid CPU list in annotation '5-2': .*",
        timeout=SECONDS)
    with pytest.raises(AssertionError, match="does not match"):
        lib("Pod Should Be Refused By The Plugin", "bad", pattern="invalid CPU", timeout=SECONDS)  # fullmatch
    with pytest.raises(AssertionError, match="expected 'other'"):
        lib("Pod Should Be Refused By The Plugin", "bad", message="other", timeout=SECONDS)


def test_a_running_pod_is_not_a_refusal_and_stays_ready(lib):
    run(lib, lib("Pod Body", "ok", cpu="1", memory="64Mi"))
    with pytest.raises(AssertionError, match="is Running: the plugin did not refuse it"):
        lib("Pod Should Be Refused By The Plugin", "ok", message="x", timeout=SECONDS)
    lib("Pod Should Stay Ready", "ok", timedelta(seconds=1))
    lib("Delete Pods Together", "ok", grace_period=0)
    with pytest.raises(AssertionError, match="ok (is gone|stopped being Ready|is not Ready)"):
        lib("Pod Should Stay Ready", "ok", timedelta(seconds=3))


def test_siblings_and_memory_nodes_as_the_node_reports_them(lib):
    run(lib, lib("Pod Body", "ann", cpu="100m", cores="0,9"))
    assert lib("Thread Siblings Of Cpu", 1) == {1, 9}
    assert lib("Online Cpus") == set(range(16))
    assert lib("Get Pod Memory Nodes", "ann") == {0}
    lib("Pods Should Have The Memory Nodes Of Their Cpus", "ann")
    lib("Cpu Set Should Be Whole Cores", "1,9")
    with pytest.raises(AssertionError, match="splits cores: CPU 1 without sibling"):
        lib("Cpu Set Should Be Whole Cores", "1-2,10")


def test_shared_pool_forbidden_cpus_and_cleanup(lib):
    run(lib, lib("Pod Body", "ann", cpu="100m", cores="0-1"), )
    run(lib, lib("Pod Body", "int", cpu="2", memory="64Mi"))
    run(lib, lib("Pod Body", "shr", cpu="500m", memory="64Mi", forbid="4-5"))
    integer = lib("Get Pod Cpus", "int")
    assert lib("Shared Pool Now") == set(range(16)) - {0, 1} - integer
    assert lib("Shared Pool Now", for_pod="shr") == set(range(16)) - {0, 1, 4, 5} - integer
    lib("Pods Should Have The Shared Pool", "shr")
    lib("Pods Should Not Use Their Forbidden Cpus", "shr")
    deleted = lib("Clean Up Test Pods")
    assert sorted(deleted) == ["ann", "int", "shr"]
    assert lib("Cpus Reserved For No Pod") == set()
