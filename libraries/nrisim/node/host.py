"""One simulated node: its hardware, Node object, containerd + NRI runtime with a plugin
process, kubelet and the plugin's DaemonSet pod."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ..plugin.interface import PluginModel
from ..plugin.maporder import MapOrder
from ..topology import Topology
from .connection import PluginLauncher
from .kubelet import Kubelet
from .nodeobject import build_node
from .plugin_pod import PluginPod
from .pluginlog import PluginLogSink
from .port import ClusterPort
from .runtime import SimRuntime


@dataclass(frozen=True)
class NodeSpec:
    """What one node has (every node of a simulated cluster is built from the same spec)."""

    cpus: int
    threads_per_core: int
    numa_nodes: int
    reserved_cpu_millis: int
    memory_bytes: int
    reserved_memory_bytes: int = 0
    offline_cpus: frozenset[int] = frozenset()
    map_order_seed: int | None = None  # with shuffle_map_order: the seed of the plugin's map walks
    shuffle_map_order: bool = False


class NodeHost:
    def __init__(self, port: ClusterPort, name: str, index: int, spec: NodeSpec,
                 model_cls: type[PluginModel], log_path: Path, launcher: PluginLauncher | None = None) -> None:
        self.port = port
        self.name = name
        self.index = index
        self.log_path = log_path
        self.topology = Topology(spec.cpus, spec.threads_per_core, spec.numa_nodes, spec.offline_cpus)
        self.node = build_node(name, len(self.topology.online), spec.reserved_cpu_millis, spec.memory_bytes,
                               index, spec.reserved_memory_bytes)
        self.sink = PluginLogSink(log_path)
        map_order = MapOrder(spec.map_order_seed) if spec.shuffle_map_order else None
        self.runtime = SimRuntime(self.topology, model_cls, self.sink, port.latencies, map_order, launcher)
        self.kubelet = Kubelet(port, name, index, self.runtime)
        self.plugin_pod = PluginPod(port, name, self.runtime)
        self.runtime.on_plugin_started = self.plugin_pod.plugin_started
        self.runtime.on_plugin_exited = self.plugin_pod.plugin_exited

    async def start(self) -> None:
        """The kubelet registers the Node; the plugin's DaemonSet pod starts the plugin."""
        self.port.store.create("nodes", self.node)
        self.plugin_pod.create_pod()
        await self.runtime.start_plugin(raise_errors=True)

    async def restart_runtime(self) -> None:
        """``systemctl restart k3s`` on this node."""
        await self.runtime.restart_runtime()

    def stall_plugin(self, seconds: float) -> None:
        """Make the plugin stop answering NRI requests (see SimRuntime.make_unresponsive)."""
        self.runtime.make_unresponsive(seconds)

    def background_tasks(self) -> set[asyncio.Task]:
        return set(self.runtime._tasks)

    async def end_plugin(self) -> None:
        """The simulator stops: the plugin process ends and is waited for."""
        self.runtime.stop_plugin()
        await self.runtime.launcher.aclose()

    def close(self) -> None:
        """Ends the plugin process (a binary: killed; its socket and sysfs removed)."""
        self.runtime.stop_plugin()
        self.runtime.launcher.close()
        self.sink.close()
