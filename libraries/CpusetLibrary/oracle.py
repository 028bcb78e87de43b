"""Telling a genuine refusal from accounting corruption, and checking CPU-set invariants.

The plugin's figure (``need N, have M (reserved: [...])``) is compared with what the node
really holds: the annotated sets and integer CPU counts of the containers that exist on it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from kubernetes import client

from .cpusets import CpuListError, format_cpu_list, parse_cpu_list
from .pluginlog import Refusal, parse_refusal
from .podstate import PodView, is_integer_pod, view


class AccountingCorruption(AssertionError):
    """The plugin refused CPUs that are really free."""

    ROBOT_SUPPRESS_NAME = True  # the message starts with "accounting corruption" already


@dataclass(frozen=True)
class NodeUsage:
    """CPUs held exclusively on a node, as the pods on it say."""

    online: frozenset[int]
    annotated: Mapping[str, frozenset[int]] = field(default_factory=dict)
    integer: Mapping[str, int] = field(default_factory=dict)  # pod -> CPUs it holds exclusively
    integer_sets: Mapping[str, frozenset[int]] = field(default_factory=dict)  # the ones read by exec

    @property
    def known_held(self) -> frozenset[int]:
        return self.annotated_cpus.union(*self.integer_sets.values())

    @property
    def annotated_cpus(self) -> frozenset[int]:
        return frozenset().union(*self.annotated.values()) if self.annotated else frozenset()

    @property
    def real_free(self) -> int:
        return len(self.online) - len(self.annotated_cpus & self.online) - sum(self.integer.values())

    def free_for(self, forbidden: frozenset[int]) -> int:
        """CPUs really free for a pod that forbids ``forbidden`` (its ``weka.io/forbid-core-ids``:
        the plugin never gives it those). A forbidden CPU counts as free-but-not-for-it unless a
        container is known to hold it (integer pods not read may hold some: then fewer are
        subtracted, never more, so a correct refusal is not judged corruption)."""
        known_free = self.online - self.known_held
        return self.real_free - len(frozenset(forbidden) & known_free)

    def describe(self) -> str:
        parts = [f"{len(self.online)} online"]
        if self.annotated:
            parts.append(f"annotated {format_cpu_list(self.annotated_cpus)} "
                         f"({len(self.annotated_cpus)}) by {', '.join(sorted(self.annotated))}")
        if self.integer:
            parts.append(f"integer {sum(self.integer.values())} by "
                         + ", ".join(f"{k}={v}" for k, v in sorted(self.integer.items())))
        return "; ".join(parts) + f"; really free {self.real_free}"


def holds_cpus(pod_view: PodView) -> bool:
    """A pod whose containers exist in the runtime holds its CPUs: running, terminating but not
    yet removed, or ended (``Succeeded``/``Failed``, not deleted: the plugin releases a
    container's CPUs at its RemoveContainer, which comes with the pod's deletion). A pod that
    never got a container does not."""
    return pod_view.phase == "Running" or bool(pod_view.container_ids)


def forbidden_of(pod_view: PodView) -> frozenset[int]:
    """The pod's ``weka.io/forbid-core-ids``; an unparsable value forbids nothing (the plugin
    logs a warning and ignores it)."""
    try:
        return parse_cpu_list(pod_view.forbid_annotation or "")
    except CpuListError:
        return frozenset()


def node_usage(pods: list[client.V1Pod], online: frozenset[int],
               parse_annotation) -> NodeUsage:
    """``parse_annotation`` turns a cores-ids value into a CPU set (invalid -> empty)."""
    annotated: dict[str, frozenset[int]] = {}
    integer: dict[str, int] = {}
    for pod in pods:
        pv = view(pod)
        if not holds_cpus(pv):
            continue
        key = f"{pod.metadata.namespace}/{pv.name}"
        if pv.cores_annotation is not None:
            annotated[key] = parse_annotation(pv.cores_annotation)
        elif is_integer_pod(pod):
            integer[key] = int(pv.cpu_limit)
    return NodeUsage(online=online, annotated=annotated, integer=integer)


@dataclass(frozen=True)
class RefusalVerdict:
    """``kind``: ``scheduler`` (Insufficient cpu), ``shortage`` (the plugin is right that too
    few CPUs are free), ``corruption`` (the plugin refuses CPUs that are free) or ``error``
    (any other refusal, e.g. an invalid annotation)."""

    kind: str
    reason: str  # one sentence with the figures

    @property
    def genuine(self) -> bool:
        return self.kind in ("scheduler", "shortage")


def judge_refusal(pod_view: PodView, usage: NodeUsage) -> RefusalVerdict | None:
    """None when the pod is not refused (yet)."""
    if pod_view.unschedulable:
        return RefusalVerdict(
            "scheduler" if "Insufficient cpu" in pod_view.unschedulable else "error",
            f"scheduler refused pod {pod_view.name}: {pod_view.unschedulable}",
        )
    if pod_view.waiting_reason != "CreateContainerError":
        return None
    refusal = parse_refusal(pod_view.waiting_message)
    if refusal is None:
        return RefusalVerdict("error", f"runtime refused pod {pod_view.name}: {pod_view.waiting_message}")
    return _judge_plugin_refusal(pod_view.name, refusal, usage, forbidden_of(pod_view))


def _judge_plugin_refusal(pod: str, refusal: Refusal, usage: NodeUsage,
                          forbidden: frozenset[int] = frozenset()) -> RefusalVerdict:
    real = usage.free_for(forbidden)
    own = (f" less {usage.real_free - real} it forbids (weka.io/forbid-core-ids {format_cpu_list(forbidden)})"
           if real != usage.real_free else "")
    if real < refusal.need or refusal.have >= real:
        return RefusalVerdict(
            "shortage",
            f"plugin refused pod {pod} genuinely: need {refusal.need}, plugin has {refusal.have}, "
            f"really free {real}{own} ({usage.describe()})",
        )
    leaked = ""
    if refusal.reserved is not None:
        phantom = refusal.reserved - usage.known_held
        unknown = sum(n for pod, n in usage.integer.items() if pod not in usage.integer_sets)
        leaked = (f"; the plugin reserves {format_cpu_list(refusal.reserved)} ({len(refusal.reserved)} CPUs); "
                  f"leaked CPUs (reserved but held by no container): {format_cpu_list(phantom)} "
                  f"({len(phantom)})")
        if unknown:
            leaked += f", less up to {unknown} CPUs of integer pods whose sets were not read"
    return RefusalVerdict(
        "corruption",
        f"accounting corruption: plugin refused pod {pod} with 'need {refusal.need}, have {refusal.have}' "
        f"but {real} CPUs are really free{own} ({usage.describe()}){leaked}",
    )


def overlaps(sets: Mapping[str, frozenset[int]]) -> list[str]:
    """Every pair of holders sharing CPUs, as 'a and b share 3,4'."""
    names = sorted(sets)
    found = []
    for i, first in enumerate(names):
        for second in names[i + 1:]:
            shared = sets[first] & sets[second]
            if shared:
                found.append(f"{first} and {second} share CPUs {format_cpu_list(shared)}")
    return found


def overlaps_between(first: Mapping[str, frozenset[int]], second: Mapping[str, frozenset[int]]) -> list[str]:
    """Every holder of ``first`` sharing CPUs with a holder of ``second`` (not within a group)."""
    found = []
    for a in sorted(first):
        for b in sorted(second):
            shared = frozenset(first[a]) & frozenset(second[b])
            if shared and a != b:
                found.append(f"{a} and {b} share CPUs {format_cpu_list(shared)}")
    return found
