"""The DaemonSet state-corruption plan: the manual's numbers on idle 64-CPU nodes, scaled
sizes on other nodes, sets free on every node, memory from what the nodes have left."""
from __future__ import annotations

import pytest

from CpusetLibrary.cpusets import parse_cpu_list
from CpusetLibrary.procedures.daemonset_state_corruption import (MIB, NodeRoom, PlanError,
                                                                 plan_daemonset_state_corruption)
from CpusetLibrary.procedures.state_corruption import NodeCapacity

GIB = 1024 * MIB


def room(name: str, cpus: int = 64, busy: str = "", requested: float = 0.0, memory: int = 256 * GIB) -> NodeRoom:
    capacity = NodeCapacity(online=frozenset(range(cpus)), allocatable_cpu=float(cpus),
                            requested_by_others=requested, busy_exclusive=parse_cpu_list(busy) if busy else frozenset())
    return NodeRoom(name, capacity, memory)


def test_idle_64_cpu_nodes_get_the_manual_numbers():
    plan = plan_daemonset_state_corruption((room("a"), room("b"), room("c")), "a")
    assert plan.scale == 64
    assert dict(plan.annotated) == {"client-annotated": parse_cpu_list("12-15,44-47,32"),
                                    "compute-annotated": parse_cpu_list("0-11,33-43"),
                                    "drive-annotated": parse_cpu_list("16-21,48-54")}
    assert dict(plan.integer) == {"client-integer": 9, "compute-integer": 23, "drive-integer": 13}
    assert plan.margin == 4 and plan.trigger == 15  # 64 - 45 - 4, the manual's trigger
    assert plan.free_at_the_end("a") == 4 and plan.free_at_the_end("b") == 19


def test_the_trigger_is_sized_from_what_the_scheduler_really_admits():
    plan = plan_daemonset_state_corruption((room("a", requested=0.1), room("b")), "a")
    assert plan.trigger == 14  # floor(64 - 0.1) - 45 - 4


@pytest.mark.parametrize("cpus, sizes, integer_total", [(16, (2, 5, 3), 10), (128, (18, 46, 26), 90)])
def test_other_node_sizes_scale_every_figure(cpus, sizes, integer_total):
    plan = plan_daemonset_state_corruption((room("a", cpus), room("b", cpus)), "a")
    assert plan.scale == cpus
    assert tuple(len(c) for _, c in plan.annotated) == sizes
    assert plan.integer_total == integer_total
    union = frozenset().union(*(c for _, c in plan.annotated))
    assert len(union) == sum(sizes)  # the sets never overlap
    assert plan.trigger >= 1


def test_annotated_sets_avoid_cpus_busy_on_any_node():
    plan = plan_daemonset_state_corruption((room("a"), room("b", busy="0-3")), "a")
    union = frozenset().union(*(c for _, c in plan.annotated))
    assert not union & {0, 1, 2, 3}
    assert plan.scale < 64 or union != parse_cpu_list("0-21,32-54")


def test_memory_is_a_share_of_the_smallest_free_memory():
    plan = plan_daemonset_state_corruption((room("a", memory=64 * GIB), room("b", memory=32 * GIB)), "a")
    assert plan.memory_per_cpu_mib == int(32 * GIB * 0.9 / 64) // MIB
    total = sum(len(c) for _, c in plan.annotated) * plan.memory_per_cpu_mib
    assert total * MIB <= 32 * GIB
    assert plan.memory(9) == f"{9 * plan.memory_per_cpu_mib}Mi"


@pytest.mark.parametrize("rooms, target, named", [
    ((room("a", 8),), "a", "node a too small"),
    ((room("a"), room("b", requested=60)), "a", "b"),
    ((room("a", memory=100 * MIB),), "a", "MiB memory left"),
    ((room("a"),), "z", "target node 'z' is not among the nodes of the run"),
])
def test_nodes_that_cannot_run_it_are_named(rooms, target, named):
    with pytest.raises(PlanError, match=named):
        plan_daemonset_state_corruption(rooms, target)
