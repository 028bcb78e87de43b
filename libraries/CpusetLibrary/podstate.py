"""Reading a pod object: readiness, why it is not running, container IDs, CPU requests."""
from __future__ import annotations

from dataclasses import dataclass

from kubernetes import client

from .quantity import parse_cpu

CORES_ANNOTATION = "weka.io/cores-ids"
FORBID_ANNOTATION = "weka.io/forbid-core-ids"


@dataclass(frozen=True)
class PodView:
    """The facts of one pod that the waits and oracles need."""

    name: str
    phase: str
    ready: bool
    terminating: bool
    unschedulable: str  # PodScheduled=False message, "" when scheduled or not yet tried
    waiting_reason: str  # first waiting container's reason, e.g. CreateContainerError
    waiting_message: str
    container_ids: tuple[str, ...]  # 64-hex ids without the runtime prefix
    container_names: tuple[str, ...]  # init and app containers, from the spec
    cpu_request: float
    cpu_limit: float
    node: str
    cores_annotation: str | None
    terminated: str = ""  # first terminated container: "reason, exit code N"
    forbid_annotation: str | None = None  # weka.io/forbid-core-ids

    def describe(self) -> str:
        """One line for failure messages: the phase and what the pod is waiting for, or that
        nothing was reported (never an empty reason)."""
        parts = [f"{self.name}: phase={self.phase or 'Unknown'}"]
        if self.ready:
            parts.append("Ready")
        if self.terminating:
            parts.append("Terminating")
        if self.unschedulable:
            parts.append(f"unschedulable ({self.unschedulable})")
        if self.waiting_reason:
            detail = self.waiting_message or "no message reported"
            parts.append(f"waiting {self.waiting_reason} ({detail})")
        elif self.terminated:
            parts.append(f"container terminated ({self.terminated})")
        elif not self.ready and not self.unschedulable:
            parts.append(self._waiting_for())
        return ", ".join(parts)

    def _waiting_for(self) -> str:
        if not self.node:
            return "not scheduled yet (no scheduler decision reported)"
        if not self.container_ids:
            return f"bound to {self.node}, no container status reported yet"
        if self.phase == "Running":
            return "containers running, Ready condition not reported True yet"
        return "no waiting reason reported"


def strip_runtime_prefix(container_id: str) -> str:
    """``containerd://abc`` -> ``abc``."""
    return container_id.split("://", 1)[-1]


def view(pod: client.V1Pod) -> PodView:
    status = pod.status or client.V1PodStatus()
    conditions = {c.type: c for c in (status.conditions or [])}
    ready = conditions.get("Ready") is not None and conditions["Ready"].status == "True"
    scheduled = conditions.get("PodScheduled")
    unschedulable = ""
    if scheduled is not None and scheduled.status == "False":
        unschedulable = scheduled.message or scheduled.reason or "Unschedulable"
    waiting_reason = waiting_message = terminated = ""
    ids: list[str] = []
    for cs in (status.init_container_statuses or []) + (status.container_statuses or []):
        if cs.container_id:
            ids.append(strip_runtime_prefix(cs.container_id))
        if cs.state and cs.state.waiting and not waiting_reason:
            waiting_reason = cs.state.waiting.reason or "(no reason)"
            waiting_message = cs.state.waiting.message or ""
        if cs.state and cs.state.terminated and not terminated:
            ended = cs.state.terminated
            terminated = f"{ended.reason or 'no reason'}, exit code {ended.exit_code}"
    request = limit = 0.0
    for container in pod.spec.containers:
        resources = container.resources or client.V1ResourceRequirements()
        limits = resources.limits or {}
        requests = resources.requests or {}
        if "cpu" in limits:
            limit += parse_cpu(limits["cpu"])
        if "cpu" in requests:
            request += parse_cpu(requests["cpu"])
        elif "cpu" in limits:
            request += parse_cpu(limits["cpu"])
    annotations = pod.metadata.annotations or {}
    return PodView(
        name=pod.metadata.name,
        phase=status.phase or "",
        ready=ready,
        terminating=pod.metadata.deletion_timestamp is not None,
        unschedulable=unschedulable,
        waiting_reason=waiting_reason,
        waiting_message=waiting_message,
        container_ids=tuple(ids),
        container_names=tuple(c.name for c in (pod.spec.init_containers or []) + pod.spec.containers),
        cpu_request=request,
        cpu_limit=limit,
        node=pod.spec.node_name or "",
        cores_annotation=annotations.get(CORES_ANNOTATION),
        terminated=terminated,
        forbid_annotation=annotations.get(FORBID_ANNOTATION),
    )


def ended_for_good(pod: client.V1Pod) -> str:
    """Why the pod can never become Ready, or "" while it still can: it is being deleted, its
    phase is terminal (``Failed``, ``Succeeded``), or one of its app containers ended and its
    ``restartPolicy`` does not start it again (``Never``; ``OnFailure`` after exit code 0), or
    kubelet's restart of a container runc refused failed the same way (:func:`start_keeps_failing`).
    The sentence names the phase and how the container ended, with the runtime's message
    (e.g. runc's ``StartError`` when it cannot apply the cpuset the plugin granted)."""
    pod_view = view(pod)
    if pod_view.terminating:
        return f"{pod_view.describe()}: the pod is being deleted"
    policy = (pod.spec.restart_policy if pod.spec else None) or "Always"
    ended = ""
    for status in (pod.status.container_statuses or []) if pod.status else []:
        done = status.state.terminated if status.state else None
        if done is None:
            continue
        if policy == "Never" or (policy == "OnFailure" and done.exit_code == 0) or pod_view.phase in (
                "Failed", "Succeeded"):
            message = (done.message or "").strip()
            ended = (f"container {status.name} ended ({done.reason or 'no reason'}, exit code {done.exit_code})"
                     + (f": {message}" if message else "") + f" and restartPolicy {policy} does not start it again")
            break
    if pod_view.phase in ("Failed", "Succeeded"):
        return f"{pod_view.describe()}: the phase is final" + (f"; {ended}" if ended else "")
    return f"{pod_view.describe()}; {ended}" if ended else start_keeps_failing(pod)


def start_keeps_failing(pod: client.V1Pod) -> str:
    """Why a container that kubelet restarts (``restartPolicy`` ``Always``/``OnFailure``) will not
    start, or "": it ended with ``StartError`` (runc refused it, e.g. the cpuset the plugin granted)
    and kubelet's next start of it failed again (waiting ``RunContainerError``/``CrashLoopBackOff``
    after a restart). Each retry repeats the same creation, so the pod does not become Ready."""
    for status in (pod.status.container_statuses or []) if pod.status else []:
        last = status.last_state.terminated if status.last_state else None
        waiting = status.state.waiting if status.state else None
        if (last is not None and last.reason == "StartError" and (status.restart_count or 0) >= 1
                and waiting is not None and waiting.reason in ("RunContainerError", "CrashLoopBackOff")):
            return (f"{view(pod).describe()}: container {status.name} failed to start {status.restart_count + 1} "
                    f"times (StartError, exit code {last.exit_code}): {(last.message or '').strip()}")
    return ""


def is_integer_pod(pod: client.V1Pod) -> bool:
    """Every container has a whole-number CPU limit equal to its request and a memory limit:
    what the plugin treats as an exclusive (integer) container."""
    for container in pod.spec.containers:
        resources = container.resources or client.V1ResourceRequirements()
        limits = resources.limits or {}
        requests = resources.requests or {}
        if "cpu" not in limits or "memory" not in limits:
            return False
        cpu = parse_cpu(limits["cpu"])
        if cpu < 1 or cpu != int(cpu) or parse_cpu(requests.get("cpu", limits["cpu"])) != cpu:
            return False
    return True
