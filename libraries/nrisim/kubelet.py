"""kubelet for the node: sandbox, CreateContainer through the runtime (with back-off on
refusal), status, graceful termination and RemoveContainer after the removal lag."""
from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .events import record_event
from .plugin.interface import ContainerInfo, PluginError
from .quantity import cpu_millis, parse_quantity, to_int_ceil
from .runtime import ContainerStartError, new_container_id
from .scheduler import set_condition
from .store import now_rfc3339
from .validation import qos_class

if TYPE_CHECKING:
    from .cluster import Cluster

log = logging.getLogger("nrisim.kubelet")

CPU_PERIOD = 100000
WRAP = ("failed to create containerd container: failed to get NRI adjustment for container: "
        "rpc error: code = Unknown desc = {}")


@dataclass
class PodWork:
    """kubelet's private record of one pod it runs."""

    namespace: str
    name: str
    uid: str
    sandbox_id: str = field(default_factory=lambda: secrets.token_hex(32))
    containers: dict[str, str] = field(default_factory=dict)  # container name -> live container id
    start_task: asyncio.Task | None = None
    stop_task: asyncio.Task | None = None
    ip: str = ""


def oci_resources(container: dict[str, Any]) -> dict[str, int | None]:
    """What kubelet puts in the OCI spec for a container's resources."""
    res = container.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    out: dict[str, int | None] = {"cpu_quota": None, "cpu_period": None, "cpu_shares": None,
                                  "memory_limit": None}
    req_milli = cpu_millis(req["cpu"]) if "cpu" in req else (cpu_millis(lim["cpu"]) if "cpu" in lim else 0)
    out["cpu_shares"] = max(2, req_milli * 1024 // 1000)
    if "cpu" in lim:
        out["cpu_quota"] = cpu_millis(lim["cpu"]) * CPU_PERIOD // 1000
        out["cpu_period"] = CPU_PERIOD
    if "memory" in lim:
        out["memory_limit"] = to_int_ceil(parse_quantity(lim["memory"]))
    return out


class Kubelet:
    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        self.pods: dict[str, PodWork] = {}  # uid -> work
        self._ips = iter(range(2, 10**6))

    @property
    def runtime(self):
        return self.cluster.runtime

    def _pod(self, work: PodWork) -> dict[str, Any] | None:
        pod = self.cluster.store.get("pods", work.namespace, work.name)
        return pod if pod is not None and pod["metadata"]["uid"] == work.uid else None

    def admit(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        work = PodWork(meta["namespace"], meta["name"], meta["uid"])
        n = next(self._ips)
        work.ip = f"10.42.{(n // 250) % 250}.{n % 250 + 2}"
        self.pods[work.uid] = work
        work.start_task = self.cluster.spawn(self._start(work))

    # -- start -----------------------------------------------------------------------
    async def _start(self, work: PodWork) -> None:
        lat = self.cluster.latencies
        pod = self._pod(work)
        if pod is None:
            return
        now = now_rfc3339()
        status = pod["status"]
        status.update(phase="Pending", hostIP="127.0.0.1", hostIPs=[{"ip": "127.0.0.1"}], startTime=now,
                      qosClass=qos_class(pod))
        set_condition(pod, "PodReadyToStartContainers", "False")
        set_condition(pod, "Initialized", "True")
        set_condition(pod, "Ready", "False", "ContainersNotReady", "containers with unready status: "
                      + "[" + " ".join(c["name"] for c in pod["spec"]["containers"]) + "]")
        set_condition(pod, "ContainersReady", "False", "ContainersNotReady",
                      pod["status"]["conditions"][-1]["message"])
        status["containerStatuses"] = [self._status_waiting(c, "ContainerCreating") for c in pod["spec"]["containers"]]
        self.cluster.store.update("pods", pod)
        await asyncio.sleep(lat.sandbox_start)
        await self.runtime.run_pod_sandbox(work.namespace, work.name)
        pod = self._pod(work)
        if pod is None:
            return
        set_condition(pod, "PodReadyToStartContainers", "True")
        pod["status"]["podIP"] = work.ip
        pod["status"]["podIPs"] = [{"ip": work.ip}]
        self.cluster.store.update("pods", pod)
        started = [await self._create_with_backoff(work, index, spec)
                   for index, spec in enumerate(pod["spec"]["containers"])]
        pod = self._pod(work)
        if pod is None:
            return
        if all(started):
            pod["status"]["phase"] = "Running"
            set_condition(pod, "ContainersReady", "True")
            set_condition(pod, "Ready", "True")
        else:  # restartPolicy Never and a container failed to start
            pod["status"]["phase"] = "Running" if any(started) else "Failed"
        self.cluster.store.update("pods", pod)

    def _status_waiting(self, spec: dict[str, Any], reason: str, message: str | None = None,
                        restart_count: int = 0) -> dict[str, Any]:
        waiting = {"reason": reason}
        if message is not None:
            waiting["message"] = message
        return {"name": spec["name"], "image": spec["image"], "imageID": "", "ready": False,
                "restartCount": restart_count, "started": False, "state": {"waiting": waiting},
                "lastState": {}, "volumeMounts": []}

    def _set_container_status(self, work: PodWork, index: int, status: dict[str, Any]) -> None:
        pod = self._pod(work)
        if pod is None:
            return
        statuses = pod["status"].setdefault("containerStatuses", [])
        while len(statuses) <= index:
            statuses.append({})
        statuses[index] = status
        self.cluster.store.update("pods", pod)

    def _cgroup_dir(self, pod: dict[str, Any], work: PodWork, cid: str) -> str:
        """The container's cgroup (cgroupfs driver, cgroup v2), as runc names it in errors."""
        qos = qos_class(pod)
        tier = "" if qos == "Guaranteed" else f"{qos.lower()}/"
        return f"/sys/fs/cgroup/kubepods/{tier}pod{work.uid}/{cid}"

    def _start_failed(self, work: PodWork, index: int, spec: dict[str, Any], cid: str, message: str,
                      restarts: int | None = None) -> None:
        """runc refused the container: ``StartError`` (exit 128), event ``Failed``. With
        ``restarts`` (a restartPolicy that restarts it) the container is ``Waiting`` with
        ``RunContainerError`` and the StartError is its ``lastState``."""
        pod = self._pod(work)
        if pod is not None:
            record_event(self.cluster.store, pod, "Warning", "Failed", f"Error: {message}", "kubelet",
                         self.cluster.node_name, f"spec.containers{{{spec['name']}}}")
        terminated = {"terminated": {"exitCode": 128, "reason": "StartError", "message": message,
                                     "startedAt": "1970-01-01T00:00:00Z", "finishedAt": now_rfc3339(),
                                     "containerID": f"containerd://{cid}"}}
        state, last = terminated, {}
        if restarts is not None:
            state, last = {"waiting": {"reason": "RunContainerError", "message": message}}, terminated
        if restarts is not None and pod is not None:
            # kubelet's getPhase: a restarting container that has terminated counts as running
            pod["status"]["phase"] = "Running"
        self._set_container_status(work, index, {
            "name": spec["name"], "image": spec["image"],
            "imageID": "docker.io/library/busybox@sha256:" + "ab" * 32,
            "containerID": f"containerd://{cid}", "ready": False, "restartCount": restarts or 0,
            "started": False, "state": state, "lastState": last, "volumeMounts": []})

    async def _create_with_backoff(self, work: PodWork, index: int, spec: dict[str, Any]) -> bool:
        """Create and start one container; False when it failed to start and is not retried."""
        lat = self.cluster.latencies
        attempt = 0
        while True:
            pod = self._pod(work)
            if pod is None or pod["metadata"].get("deletionTimestamp"):
                return False
            cid = new_container_id()
            info = ContainerInfo(
                container_id=cid, name=spec["name"], pod_name=work.name, pod_namespace=work.namespace,
                pod_uid=work.uid, sandbox_id=work.sandbox_id,
                pod_annotations=dict(pod["metadata"].get("annotations") or {}), **oci_resources(spec))
            try:
                await self.runtime.create_container(info)
            except PluginError as err:
                attempt += 1
                message = WRAP.format(err)
                self._set_container_status(work, index, self._status_waiting(spec, "CreateContainerError", message))
                pod = self._pod(work)
                if pod is not None:
                    record_event(self.cluster.store, pod, "Warning", "Failed", f"Error: {message}", "kubelet",
                                 self.cluster.node_name, f"spec.containers{{{spec['name']}}}")
                await asyncio.sleep(lat.backoff(attempt))
                continue
            work.containers[spec["name"]] = cid
            pod = self._pod(work)
            if pod is not None:
                record_event(self.cluster.store, pod, "Normal", "Pulled",
                             f'Container image "{spec["image"]}" already present on machine', "kubelet",
                             self.cluster.node_name, f"spec.containers{{{spec['name']}}}")
                record_event(self.cluster.store, pod, "Normal", "Created", f"Created container: {spec['name']}",
                             "kubelet", self.cluster.node_name, f"spec.containers{{{spec['name']}}}")
            await asyncio.sleep(lat.container_start)
            try:
                self.runtime.start_container(cid, self._cgroup_dir(pod or {}, work, cid) if pod else "")
            except ContainerStartError as err:
                restarts = (pod or {}).get("spec", {}).get("restartPolicy", "Always") != "Never"
                self._start_failed(work, index, spec, cid, str(err), attempt if restarts else None)
                if not restarts:
                    return False
                attempt += 1
                await asyncio.sleep(lat.backoff(attempt))
                del work.containers[spec["name"]]
                await self.runtime.remove_container(cid)
                continue
            pod = self._pod(work)
            if pod is not None:
                record_event(self.cluster.store, pod, "Normal", "Started", f"Started container {spec['name']}",
                             "kubelet", self.cluster.node_name, f"spec.containers{{{spec['name']}}}")
            self._set_container_status(work, index, {
                "name": spec["name"], "image": spec["image"],
                "imageID": "docker.io/library/busybox@sha256:" + "ab" * 32,
                "containerID": f"containerd://{cid}", "ready": True, "restartCount": 0, "started": True,
                "state": {"running": {"startedAt": now_rfc3339()}}, "lastState": {}, "volumeMounts": []})
            return True

    # -- stop -----------------------------------------------------------------------
    def terminate(self, uid: str, grace: int, object_already_gone: bool = False) -> None:
        work = self.pods.get(uid)
        if work is None or work.stop_task is not None:
            return
        work.stop_task = self.cluster.spawn(self._stop(work, grace, object_already_gone))

    async def _stop(self, work: PodWork, grace: int, object_gone: bool) -> None:
        lat = self.cluster.latencies
        if work.start_task is not None and not work.start_task.done():
            work.start_task.cancel()
            try:
                await work.start_task
            except (asyncio.CancelledError, Exception):
                pass
        pod = self._pod(work)
        if pod is not None:
            for spec in pod["spec"]["containers"]:
                if spec["name"] in work.containers:
                    record_event(self.cluster.store, pod, "Normal", "Killing", f"Stopping container {spec['name']}",
                                 "kubelet", self.cluster.node_name, f"spec.containers{{{spec['name']}}}")
        # a pod none of whose containers was ever created (refused, still pending) has nothing
        # to stop: a real kubelet removes it at once
        stop_after = min(lat.container_stop, float(grace)) if work.containers else 0.0
        gone_by_grace = bool(work.containers) and lat.container_stop >= grace
        await asyncio.sleep(stop_after)
        for cid in work.containers.values():
            self.runtime.stop_container(cid)
        pod = self._pod(work)
        if pod is not None:
            now = now_rfc3339()
            for st in pod["status"].get("containerStatuses", []):
                if "running" in st.get("state", {}):
                    started = st["state"]["running"].get("startedAt", now)
                    code = 137 if gone_by_grace else 0
                    st["state"] = {"terminated": {"exitCode": code, "reason": "Error" if code else "Completed",
                                                  "startedAt": started, "finishedAt": now,
                                                  "containerID": st.get("containerID")}}
                    st["ready"] = False
                    st["started"] = False
            set_condition(pod, "Ready", "False", "PodCompleted", None)
            set_condition(pod, "ContainersReady", "False", "PodCompleted", None)
            self.cluster.store.update("pods", pod)
            self.cluster.store.delete("pods", work.namespace, work.name)
            self.cluster.pod_gone(pod)
        await asyncio.sleep(lat.removal_lag)
        for cid in list(work.containers.values()):
            await self.runtime.remove_container(cid)
        self.pods.pop(work.uid, None)
