"""The API server's registry logic, independent of HTTP: namespaces and pods (creation,
graceful and forced deletion), and the nodes it drives through the node layer's port."""
from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from typing import Any, Coroutine

from pathlib import Path

from ..clock import now_rfc3339
from ..config import SimConfig
from ..node.host import NodeHost, NodeSpec
from ..node.models import load_plugin_model
from ..node.connection import PluginLauncher
from ..node.nri.binary import BinaryLauncher, check_host
from ..node.shadow import ShadowLauncher
from ..node.nri.process import check_binary
from ..node.podstatus import qos_class, set_condition
from ..node.scheduler import Scheduler
from ..quantity import cpu_millis, parse_quantity, to_int_ceil
from .daemonsets import DaemonSetController
from .events import record_event
from .status import ApiError, already_exists, not_found
from .store import Store
from .validation import check_object_meta, default_pod, validate_name, validate_pod

log = logging.getLogger("nrisim.cluster")

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Cluster:
    """Implements :class:`nrisim.node.port.ClusterPort` for its nodes."""

    def __init__(self, config: SimConfig, log_paths: dict[str, Path]) -> None:
        self.config = config
        self.latencies = config.latencies
        try:
            reserved = cpu_millis(config.reserved_cpu)
        except ValueError as err:
            raise ValueError(f"reserved_cpu {config.reserved_cpu!r} is not a CPU quantity: {err}") from err
        try:
            memory = to_int_ceil(parse_quantity(config.memory))
        except ValueError as err:
            raise ValueError(f"memory {config.memory!r} is not a memory quantity: {err}") from err
        try:
            reserved_memory = to_int_ceil(parse_quantity(config.reserved_memory))
        except ValueError as err:
            raise ValueError(f"reserved_memory {config.reserved_memory!r} is not a memory quantity: {err}") from err
        if memory <= 0 or not 0 <= reserved_memory < memory:
            raise ValueError(f"memory must be > 0 and reserved_memory in [0, memory), got memory {config.memory!r}, "
                             f"reserved_memory {config.reserved_memory!r}")
        spec = NodeSpec(config.cpus, config.threads_per_core, config.numa_nodes, reserved, memory, reserved_memory,
                        frozenset(config.offline_cpu_ids), config.map_order_seed, config.shuffle_map_order)
        self.model_cls = load_plugin_model(config.plugin_model)
        self.plugin_binary = None
        if config.plugin_binary:
            self.plugin_binary = check_binary(config.plugin_binary)
            check_host()
        self.store = Store()
        for ns in SYSTEM_NAMESPACES:
            self.store.create("namespaces", _namespace(ns))
        self.nodes: dict[str, NodeHost] = {
            name: NodeHost(self, name, index, spec, self.model_cls, path, self._launcher(name, path))
            for index, (name, path) in enumerate(log_paths.items())}
        self.scheduler = Scheduler(self, lambda: list(self.nodes.values()))
        self.daemonsets = DaemonSetController(self)
        self.pod_seq: dict[str, int] = {}
        self._seq = itertools.count()
        self._tasks: set[asyncio.Task] = set()

    def _launcher(self, node: str, log_path: Path) -> PluginLauncher | None:
        """With ``plugin_binary``: the node's own launcher (socket and sysfs beside its log),
        shadowed by ``shadow_model`` when given (its report beside the log)."""
        if self.plugin_binary is None:
            return None
        launcher: PluginLauncher = BinaryLauncher(str(self.plugin_binary), log_path.parent / f"nri-{node}")
        if self.config.shadow_model:
            report = log_path.parent / (f"shadow-divergence-{node}.json" if len(self.config.node_names()) > 1
                                        else "shadow-divergence.json")
            launcher = ShadowLauncher(launcher, load_plugin_model(self.config.shadow_model),
                                      self.config.shadow_model, report)
        return launcher

    def plugin_metadata(self) -> dict[str, str]:
        """What the run's metadata says about the plugin binary ({} with a model)."""
        launcher = self.first_node.runtime.launcher
        metadata = getattr(launcher, "metadata", None)
        return metadata() if callable(metadata) else {}

    @property
    def first_node(self) -> NodeHost:
        return next(iter(self.nodes.values()))

    def node_host(self, name: str | None) -> NodeHost:
        """The node called ``name`` (None: the first); ApiError 404 naming the known nodes."""
        if name in (None, ""):
            return self.first_node
        host = self.nodes.get(name)
        if host is None:
            raise ApiError(404, f'nodes "{name}" not found (nodes: {", ".join(self.nodes)})', "NotFound",
                           {"name": name, "kind": "nodes"})
        return host

    def plugin_pod_host(self, namespace: str, name: str) -> NodeHost | None:
        """The node whose plugin pod this is, if it is one."""
        return next((h for h in self.nodes.values() if h.plugin_pod.is_plugin_pod(namespace, name)), None)

    # -- ClusterPort ---------------------------------------------------------------
    def record_event(self, obj: dict[str, Any], type_: str, reason: str, message: str, component: str,
                     host: str | None = None, field_path: str | None = None) -> None:
        record_event(self.store, obj, type_, reason, message, component, host, field_path)

    def creation_order(self, uid: str) -> int:
        return self.pod_seq.get(uid, 0)

    # -- lifecycle -----------------------------------------------------------------
    async def start(self) -> None:
        self.spawn(self.scheduler.run())
        for host in self.nodes.values():
            await host.start()
        self.daemonsets.create_plugin_daemonset()
        self.spawn(self.daemonsets.run())

    def spawn(self, coro: Coroutine) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def shutdown(self) -> None:
        for host in self.nodes.values():
            await host.end_plugin()
        tasks = set(self._tasks)
        for host in self.nodes.values():
            tasks |= host.background_tasks()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for host in self.nodes.values():
            host.close()

    # -- namespaces -------------------------------------------------------------------
    def create_namespace(self, body: Any) -> dict[str, Any]:
        meta = check_object_meta(body, "Namespace")
        _generate_name(meta)
        validate_name("Namespace", meta.get("name"), label=True)
        if self.store.get("namespaces", "", meta["name"]) is not None:
            raise already_exists("namespaces", meta["name"])
        obj = _namespace(meta["name"], meta.get("labels"), meta.get("annotations"))
        return self.store.create("namespaces", obj)

    def get_namespace(self, name: str) -> dict[str, Any]:
        obj = self.store.get("namespaces", "", name)
        if obj is None:
            raise not_found("namespaces", name)
        return obj

    def delete_namespace(self, name: str) -> dict[str, Any]:
        ns = self.get_namespace(name)
        if name in SYSTEM_NAMESPACES:
            raise ApiError(403, f'namespaces "{name}" is forbidden: this namespace may not be deleted')
        if not ns["metadata"].get("deletionTimestamp"):
            ns["metadata"]["deletionTimestamp"] = now_rfc3339()
            ns["status"]["phase"] = "Terminating"
            ns["spec"] = {"finalizers": ["kubernetes"]}
            self.store.update("namespaces", ns)
            self.spawn(self._finalize_namespace(name))
        return ns

    async def _finalize_namespace(self, name: str) -> None:
        for ds in self.store.list("daemonsets", name):
            self.daemonsets.delete(name, ds["metadata"]["name"], None)
        for pod in self.store.list("pods", name):
            self.delete_pod(name, pod["metadata"]["name"], None)
        await self.store.wait_for(lambda: not self.store.list("pods", name), None)
        for ev in self.store.list("events", name):
            self.store.delete("events", name, ev["metadata"]["name"])
        self.store.delete("namespaces", "", name)

    # -- pods ---------------------------------------------------------------------------
    def create_pod(self, namespace: str, body: Any) -> dict[str, Any]:
        meta = check_object_meta(body, "Pod")
        if meta.get("namespace") not in (None, "", namespace):
            raise ApiError(400, "the namespace of the provided object does not match the namespace sent on "
                                "the request")
        _generate_name(meta)
        ns = self.store.get("namespaces", "", namespace)
        if ns is None:
            raise not_found("namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise ApiError(403, f"pods \"{meta.get('name', '')}\" is forbidden: unable to create new content in "
                                f"namespace {namespace} because it is being terminated")
        validate_pod(body)
        if self.store.get("pods", namespace, meta["name"]) is not None:
            raise already_exists("pods", meta["name"])
        default_pod(body)
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {k: v for k, v in meta.items()
                         if k in ("name", "generateName", "labels", "annotations", "ownerReferences",
                                  "finalizers")},
            "spec": body["spec"],
            "status": {"phase": "Pending", "qosClass": "BestEffort"},
        }
        pod["metadata"]["namespace"] = namespace
        pod["status"]["qosClass"] = qos_class(pod)
        self.store.create("pods", pod)
        self.pod_seq[pod["metadata"]["uid"]] = next(self._seq)
        node_name = pod["spec"].get("nodeName")
        if node_name:
            if node_name in self.nodes:
                set_condition(pod, "PodScheduled", "True")
                self.store.update("pods", pod)
                self.nodes[node_name].kubelet.admit(pod)
        else:
            self.scheduler.wake()
        return pod

    def get_pod(self, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get("pods", namespace, name)
        if obj is None:
            raise not_found("pods", name)
        return obj

    def delete_pod(self, namespace: str, name: str, grace: int | None) -> dict[str, Any]:
        pod = self.get_pod(namespace, name)
        if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool) or grace < 0):
            raise ApiError(400, f"gracePeriodSeconds must be a non-negative integer, got {grace!r}")
        plugin_host = self.plugin_pod_host(namespace, name)
        if plugin_host is not None:
            if not pod["metadata"].get("deletionTimestamp"):
                plugin_host.plugin_pod.delete_pod(grace if grace is not None else 30)
            return pod
        if pod["metadata"].get("deletionTimestamp"):
            return pod
        if grace is None:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
        uid = pod["metadata"]["uid"]
        kubelet = self.nodes[pod["spec"]["nodeName"]].kubelet if pod["spec"].get("nodeName") in self.nodes \
            else None
        if kubelet is None or uid not in kubelet.pods or grace == 0:
            # unscheduled, or forced: the object goes at once; kubelet still cleans up
            self.store.delete("pods", namespace, name)
            self.pod_gone(pod)
            if kubelet is not None:
                kubelet.terminate(uid, 0, object_already_gone=True)
            return pod
        pod["metadata"]["deletionTimestamp"] = now_rfc3339()
        pod["metadata"]["deletionGracePeriodSeconds"] = grace
        self.store.update("pods", pod)
        kubelet.terminate(uid, grace)
        return pod

    def patch_node(self, name: str, patched: Any) -> dict[str, Any]:
        """Labels and annotations of a node change (``kubectl label node``); the scheduler and
        the DaemonSet controller see the new labels."""
        node = self.store.get("nodes", "", name)
        if node is None:
            raise not_found("nodes", name)
        meta = patched.get("metadata") if isinstance(patched, dict) else None
        if not isinstance(meta, dict):
            raise ApiError(400, "the patched node must be an object with a metadata object")
        for key in ("labels", "annotations"):
            value = meta.get(key) or {}
            if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in value.items()):
                raise ApiError(422, f"metadata.{key}: Invalid value: must be a map of string to string")
            node["metadata"][key] = dict(value)
        self.store.update("nodes", node)
        self.scheduler.wake()
        return node

    def pod_gone(self, pod: dict[str, Any]) -> None:
        """A pod object left the API: capacity frees for the scheduler."""
        self.scheduler.forget(pod["metadata"]["uid"])
        self.pod_seq.pop(pod["metadata"]["uid"], None)
        self.scheduler.wake()

    # -- node-side control ------------------------------------------------------------------
    async def restart_runtime(self, node: str | None = None) -> None:
        await self.node_host(node).restart_runtime()


def _namespace(name: str, labels: dict | None = None, annotations: dict | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}}
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta,
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def _generate_name(meta: dict[str, Any]) -> None:
    if not meta.get("name") and isinstance(meta.get("generateName"), str) and meta["generateName"]:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        meta["name"] = meta["generateName"] + "".join(secrets.choice(alphabet) for _ in range(5))
