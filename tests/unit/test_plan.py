"""Tests of the state-corruption core plan (CpusetLibrary.plan)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from CpusetLibrary.cpusets import parse_cpu_list
from CpusetLibrary.procedures.state_corruption import (
    MIN_SCALE,
    NodeCapacity,
    PlanError,
    StateCorruptionPlan,
    plan_for_idle_node,
    plan_state_corruption,
)


def check_invariants(plan: StateCorruptionPlan) -> None:
    """The properties every plan must have, whatever the node."""
    cap = plan.capacity
    usable = min(cap.exclusive_available, cap.schedulable_available)
    # annotated sets: exactly sized, pairwise disjoint, online, not busy, not in the gap
    seen: set[int] = set()
    for pod in plan.annotated:
        assert len(pod.cores) == pod.cpu >= 1, pod
        assert not pod.cores & seen, f"{pod.name} overlaps another annotated pod"
        assert pod.cores <= cap.online
        assert not pod.cores & cap.busy_exclusive, f"{pod.name} uses a busy CPU"
        assert parse_cpu_list(pod.annotation) == pod.cores
        seen |= pod.cores
    assert not plan.gap & (seen | cap.busy_exclusive)
    # the pods fit both the plugin (free CPUs) and the scheduler (allocatable)
    assert plan.integer_total < plan.annotated_total <= usable
    assert plan.annotated_total <= cap.exclusive_available
    assert plan.annotated_total <= cap.schedulable_available
    assert plan.free == min(
        cap.exclusive_available - plan.integer_total,
        cap.schedulable_available - plan.integer_total,
    )
    assert plan.integer_total + plan.trigger_total <= cap.exclusive_available
    # Kubernetes quantities are millicores: compare as the scheduler does
    room_milli = round(cap.allocatable_cpu * 1000) - round(cap.requested_by_others * 1000)
    assert (plan.integer_total + plan.trigger_total) * 1000 <= room_milli
    assert (plan.integer_total + plan.probe.cpu) * 1000 > room_milli or (
        plan.integer_total + plan.probe.cpu > cap.exclusive_available
    )
    # triggers fill the free CPUs exactly; the probe exceeds them by one
    assert all(p.cpu >= 1 for p in (*plan.integer, *plan.triggers))
    assert plan.trigger_total == plan.free
    assert plan.probe.cpu == plan.free + 1
    assert plan.shared_pool_with_triggers == len(cap.online - cap.busy_exclusive) - (
        plan.integer_total + plan.trigger_total) >= 0
    names = [p.name for p in plan.pods()]
    assert len(names) == len(set(names)) == 10
    assert plan.scale <= len(cap.online)


def test_64_cpus_reproduces_manual_procedure() -> None:
    plan = plan_for_idle_node(64)
    assert [(p.name, p.annotation, p.cpu) for p in plan.annotated] == [
        ("annotated-compute-1", "0-14", 15),
        ("annotated-compute-2", "15-29", 15),
        ("annotated-drive-1", "32-43", 12),
        ("annotated-client-1", "44-53", 10),
    ]
    assert [(p.name, p.cpu) for p in plan.integer] == [
        ("integer-compute-1", 20),
        ("integer-compute-2", 15),
        ("integer-drive-1", 10),
    ]
    # the manual's second trigger (13) is more than remains: 64 - 45 - 12 = 7
    assert [(p.name, p.cpu) for p in plan.triggers] == [
        ("trigger-client-1", 12),
        ("trigger-client-2", 7),
    ]
    assert (plan.probe.name, plan.probe.cpu) == ("overflow-probe", 20)
    assert plan.free == 19 and plan.scale == 64
    assert plan.gap == frozenset({30, 31})
    assert plan.probe_refused_by == "scheduler"
    assert plan.shared_pool_with_triggers == 0
    assert "shared CPU pool is empty" in plan.describe()
    check_invariants(plan)


def test_64_cpus_on_k3s_with_system_pods_keeps_manual_pods() -> None:
    cap = NodeCapacity(online=frozenset(range(64)), allocatable_cpu=64, requested_by_others=0.2)
    plan = plan_state_corruption(cap)
    assert [p.cpu for p in plan.annotated] == [15, 15, 12, 10]
    assert [p.cpu for p in plan.integer] == [20, 15, 10]
    assert [p.cpu for p in plan.triggers] == [12, 6]  # floor(63.8) - 45 = 18
    assert plan.probe.cpu == 19
    assert plan.shared_pool_with_triggers == 1
    check_invariants(plan)


@pytest.mark.parametrize(
    ("ncpus", "annotated", "integer", "triggers"),
    [
        (16, [3, 3, 3, 2], [5, 3, 2], [3, 3]),
        (48, [11, 11, 9, 7], [15, 11, 7], [9, 6]),
        (96, [22, 22, 18, 15], [30, 22, 15], [18, 11]),
        (128, [30, 30, 24, 20], [40, 30, 20], [24, 14]),
        (256, [60, 60, 48, 40], [80, 60, 40], [48, 28]),
    ],
)
def test_other_sizes_scale_the_shape(ncpus, annotated, integer, triggers) -> None:
    plan = plan_for_idle_node(ncpus)
    assert plan.scale == ncpus
    assert [p.cpu for p in plan.annotated] == annotated
    assert [p.cpu for p in plan.integer] == integer
    assert [p.cpu for p in plan.triggers] == triggers
    # gap pattern: compute-1 and -2 adjacent, then a gap, then drive-1 and client-1 adjacent
    a = plan.annotated
    assert max(a[0].cores) + 1 == min(a[1].cores)
    assert min(a[2].cores) - max(a[1].cores) - 1 == len(plan.gap) >= 1
    assert max(a[2].cores) + 1 == min(a[3].cores)
    assert min(a[0].cores) == 0
    check_invariants(plan)


@pytest.mark.parametrize("ncpus", range(MIN_SCALE, 300))
def test_every_idle_size_from_minimum(ncpus: int) -> None:
    check_invariants(plan_for_idle_node(ncpus))


def test_busy_cpus_are_avoided_and_reduce_free() -> None:
    busy = frozenset({3, 40})
    cap = NodeCapacity(online=frozenset(range(64)), allocatable_cpu=64, busy_exclusive=busy,
                       requested_by_others=2)
    plan = plan_state_corruption(cap)
    assert plan.scale == 64
    assert plan.annotated[0].annotation == "0-2,4-15"
    assert plan.free == 64 - 2 - 45 == plan.free_exclusive_after_integer
    assert plan.probe_refused_by == "scheduler"  # 62 - 45 = 17 < 18 as well
    check_invariants(plan)


def test_exclusive_limit_binds_probe_is_for_the_plugin() -> None:
    cap = NodeCapacity(online=frozenset(range(64)), allocatable_cpu=64,
                       busy_exclusive=frozenset({60, 61}))
    plan = plan_state_corruption(cap)
    assert plan.free_exclusive_after_integer == 17
    assert plan.free_schedulable_after_integer == 19
    assert plan.probe.cpu == 18
    assert plan.probe_refused_by == "plugin"
    check_invariants(plan)


def test_reserved_allocatable_reduces_free() -> None:
    cap = NodeCapacity(online=frozenset(range(64)), allocatable_cpu=62.5)
    plan = plan_state_corruption(cap)
    assert plan.free == 62 - 45 == plan.free_schedulable_after_integer
    assert plan.trigger_total == 17
    check_invariants(plan)


def test_busy_node_lowers_the_scale() -> None:
    cap = NodeCapacity(online=frozenset(range(64)), allocatable_cpu=64,
                       busy_exclusive=frozenset(range(20)))
    plan = plan_state_corruption(cap)
    assert MIN_SCALE <= plan.scale < 64
    assert "lowered from 64" in plan.describe()
    check_invariants(plan)


@given(
    ncpus=st.integers(min_value=MIN_SCALE, max_value=300),
    busy_fraction=st.floats(min_value=0, max_value=0.5),
    reserved=st.floats(min_value=0, max_value=0.4),
    seed=st.randoms(use_true_random=False),
)
def test_invariants_with_random_busy_and_reserved(ncpus, busy_fraction, reserved, seed) -> None:
    online = frozenset(range(ncpus))
    busy = frozenset(seed.sample(sorted(online), int(ncpus * busy_fraction)))
    cap = NodeCapacity(online=online, allocatable_cpu=ncpus * (1 - reserved / 4),
                       requested_by_others=len(busy) + ncpus * reserved / 4,
                       busy_exclusive=busy)
    try:
        plan = plan_state_corruption(cap)
    except PlanError as err:
        assert "too busy" in str(err)
        return
    check_invariants(plan)


def test_too_small_node_is_refused_with_numbers() -> None:
    with pytest.raises(PlanError) as info:
        plan_for_idle_node(MIN_SCALE - 1)
    assert f"{MIN_SCALE - 1} online CPUs" in str(info.value)
    assert f"at least {MIN_SCALE}" in str(info.value)


def test_too_busy_node_is_refused_with_numbers() -> None:
    cap = NodeCapacity(online=frozenset(range(64)), allocatable_cpu=64,
                       busy_exclusive=frozenset(range(58)))
    with pytest.raises(PlanError) as info:
        plan_state_corruption(cap)
    message = str(info.value)
    assert "too busy" in message
    assert "58 used exclusively" in message
    assert "exclusive available 6" in message
    assert "need 52 CPUs" in message


def test_too_busy_by_allocatable() -> None:
    cap = NodeCapacity(online=frozenset(range(64)), allocatable_cpu=64, requested_by_others=57)
    with pytest.raises(PlanError, match="schedulable available 7"):
        plan_state_corruption(cap)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"online": frozenset()}, "online CPUs is empty"),
        ({"allocatable_cpu": -1}, "allocatable_cpu"),
        ({"requested_by_others": float("nan")}, "requested_by_others"),
        ({"busy_exclusive": frozenset({70})}, "busy CPUs 70 are not online"),
        ({"sibling_groups": (frozenset({0, 1}),)}, "sibling groups cover '0-1'"),
        ({"sibling_groups": (frozenset({0, 1}), frozenset({1, 2}))}, "overlaps"),
    ],
)
def test_bad_capacity_is_rejected(kwargs, fragment: str) -> None:
    args = {"online": frozenset(range(16)), "allocatable_cpu": 16.0, **kwargs}
    with pytest.raises(PlanError, match=fragment):
        NodeCapacity(**args)


def test_sibling_groups_accepted() -> None:
    groups = tuple(frozenset({i, i + 32}) for i in range(32))
    cap = NodeCapacity(online=frozenset(range(64)), allocatable_cpu=64, sibling_groups=groups)
    check_invariants(plan_state_corruption(cap))


def test_describe_names_every_pod_and_figure() -> None:
    text = plan_for_idle_node(64).describe()
    for fragment in ("annotated-compute-1", "0-14", "integer-drive-1", "trigger-client-2",
                     "overflow-probe", "min(exclusive 19, schedulable 19) = 19", "12 + 7 = 19"):
        assert fragment in text
    assert len(plan_for_idle_node(64).table_rows()) == 10
