"""Test doubles for plugin-model tests: a runtime that records UpdateContainers requests and
applies them only when the test says so, and helpers to build ContainerInfo values."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from nrisim.plugin.cpulist import parse_cpu_list
from nrisim.plugin.interface import ContainerInfo, ContainerUpdate, PluginModel, Runtime
from nrisim.topology import Topology

PERIOD = 100_000
_ids = itertools.count(1)


@dataclass
class QueuedRequest:
    updates: list[ContainerUpdate]
    on_done: Callable[[list[str]], None] | None


@dataclass
class FakeRuntime(Runtime):
    """Queues requests; ``drain()`` applies them in order (also those queued while draining)."""

    queue: list[QueuedRequest] = field(default_factory=list)
    applied: list[ContainerUpdate] = field(default_factory=list)
    cpusets: dict[str, str] = field(default_factory=dict)

    def update_containers(self, updates, on_done=None) -> None:
        self.queue.append(QueuedRequest(list(updates), on_done))

    def apply_next(self) -> QueuedRequest:
        request = self.queue.pop(0)
        for update in request.updates:
            self.applied.append(update)
            self.cpusets[update.container_id] = update.cpus
        if request.on_done is not None:
            request.on_done([])
        return request

    def drain(self) -> None:
        while self.queue:
            self.apply_next()


def new_id() -> str:
    return f"{next(_ids):064x}"


def container(
    name: str = "app",
    pod: str | None = None,
    *,
    annotations: Mapping[str, str] | None = None,
    cpu_limit: int | None = None,
    cpu_request_milli: int | None = None,
    memory_limit: int | None = 1 << 30,
    current_cpus: str = "",
    exited: bool = False,
    container_id: str | None = None,
    sandbox_id: str | None = None,
    namespace: str = "test",
) -> ContainerInfo:
    """A container as kubelet would describe it; ``cpu_limit`` in whole CPUs (None = no limit)."""
    pod = pod or f"pod-{name}"
    quota = cpu_limit * PERIOD if cpu_limit is not None else None
    period = PERIOD if cpu_limit is not None else None
    milli = cpu_request_milli if cpu_request_milli is not None else (
        cpu_limit * 1000 if cpu_limit is not None else None
    )
    shares = max(2, milli * 1024 // 1000) if milli is not None else None
    return ContainerInfo(
        container_id=container_id or new_id(),
        name=name,
        pod_name=pod,
        pod_namespace=namespace,
        pod_uid=f"uid-{pod}",
        sandbox_id=sandbox_id or new_id(),
        pod_annotations=dict(annotations or {}),
        cpu_quota=quota,
        cpu_period=period,
        cpu_shares=shares,
        memory_limit=memory_limit,
        current_cpus=current_cpus,
        exited=exited,
    )


def integer(cpus: int, name: str = "int", **kwargs) -> ContainerInfo:
    return container(name, cpu_limit=cpus, **kwargs)


def annotated(cores: str, name: str = "ann", **kwargs) -> ContainerInfo:
    annotations = {"weka.io/cores-ids": cores, **kwargs.pop("annotations", {})}
    kwargs.setdefault("cpu_limit", None)
    return container(name, annotations=annotations, **kwargs)


def shared(name: str = "sh", **kwargs) -> ContainerInfo:
    kwargs.setdefault("cpu_limit", None)
    return container(name, **kwargs)


@dataclass
class Harness:
    """A model plus its log and runtime, configured and synchronised (empty node)."""

    model: PluginModel
    runtime: FakeRuntime
    lines: list[str]

    def log_has(self, fragment: str) -> bool:
        return any(fragment in line for line in self.lines)


def start(model_cls: type[PluginModel], topology: Topology | None = None,
          existing: Sequence[ContainerInfo] = ()) -> Harness:
    lines: list[str] = []
    runtime = FakeRuntime()
    model = model_cls(topology or Topology(), lines.append, runtime)
    model.configure("containerd", "v2.0.0")
    model.synchronize(list(existing))
    return Harness(model, runtime, lines)


def cpuset(text: str) -> set[int]:
    """A CPU list as a set, through the plugin model's own parser."""
    return set(parse_cpu_list(text))
