"""The one interface between the simulated runtime (containerd's NRI adaptation) and a
connected plugin process. Two implementations: a Python model in-process
(:class:`ModelConnection`) and a plugin binary over NRI's socket protocol
(``nri.binary.BinaryConnection``). The runtime holds its lock around every call."""
from __future__ import annotations

import itertools
import logging
from abc import ABC, abstractmethod
from datetime import datetime, timezone
from typing import Mapping, Sequence

from ..plugin.interface import (Adjustment, ContainerInfo, ContainerUpdate, PluginModel, Runtime)
from ..plugin.maporder import MapOrder
from ..topology import Topology
from .pluginlog import EVENTS, PLUGIN_ID, PluginInstanceLog, PluginLogSink

log = logging.getLogger("nrisim.runtime")

RUNTIME_NAME = "containerd"
RUNTIME_VERSION = "v2.0.5-k3s1"


class PluginGone(Exception):
    """The runtime closed the plugin during a request (a timeout, a lost connection or a
    protocol error, as containerd's ``isFatalError``); the request goes on without it.
    ``reason`` is containerd's log line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PluginConnection(ABC):
    """One registered plugin process, configured and ready for Synchronize."""

    instance: PluginInstanceLog
    #: True: a stall is real (the process is stopped) and the request timeout applies by
    #: itself; False: the runtime simulates the silence (a model answers at once)
    real_stall: bool = False

    @abstractmethod
    async def synchronize(self, containers: Sequence[ContainerInfo]) -> list[ContainerUpdate]: ...

    @abstractmethod
    async def run_pod_sandbox(self, namespace: str, name: str, uid: str = "", sandbox_id: str = "",
                              annotations: Mapping[str, str] | None = None) -> None: ...

    @abstractmethod
    async def create_container(self, info: ContainerInfo) -> Adjustment:
        """The adjustment; PluginError on a refusal; PluginGone when the plugin was closed."""

    @abstractmethod
    async def update_container(self, info: ContainerInfo) -> ContainerUpdate | None: ...

    @abstractmethod
    async def remove_container(self, info: ContainerInfo) -> None:
        """May raise PluginExit (a model's process ends in the hook) or PluginGone."""

    def stall(self, seconds: float) -> None:
        """Stop answering for ``seconds`` (only with ``real_stall``)."""

    @abstractmethod
    def stop(self) -> None:
        """The runtime ends the process (its pod deleted, the runtime restarting)."""

    def owns_update(self, token: object) -> bool:
        """Whether a background UpdateContainers queued with ``token`` belongs to this process."""
        return False

    def is_process(self, connection: "PluginConnection") -> bool:
        """Whether ``connection`` is this process's (a wrapper answers for what it wraps)."""
        return connection is self


class PluginLauncher(ABC):
    """Starts one plugin process for a node's runtime and returns it registered."""

    #: what the run's metadata shows for the plugin
    description: str = ""

    @abstractmethod
    async def launch(self, runtime: "RuntimeSide") -> PluginConnection: ...

    async def aclose(self) -> None:
        """End every process it started and wait for them (then :meth:`close`)."""
        self.close()

    def close(self) -> None:
        """Release what the launcher holds (sockets, temp dirs); no process is left."""


class RuntimeSide(Runtime):
    """What a launcher needs from the runtime."""

    topology: Topology
    sink: PluginLogSink
    map_order: MapOrder
    request_timeout: float

    @abstractmethod
    async def apply_plugin_updates(self, updates: Sequence[ContainerUpdate]) -> list[str]:
        """Apply a plugin's UpdateContainers under the runtime's lock; the failed ids."""

    @abstractmethod
    def apply_locked(self, container_id: str, cpus: str, mems: str) -> bool:
        """Apply one cpuset change while the runtime's lock is held; False when it failed."""

    @abstractmethod
    def plugin_process_exited(self, connection: PluginConnection, code: int) -> None:
        """A plugin process ended (by itself, or after the runtime closed it)."""


def logrus_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ModelConnection(PluginConnection):
    """A Python model of the plugin as one process: its hooks run synchronously."""

    def __init__(self, model: PluginModel, instance: PluginInstanceLog) -> None:
        self.model = model
        self.instance = instance

    async def synchronize(self, containers: Sequence[ContainerInfo]) -> list[ContainerUpdate]:
        return list(self.model.synchronize(containers) or [])

    async def run_pod_sandbox(self, namespace: str, name: str, uid: str = "", sandbox_id: str = "",
                              annotations: Mapping[str, str] | None = None) -> None:
        self.model.run_pod_sandbox(namespace, name)

    async def create_container(self, info: ContainerInfo) -> Adjustment:
        return self.model.create_container(info) or Adjustment()

    async def update_container(self, info: ContainerInfo) -> ContainerUpdate | None:
        return self.model.update_container(info)

    async def remove_container(self, info: ContainerInfo) -> None:
        self.model.remove_container(info)

    def stop(self) -> None:
        pass

    def owns_update(self, token: object) -> bool:
        return token is self.model


class ModelLauncher(PluginLauncher):
    def __init__(self, model_cls: type[PluginModel]) -> None:
        self.model_cls = model_cls
        self.description = getattr(model_cls, "name", model_cls.__name__)
        self._pids = itertools.count(4242, 97)

    async def launch(self, runtime: RuntimeSide) -> PluginConnection:
        sink = runtime.sink
        inst = sink.start_instance(next(self._pids))
        sink.line(inst, f'time="{logrus_now()}" level=info msg="Created plugin {PLUGIN_ID} '
                        f'(weka-cpuset, handles {EVENTS})"')
        sink.line(inst, f'time="{logrus_now()}" level=info msg="Registering plugin {PLUGIN_ID}..."')

        def write(line: str) -> None:
            sink.line(inst, line)

        model = self.model_cls(runtime.topology, write, runtime)
        model.map_order = runtime.map_order
        connection = ModelConnection(model, inst)
        try:
            model.configure(RUNTIME_NAME, RUNTIME_VERSION)
        except Exception:  # a broken model must not take the simulator down
            log.exception("plugin model failed during configure")
        return connection
