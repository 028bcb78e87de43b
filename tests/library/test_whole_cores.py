"""Whole cores for every count, judged against the node just before each grant: a correct
plugin (``head``) passes with odd counts on a partly held node, in a batch; a plugin that takes
CPUs without regard to cores (``siblings-ignored``) fails, naming the broken cores."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from CpusetLibrary.coregrants import judge_pod_grants
from CpusetLibrary.keywords.topology import node_topology
from CpusetLibrary.podstate import view
from library_caller import Library, in_namespace

SECONDS = timedelta(seconds=10)


def _connected(tmp_path_factory, model: str) -> Iterator[Library]:
    yield from in_namespace(tmp_path_factory, "cores", sim_cpus=16, plugin_model=model)


@pytest.fixture(scope="module")
def head(tmp_path_factory) -> Iterator[Library]:
    yield from _connected(tmp_path_factory, "head")


@pytest.fixture(scope="module")
def careless(tmp_path_factory) -> Iterator[Library]:
    yield from _connected(tmp_path_factory, "siblings-ignored")


def run(lib, *bodies) -> list[str]:
    names = lib("Create Pods Together", *bodies)
    lib("Wait Until Pods Are Ready", *names, timeout=SECONDS)
    return names


def integer(lib, name: str, cpus: int, **kw) -> dict:
    return lib("Pod Body", name, cpu=str(cpus), memory="64Mi", **kw)


def judged(lib, *pods: str) -> None:
    """Each pod's grant was judged (its prior state known), not skipped."""
    topology = node_topology(lib.ctx)
    for pod in pods:
        obj = lib.ctx.cluster.get_pod(lib.ctx.namespace, pod)
        verdicts = judge_pod_grants(lib.ctx, view(obj), frozenset(), topology.siblings, topology.online)
        assert isinstance(verdicts, list) and all(v.ok for v in verdicts), (pod, verdicts)


def test_a_correct_plugin_keeps_whole_cores_for_odd_counts_on_a_partly_held_node(head):
    run(head, head("Pod Body", "ann-one", cpu="100m", cores="0"))  # core 0,8 partly held
    names = run(head, integer(head, "int-three", 3), integer(head, "int-one", 1), integer(head, "int-five", 5))
    sets = head("Pods Should Have Exactly Their Requested Cpus", *names)
    assert sum(len(cpus) for cpus in sets.values()) == 9
    judged(head, *names)
    run(head, integer(head, "int-forbid", 3, forbid="9"))  # 1 is free, its sibling forbidden
    head("Pods Should Have Exactly Their Requested Cpus", "int-forbid")
    judged(head, "int-forbid")


def test_a_grant_that_breaks_whole_free_cores_fails_naming_them(careless):
    run(careless, integer(careless, "int-two", 2))
    with pytest.raises(AssertionError, match=r"integer CPUs break whole cores: int-two broke whole free cores "
                                             r"it did not have to: 2 CPUs 1-2; .*whole cores broken: 1,9, 2,10 "
                                             r"\(the rule allows 0\)"):
        careless("Pods Should Have Exactly Their Requested Cpus", "int-two")
