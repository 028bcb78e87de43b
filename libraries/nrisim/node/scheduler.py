"""kube-scheduler: nodeName / nodeSelector, then CPU and memory requests against each node's
allocatable (what the pods bound to that node and not finished request)."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Callable, Sequence

from .affinity import node_matches
from .nodeobject import allocatable, occupies_node, pod_requests
from .podstatus import set_condition
from .port import ClusterPort

if TYPE_CHECKING:
    from .host import NodeHost

log = logging.getLogger("nrisim.scheduler")


class Scheduler:
    def __init__(self, port: ClusterPort, nodes: Callable[[], Sequence["NodeHost"]]) -> None:
        self.port = port
        self.nodes = nodes
        self.kick = asyncio.Event()
        self._reported: dict[str, str] = {}  # pod uid -> last FailedScheduling message

    def wake(self) -> None:
        self.kick.set()

    async def run(self) -> None:
        while True:
            await self.kick.wait()
            self.kick.clear()
            await asyncio.sleep(self.port.latencies.schedule)
            try:
                self.schedule_pending()
            except Exception:  # keep scheduling whatever one pod looks like
                log.exception("scheduling pass failed")

    def free(self, node_name: str) -> tuple[int, int]:
        """(cpu millis, memory bytes) of a node's allocatable not requested by its pods."""
        host = next(h for h in self.nodes() if h.name == node_name)
        cpu, mem = allocatable(host.node)
        for pod in self.port.store.list("pods"):
            if occupies_node(pod, node_name):
                pc, pm = pod_requests(pod)
                cpu -= pc
                mem -= pm
        return cpu, mem

    def _unfit_reasons(self, pod: dict[str, Any], free: dict[str, tuple[int, int]]) -> \
            tuple[str | None, list[str]]:
        """(chosen node, why each other node does not fit, as the scheduler's message parts).

        Among the nodes that fit, the one with the most free CPU wins (the default scheduler's
        least-allocated scoring, reduced to CPU); ties go to the first node by name."""
        cpu, mem = pod_requests(pod)
        reasons: list[str] = []
        fitting: list[str] = []
        for host in self.nodes():
            if not node_matches(pod["spec"], host.node):
                reasons.append("node(s) didn't match Pod's node affinity/selector")
                continue
            fc, fm = free[host.name]
            short = (["Insufficient cpu"] if cpu > fc else []) + (["Insufficient memory"] if mem > fm else [])
            if short:
                reasons.extend(short)
                continue
            fitting.append(host.name)
        if fitting:
            return max(fitting, key=lambda n: (free[n][0], -fitting.index(n))), []
        return None, reasons

    def _message(self, reasons: list[str]) -> str:
        counts: dict[str, int] = {}
        for r in reasons:
            counts[r] = counts.get(r, 0) + 1
        parts = ", ".join(f"{n} {r}" for r, n in sorted(counts.items()))
        return f"0/{len(self.nodes())} nodes are available: {parts}."

    def schedule_pending(self) -> None:
        store = self.port.store
        pending = [p for p in store.list("pods") if not p["spec"].get("nodeName")
                   and not p["metadata"].get("deletionTimestamp")]
        pending.sort(key=lambda p: self.port.creation_order(p["metadata"]["uid"]))
        free = {h.name: self.free(h.name) for h in self.nodes()}
        for pod in pending:
            chosen, reasons = self._unfit_reasons(pod, free)
            uid = pod["metadata"]["uid"]
            if chosen is not None:
                cpu, mem = pod_requests(pod)
                free[chosen] = (free[chosen][0] - cpu, free[chosen][1] - mem)
                self._reported.pop(uid, None)
                self._bind(pod, chosen)
                continue
            message = self._message(reasons)
            if self._reported.get(uid) != message:
                self._reported[uid] = message
                set_condition(pod, "PodScheduled", "False", reason="Unschedulable", message=message)
                pod["status"]["phase"] = "Pending"
                store.update("pods", pod)
                self.port.record_event(pod, "Warning", "FailedScheduling", message, "default-scheduler")

    def _bind(self, pod: dict[str, Any], node_name: str) -> None:
        pod["spec"]["nodeName"] = node_name
        set_condition(pod, "PodScheduled", "True")
        self.port.store.update("pods", pod)
        meta = pod["metadata"]
        self.port.record_event(pod, "Normal", "Scheduled",
                               f"Successfully assigned {meta['namespace']}/{meta['name']} to {node_name}",
                               "default-scheduler")
        host = next(h for h in self.nodes() if h.name == node_name)
        host.kubelet.admit(pod)

    def forget(self, uid: str) -> None:
        self._reported.pop(uid, None)
