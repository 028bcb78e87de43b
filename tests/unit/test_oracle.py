"""Telling a genuine refusal from accounting corruption."""
from __future__ import annotations

from CpusetLibrary.oracle import NodeUsage, judge_refusal, overlaps
from CpusetLibrary.podstate import PodView

ONLINE = frozenset(range(64))


def pod(name="p", **kw) -> PodView:
    base = dict(name=name, phase="Pending", ready=False, terminating=False, unschedulable="",
                waiting_reason="", waiting_message="", container_ids=(), container_names=("c",),
                cpu_request=20, cpu_limit=20, node="n", cores_annotation=None)
    base.update(kw)
    return PodView(**base)


def refused(need, have, reserved=""):
    suffix = f" (reserved: [{reserved}])" if reserved else ""
    return pod(waiting_reason="CreateContainerError",
               waiting_message=f"... insufficient free CPUs: need {need}, have {have}{suffix}")


def test_not_refused_yet():
    assert judge_refusal(pod(waiting_reason="ContainerCreating"), NodeUsage(ONLINE)) is None


def test_scheduler_insufficient_cpu_is_genuine():
    verdict = judge_refusal(pod(unschedulable="0/1 nodes are available: 1 Insufficient cpu."), NodeUsage(ONLINE))
    assert verdict.kind == "scheduler" and verdict.genuine


def test_scheduler_refusing_for_another_reason_is_an_error():
    verdict = judge_refusal(pod(unschedulable="0/1 nodes are available: 1 node(s) didn't match"), NodeUsage(ONLINE))
    assert verdict.kind == "error" and not verdict.genuine


def test_plugin_shortage_matching_reality_is_genuine():
    usage = NodeUsage(ONLINE, annotated={"ns/a": frozenset(range(52))})
    verdict = judge_refusal(refused(20, 12), usage)
    assert verdict.kind == "shortage"
    assert "really free 12" in verdict.reason


def test_plugin_refusing_free_cpus_is_corruption_naming_the_leak():
    usage = NodeUsage(ONLINE, integer={"ns/i": 10}, integer_sets={"ns/i": frozenset(range(54, 64))})
    reserved = " ".join(str(c) for c in [*range(30), *range(32, 54), *range(54, 64)])
    verdict = judge_refusal(refused(15, 2, reserved), usage)
    assert verdict.kind == "corruption" and not verdict.genuine
    assert "need 15, have 2" in verdict.reason and "54 CPUs are really free" in verdict.reason
    assert "leaked CPUs (reserved but held by no container): 0-29,32-53 (52)" in verdict.reason


def test_runtime_error_other_than_shortage():
    verdict = judge_refusal(pod(waiting_reason="CreateContainerError",
                                waiting_message="invalid CPU list in annotation '999'"), NodeUsage(ONLINE))
    assert verdict.kind == "error"


def test_real_free_counts_annotated_union_once():
    usage = NodeUsage(ONLINE, annotated={"a": frozenset({0, 1}), "b": frozenset({1, 2})}, integer={"i": 4})
    assert usage.real_free == 64 - 3 - 4


def test_overlaps_name_the_shared_cpus():
    assert overlaps({"x": frozenset({1, 2, 3}), "y": frozenset({3, 4}), "z": frozenset({9})}) == [
        "x and y share CPUs 3"]
