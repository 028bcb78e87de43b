"""kubelet for one node: sandbox, CreateContainer through the runtime (with back-off on
refusal or timeout), containers that end when their command ends (restart policy), status,
graceful and forced termination, and RemoveContainer after the removal lag."""
from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from ..clock import now_rfc3339
from ..plugin.interface import ContainerInfo, PluginError
from ..quantity import cpu_millis, parse_quantity, to_int_ceil
from .podstatus import qos_class, set_condition
from .port import ClusterPort
from .process import KILLED, ProcessModel, model_command
from .runtime import ContainerStartError, NameReserved, SimRuntime, new_container_id

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
    started_at: dict[str, float] = field(default_factory=dict)  # container name -> loop time
    processes: dict[str, ProcessModel] = field(default_factory=dict)
    exited: dict[str, int] = field(default_factory=dict)  # container name -> exit code
    restarts: dict[str, int] = field(default_factory=dict)
    run_tasks: dict[str, asyncio.Task] = field(default_factory=dict)
    dead: list[str] = field(default_factory=list)  # ids of exited instances replaced by a restart
    creating: set[asyncio.Task] = field(default_factory=set)  # CRI CreateContainer calls in flight


def cri_name(container: str, pod: str, namespace: str, uid: str, attempt: int) -> str:
    """The name kubelet gives a container in CRI (what containerd reserves)."""
    return f"{container}_{pod}_{namespace}_{uid}_{attempt}"


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
    def __init__(self, port: ClusterPort, node_name: str, node_index: int, runtime: SimRuntime) -> None:
        self.port = port
        self.node_name = node_name
        self.node_index = node_index
        self.runtime = runtime
        self.pods: dict[str, PodWork] = {}  # uid -> work
        self._ips = iter(range(2, 10**6))

    def _event(self, pod: dict[str, Any], type_: str, reason: str, message: str, container: str) -> None:
        self.port.record_event(pod, type_, reason, message, "kubelet", self.node_name,
                               f"spec.containers{{{container}}}")

    def _pod(self, work: PodWork) -> dict[str, Any] | None:
        pod = self.port.store.get("pods", work.namespace, work.name)
        return pod if pod is not None and pod["metadata"]["uid"] == work.uid else None

    def admit(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        work = PodWork(meta["namespace"], meta["name"], meta["uid"])
        n = next(self._ips)
        work.ip = f"10.42.{self.node_index}.{n % 250 + 2}"
        self.pods[work.uid] = work
        work.start_task = self.port.spawn(self._start(work))

    # -- start -----------------------------------------------------------------------
    async def _start(self, work: PodWork) -> None:
        lat = self.port.latencies
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
        self.port.store.update("pods", pod)
        await asyncio.sleep(lat.sandbox_start)
        await self.runtime.run_pod_sandbox(work.namespace, work.name, uid=work.uid, sandbox_id=work.sandbox_id,
                                           annotations=dict(pod["metadata"].get("annotations") or {}))
        pod = self._pod(work)
        if pod is None:
            return
        set_condition(pod, "PodReadyToStartContainers", "True")
        pod["status"]["podIP"] = work.ip
        pod["status"]["podIPs"] = [{"ip": work.ip}]
        self.port.store.update("pods", pod)
        await asyncio.sleep(lat.image_pull)
        for index, spec in enumerate(pod["spec"]["containers"]):
            await self._create_with_backoff(work, index, spec)
        self._sync_phase(work)

    def _status_waiting(self, spec: dict[str, Any], reason: str, message: str | None = None,
                        restart_count: int = 0, last_state: dict[str, Any] | None = None) -> dict[str, Any]:
        waiting = {"reason": reason}
        if message is not None:
            waiting["message"] = message
        return {"name": spec["name"], "image": spec["image"], "imageID": "", "ready": False,
                "restartCount": restart_count, "started": False, "state": {"waiting": waiting},
                "lastState": last_state or {}, "volumeMounts": []}

    def _set_container_status(self, work: PodWork, index: int, status: dict[str, Any],
                              with_phase: bool = False) -> None:
        """Write one container's status; ``with_phase`` derives the pod's phase in the same write,
        as kubelet's status manager does (a watcher never sees the container ended while the
        phase still says it runs)."""
        pod = self._pod(work)
        if pod is None:
            return
        statuses = pod["status"].setdefault("containerStatuses", [])
        while len(statuses) <= index:
            statuses.append({})
        statuses[index] = status
        if with_phase:
            self._derive_phase(pod)
        self.port.store.update("pods", pod)

    def _last_state(self, work: PodWork, index: int) -> dict[str, Any]:
        pod = self._pod(work)
        statuses = (pod or {}).get("status", {}).get("containerStatuses") or []
        if index < len(statuses) and "terminated" in (statuses[index].get("state") or {}):
            return {"terminated": statuses[index]["state"]["terminated"]}
        return (statuses[index].get("lastState") or {}) if index < len(statuses) else {}

    async def _create_with_backoff(self, work: PodWork, index: int, spec: dict[str, Any]) -> None:
        """CreateContainer (retried with back-off while refused), then StartContainer."""
        lat = self.port.latencies
        attempt = 0
        restarts = work.restarts.get(spec["name"], 0)
        last_state = self._last_state(work, index) if restarts else {}
        while True:
            pod = self._pod(work)
            if pod is None or pod["metadata"].get("deletionTimestamp") or work.stop_task is not None:
                return
            name = cri_name(spec["name"], work.name, work.namespace, work.uid, restarts)
            orphan = self.runtime.container_named(name)
            if orphan is not None and orphan.state == "created":
                cid = orphan.info.container_id  # a create that outlived our timeout: adopt it
            else:
                cid = new_container_id()
                info = ContainerInfo(
                    container_id=cid, name=spec["name"], pod_name=work.name, pod_namespace=work.namespace,
                    pod_uid=work.uid, sandbox_id=work.sandbox_id,
                    pod_annotations=dict(pod["metadata"].get("annotations") or {}), **oci_resources(spec))
                message = await self._cri_create(work, info, name)
                if message is not None:
                    attempt += 1
                    self._set_container_status(work, index, self._status_waiting(
                        spec, "CreateContainerError", message, restarts, last_state))
                    pod = self._pod(work)
                    if pod is not None:
                        self._event(pod, "Warning", "Failed", f"Error: {message}", spec["name"])
                    await asyncio.sleep(lat.backoff(attempt))
                    continue
            work.containers[spec["name"]] = cid
            pod = self._pod(work)
            if pod is not None:
                self._event(pod, "Normal", "Pulled",
                            f'Container image "{spec["image"]}" already present on machine', spec["name"])
                self._event(pod, "Normal", "Created", f"Created container: {spec['name']}", spec["name"])
            await asyncio.sleep(lat.container_start)
            try:
                self.runtime.start_container(cid, self._cgroup_dir(pod or {}, work, cid))
            except ContainerStartError as err:
                await self._start_failed(work, index, spec, cid, str(err), restarts, last_state)
                return
            pod = self._pod(work)
            if pod is not None:
                self._event(pod, "Normal", "Started", f"Started container {spec['name']}", spec["name"])
            started = now_rfc3339()
            self._set_container_status(work, index, {
                "name": spec["name"], "image": spec["image"],
                "imageID": "docker.io/library/busybox@sha256:" + "ab" * 32,
                "containerID": f"containerd://{cid}", "ready": True, "restartCount": restarts, "started": True,
                "state": {"running": {"startedAt": started}}, "lastState": last_state, "volumeMounts": []})
            process = model_command(spec.get("command"), spec.get("args"))
            work.processes[spec["name"]] = process
            work.started_at[spec["name"]] = asyncio.get_running_loop().time()
            work.exited.pop(spec["name"], None)
            if process.ends_by_itself:
                work.run_tasks[spec["name"]] = self.port.spawn(self._run_to_end(work, index, spec, cid, process))
            return

    @staticmethod
    def _cgroup_dir(pod: dict[str, Any], work: PodWork, cid: str) -> str:
        """The container's cgroup (cgroupfs driver, cgroup v2), as runc names it in errors."""
        qos = qos_class(pod) if pod else "Guaranteed"
        tier = "" if qos == "Guaranteed" else f"{qos.lower()}/"
        return f"/sys/fs/cgroup/kubepods/{tier}pod{work.uid}/{cid}"

    async def _start_failed(self, work: PodWork, index: int, spec: dict[str, Any], cid: str, message: str,
                            restarts: int, last_state: dict[str, Any]) -> None:
        """runc refused the container: status ``StartError`` (exit 128), event ``Failed``; then the
        restart policy decides, as for a container that exited."""
        work.containers[spec["name"]] = cid
        work.exited[spec["name"]] = 128
        pod = self._pod(work)
        if pod is None:
            return
        self._event(pod, "Warning", "Failed", f"Error: {message}", spec["name"])
        restarts_never = pod["spec"].get("restartPolicy", "Always") == "Never"
        now = now_rfc3339()
        self._set_container_status(work, index, {
            "name": spec["name"], "image": spec["image"],
            "imageID": "docker.io/library/busybox@sha256:" + "ab" * 32,
            "containerID": f"containerd://{cid}", "ready": False, "restartCount": restarts, "started": False,
            "state": {"terminated": {"exitCode": 128, "reason": "StartError", "message": message,
                                     "startedAt": "1970-01-01T00:00:00Z", "finishedAt": now,
                                     "containerID": f"containerd://{cid}"}},
            "lastState": last_state, "volumeMounts": []}, with_phase=restarts_never)
        if not restarts_never and self._pod(work) is not None:
            await self._restart(work, index, spec, start_error=message)

    async def _cri_create(self, work: PodWork, info: ContainerInfo, name: str) -> str | None:
        """One CRI CreateContainer as kubelet sees it: None on success, else the error text.
        containerd goes on with a call that outlives kubelet's timeout (or the pod's deletion)."""
        task = self.port.spawn(self._create_outcome(info, name))
        work.creating.add(task)
        task.add_done_callback(work.creating.discard)
        done, _ = await asyncio.wait({task}, timeout=self.port.latencies.runtime_request_timeout)
        if not done:
            task.add_done_callback(lambda t: t.cancelled() or t.exception())  # outcome seen later
            return "context deadline exceeded"
        return task.result()

    async def _create_outcome(self, info: ContainerInfo, name: str) -> str | None:
        """The runtime's CreateContainer; a refusal (the plugin's, or a reserved name) is an
        ordinary outcome: returned as kubelet's error text and logged as one line, not a failed
        background task with a traceback."""
        try:
            await self.runtime.create_container(info, name)
        except NameReserved as err:
            error = str(err)
        except PluginError as err:
            error = WRAP.format(err)
        else:
            return None
        log.warning("%s: CreateContainer %s of pod %s/%s failed: %s", self.node_name, info.name,
                    info.pod_namespace, info.pod_name, error)
        return error

    # -- containers that end -----------------------------------------------------------
    async def _run_to_end(self, work: PodWork, index: int, spec: dict[str, Any], cid: str,
                          process: ProcessModel) -> None:
        await asyncio.sleep(process.duration)
        if work.stop_task is not None or work.containers.get(spec["name"]) != cid:
            return
        pod = self._pod(work)
        policy = pod["spec"].get("restartPolicy", "Always") if pod is not None else "Never"
        restarts = policy == "Always" or (policy == "OnFailure" and process.exit_code != 0)
        self._container_exited(work, index, spec, cid, process.exit_code, with_phase=not restarts)
        if restarts and self._pod(work) is not None:
            await self._restart(work, index, spec)

    def _container_exited(self, work: PodWork, index: int, spec: dict[str, Any], cid: str, code: int,
                          with_phase: bool = False) -> None:
        """The main process ended: the container is stopped (still there: the plugin is not told);
        ``with_phase``: the pod's phase is derived in the same status write."""
        self.runtime.stop_container(cid)
        work.exited[spec["name"]] = code
        pod = self._pod(work)
        if pod is None:
            return
        statuses = pod["status"].get("containerStatuses") or []
        st = statuses[index] if index < len(statuses) else {}
        started = (st.get("state") or {}).get("running", {}).get("startedAt", now_rfc3339())
        reason = "Completed" if code == 0 else "Error"
        st["state"] = {"terminated": {"exitCode": code, "reason": reason, "startedAt": started,
                                      "finishedAt": now_rfc3339(), "containerID": f"containerd://{cid}"}}
        st["ready"] = False
        st["started"] = False
        if with_phase:
            self._derive_phase(pod)
        self.port.store.update("pods", pod)

    async def _restart(self, work: PodWork, index: int, spec: dict[str, Any],
                       start_error: str | None = None) -> None:
        """restartPolicy: the exited instance stays (dead) and a new one is created after back-off.
        A container that runc could not start waits as ``RunContainerError`` with runc's message
        (``start_error``), one that ran and exited as ``CrashLoopBackOff``."""
        name = spec["name"]
        work.restarts[name] = work.restarts.get(name, 0) + 1
        old = work.containers.pop(name, None)
        if old is not None:
            work.dead.append(old)
        delay = self.port.latencies.backoff(work.restarts[name])
        pod = self._pod(work)
        if pod is not None:
            self._event(pod, "Warning", "BackOff", f"Back-off restarting failed container {name} in pod "
                        f"{work.name}_{work.namespace}({work.uid})", name)
            last = self._last_state(work, index)
            reason, message = ("RunContainerError", start_error) if start_error is not None else (
                "CrashLoopBackOff", f"back-off {delay:g}s restarting failed container={name} "
                                    f"pod={work.name}_{work.namespace}({work.uid})")
            status = self._status_waiting(spec, reason, message, work.restarts[name], last)
            self._set_container_status(work, index, status)
            self._sync_phase(work)
        await asyncio.sleep(delay)
        await self._create_with_backoff(work, index, spec)
        self._sync_phase(work)

    def _sync_phase(self, work: PodWork) -> None:
        pod = self._pod(work)
        if pod is None:
            return
        self._derive_phase(pod)
        self.port.store.update("pods", pod)

    @staticmethod
    def _derive_phase(pod: dict[str, Any]) -> None:
        """Phase and readiness from the containers, as kubelet derives them (not written)."""
        statuses = pod["status"].get("containerStatuses") or []
        states = [s.get("state") or {} for s in statuses]
        policy = pod["spec"].get("restartPolicy", "Always")
        all_ready = bool(states) and all("running" in st for st in states)
        terminated = [st["terminated"]["exitCode"] for st in states if "terminated" in st]
        if policy != "Always" and states and len(terminated) == len(states) and (
                policy == "Never" or all(code == 0 for code in terminated)):
            pod["status"]["phase"] = "Succeeded" if all(code == 0 for code in terminated) else "Failed"
            set_condition(pod, "Ready", "False", "PodCompleted", None)
            set_condition(pod, "ContainersReady", "False", "PodCompleted", None)
        elif all_ready:
            pod["status"]["phase"] = "Running"
            set_condition(pod, "ContainersReady", "True")
            set_condition(pod, "Ready", "True")
        else:
            if any("running" in st or "terminated" in st for st in states) or \
                    any(s.get("restartCount") for s in statuses):
                pod["status"]["phase"] = "Running"
            unready = [s["name"] for s in statuses if not s.get("ready")]
            message = "containers with unready status: [" + " ".join(unready) + "]"
            set_condition(pod, "Ready", "False", "ContainersNotReady", message)
            set_condition(pod, "ContainersReady", "False", "ContainersNotReady", message)

    # -- stop -----------------------------------------------------------------------
    def terminate(self, uid: str, grace: int, object_already_gone: bool = False) -> None:
        work = self.pods.get(uid)
        if work is None or work.stop_task is not None:
            return
        work.stop_task = self.port.spawn(self._stop(work, grace, object_already_gone))

    async def _stop(self, work: PodWork, grace: int, object_gone: bool) -> None:
        """SIGTERM to every running container; each stops as its command does (at once when
        it handles SIGTERM, else killed at the grace period, at least ``min_kill_grace`` even
        when force-deleted); then the pod object goes and, after the removal lag, every
        container of the pod (dead restarts too) is removed."""
        lat = self.port.latencies
        if work.start_task is not None and not work.start_task.done():
            work.start_task.cancel()
            try:
                await work.start_task
            except (asyncio.CancelledError, Exception):
                pass
        for task in work.run_tasks.values():
            task.cancel()
        if work.creating:  # a create the deletion interrupted still completes in the runtime
            await asyncio.wait(set(work.creating))
        pod = self._pod(work)
        spec_by_name = {c["name"]: (i, c) for i, c in enumerate(pod["spec"]["containers"])} if pod else {}
        running = {name: cid for name, cid in work.containers.items() if name not in work.exited}
        unrecorded = [c.info for c in self.runtime.containers_of_pod(work.uid)
                      if c.state in ("created", "running") and c.info.container_id not in running.values()]
        if pod is not None:
            for name in running:
                self._event(pod, "Normal", "Killing", f"Stopping container {name}", name)
        grace_seconds = max(float(grace), lat.min_kill_grace)
        now = asyncio.get_running_loop().time()
        plans: list[tuple[float, str, str, int]] = [(0.0, f"{info.name} (unrecorded)", info.container_id, KILLED)
                                                    for info in unrecorded]
        for name, cid in running.items():
            process = work.processes.get(name)
            if process is None:
                plans.append((0.0, name, cid, KILLED))
                continue
            after, code = process.stop_after(now - work.started_at.get(name, now), grace_seconds)
            if code == KILLED or (process.on_term == "ignore" and after > 0):
                after = min(after, lat.container_stop)  # the latency profile may shorten the wait
            plans.append((after, name, cid, code))
        elapsed = 0.0
        for after, name, cid, code in sorted(plans):
            await asyncio.sleep(max(0.0, after - elapsed))
            elapsed = max(elapsed, after)
            if name in spec_by_name:
                index, spec = spec_by_name[name]
                self._container_exited(work, index, spec, cid, code)
            else:
                self.runtime.stop_container(cid)
        pod = self._pod(work)
        if pod is not None:
            set_condition(pod, "Ready", "False", "PodCompleted", None)
            set_condition(pod, "ContainersReady", "False", "PodCompleted", None)
            self.port.store.update("pods", pod)
            self.port.store.delete("pods", work.namespace, work.name)
            self.port.pod_gone(pod)
        await asyncio.sleep(lat.removal_lag)
        # as kubelet's container GC does: every container the runtime has for the pod, even one
        # whose create completed after the deletion began (kubelet never recorded it)
        leftovers = [c.info.container_id for c in self.runtime.containers_of_pod(work.uid)]
        for cid in dict.fromkeys(list(work.containers.values()) + work.dead + leftovers):
            await self.runtime.remove_container(cid)
        self.pods.pop(work.uid, None)
