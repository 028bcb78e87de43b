"""The contract between the simulated runtime (kubelet/containerd) and a plugin model.

A model reproduces the NRI hooks the real plugin subscribes to
(RunPodSandbox, CreateContainer, UpdateContainer, RemoveContainer) plus
Configure/Synchronize on (re)start. The runtime serialises every call, as the NRI
adaptation does, so a model needs no locking of its own for hook calls.

A user plugs in a model of another plugin version with ``--plugin-model module:Class``:
the class must subclass :class:`PluginModel` (or provide the same methods) and accept
the constructor arguments below.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from ..topology import Topology
from .maporder import DETERMINISTIC, MapOrder


@dataclass(frozen=True)
class ContainerInfo:
    """What NRI tells the plugin about a container (CreateContainer / Synchronize)."""

    container_id: str  # 64 hex characters
    name: str  # container name, e.g. "weka-container"
    pod_name: str
    pod_namespace: str
    pod_uid: str
    sandbox_id: str  # 64 hex characters
    pod_annotations: Mapping[str, str] = field(default_factory=dict)
    # OCI Linux resources as kubelet sets them (None = not set)
    cpu_quota: int | None = None  # microseconds per period; limit * period
    cpu_period: int | None = None  # 100000 when a CPU limit is set
    cpu_shares: int | None = None  # milliCPU request * 1024 / 1000 (min 2)
    memory_limit: int | None = None  # bytes
    # For Synchronize only: the container's current cpuset as the runtime has it
    # ("" = unpinned), and whether the container has exited.
    current_cpus: str = ""
    exited: bool = False


@dataclass(frozen=True)
class Adjustment:
    """The plugin's answer to CreateContainer. "" means "leave unchanged"."""

    cpus: str = ""
    mems: str = ""


@dataclass(frozen=True)
class ContainerUpdate:
    """A cpuset change for an existing container (Synchronize reply, UpdateContainers)."""

    container_id: str
    cpus: str
    mems: str = ""


class PluginError(Exception):
    """A refusal of CreateContainer. ``str(err)`` is the plugin's exact message, which
    the runtime wraps as containerd does."""


class PluginExit(Exception):
    """The plugin process ends inside a hook (a panic, ``os.Exit``): the runtime drops the
    connection and kubelet restarts the plugin container. ``code`` is the exit status."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(f"plugin process exited with code {code}")
        self.code = code


class Runtime(ABC):
    """What a plugin model may ask of the runtime."""

    @abstractmethod
    def update_containers(
        self,
        updates: Sequence[ContainerUpdate],
        on_done: Callable[[list[str]], None] | None = None,
    ) -> None:
        """Queue an asynchronous UpdateContainers call (the plugin's background worker).

        The runtime applies it after the current hook returns and after any NRI request
        already waiting for the runtime's lock, then calls ``on_done(failed_ids)``.
        """


class PluginModel(ABC):
    """One plugin process. A restart creates a new instance and calls
    :meth:`configure` then :meth:`synchronize`."""

    #: name shown in suite metadata and logs
    name: str = "custom"
    #: how walks over upstream's Go maps are ordered; the runtime sets its own (seeded or
    #: deterministic) on every instance right after construction, before ``configure``
    map_order: MapOrder = DETERMINISTIC

    def __init__(self, topology: Topology, log: Callable[[str], None], runtime: Runtime) -> None:
        self.topology = topology
        self.log = log  # writes one plugin stdout line (no timestamp; the sink adds it)
        self.runtime = runtime

    @abstractmethod
    def configure(self, runtime_name: str, runtime_version: str) -> None: ...

    @abstractmethod
    def synchronize(self, containers: Sequence[ContainerInfo]) -> list[ContainerUpdate]:
        """Rebuild state from the runtime's non-exited containers."""

    @abstractmethod
    def run_pod_sandbox(self, namespace: str, name: str) -> None: ...

    @abstractmethod
    def create_container(self, container: ContainerInfo) -> Adjustment:
        """Return the cpuset adjustment or raise :class:`PluginError`."""

    @abstractmethod
    def update_container(self, container: ContainerInfo) -> ContainerUpdate | None: ...

    @abstractmethod
    def remove_container(self, container: ContainerInfo) -> None: ...
