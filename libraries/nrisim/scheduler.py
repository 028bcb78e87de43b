"""kube-scheduler for one node: nodeName / nodeSelector and CPU+memory requests vs allocatable."""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .events import record_event
from .node import allocatable, occupies_node, pod_requests
from .store import now_rfc3339

if TYPE_CHECKING:
    from .cluster import Cluster

SELECTOR_MISMATCH = "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."


class Scheduler:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.kick = asyncio.Event()
        self._reported: dict[str, str] = {}  # pod uid -> last FailedScheduling message

    def wake(self) -> None:
        self.kick.set()

    async def run(self) -> None:
        while True:
            await self.kick.wait()
            self.kick.clear()
            await asyncio.sleep(self.cluster.latencies.schedule)
            try:
                self.schedule_pending()
            except Exception:  # keep scheduling whatever one pod looks like
                import logging
                logging.getLogger("nrisim.scheduler").exception("scheduling pass failed")

    def _free(self) -> tuple[int, int]:
        node = self.cluster.node
        cpu, mem = allocatable(node)
        for pod in self.cluster.store.list("pods"):
            if occupies_node(pod, node["metadata"]["name"]):
                pc, pm = pod_requests(pod)
                cpu -= pc
                mem -= pm
        return cpu, mem

    def _unfit_reason(self, pod: dict[str, Any], free: tuple[int, int]) -> str | None:
        node = self.cluster.node
        labels = node["metadata"]["labels"]
        selector = pod["spec"].get("nodeSelector") or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            return SELECTOR_MISMATCH
        cpu, mem = pod_requests(pod)
        short = []
        if cpu > free[0]:
            short.append("1 Insufficient cpu")
        if mem > free[1]:
            short.append("1 Insufficient memory")
        if short:
            return f"0/1 nodes are available: {', '.join(short)}."
        return None

    def schedule_pending(self) -> None:
        store = self.cluster.store
        node_name = self.cluster.node["metadata"]["name"]
        pending = [p for p in store.list("pods") if not p["spec"].get("nodeName")
                   and not p["metadata"].get("deletionTimestamp")]
        pending.sort(key=lambda p: self.cluster.pod_seq.get(p["metadata"]["uid"], 0))
        free = self._free()
        for pod in pending:
            reason = self._unfit_reason(pod, free)
            uid = pod["metadata"]["uid"]
            if reason is None:
                cpu, mem = pod_requests(pod)
                free = (free[0] - cpu, free[1] - mem)
                self._reported.pop(uid, None)
                self._bind(pod, node_name)
            elif self._reported.get(uid) != reason:
                self._reported[uid] = reason
                _set_condition(pod, "PodScheduled", "False", reason="Unschedulable", message=reason)
                pod["status"]["phase"] = "Pending"
                store.update("pods", pod)
                record_event(store, pod, "Warning", "FailedScheduling", reason, "default-scheduler")

    def _bind(self, pod: dict[str, Any], node_name: str) -> None:
        pod["spec"]["nodeName"] = node_name
        _set_condition(pod, "PodScheduled", "True")
        self.cluster.store.update("pods", pod)
        meta = pod["metadata"]
        record_event(self.cluster.store, pod, "Normal", "Scheduled",
                     f"Successfully assigned {meta['namespace']}/{meta['name']} to {node_name}",
                     "default-scheduler")
        self.cluster.kubelet.admit(pod)

    def forget(self, uid: str) -> None:
        self._reported.pop(uid, None)


def _set_condition(pod: dict[str, Any], type_: str, status: str, reason: str | None = None,
                   message: str | None = None) -> None:
    conds = pod["status"].setdefault("conditions", [])
    now = now_rfc3339()
    for c in conds:
        if c["type"] == type_:
            if c["status"] != status:
                c["lastTransitionTime"] = now
            c["status"] = status
            break
    else:
        c = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": now}
        conds.append(c)
    for k, v in (("reason", reason), ("message", message)):
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v


set_condition = _set_condition
