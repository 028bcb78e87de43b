"""Leaving a node idle: after a procedure's pods are deleted, wait until the plugin on each of
their nodes has handled RemoveContainer for every container they had.

A pod is gone from the API before the kubelet removes its containers, and the plugin frees a
container's CPUs only at RemoveContainer. A procedure that ends at the namespace's deletion
therefore hands the next procedure a node whose plugin still reserves CPUs that the API shows
as free: the next procedure sizes itself from the API and meets refusals (or cores completed
first) that are not the plugin's fault. Waiting here keeps procedures run back to back honest.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from kubernetes import client

from . import pluginlog
from .nodeaccess.base import LogMark, NodeAccess
from .podstate import strip_runtime_prefix
from .progress import Progress

POLL_INTERVAL = 0.05  # seconds between reads of the plugin logs while waiting on them


@dataclass(frozen=True, order=True)
class StartedContainer:
    """A container the runtime created for a pod (it has an id), so the plugin saw it."""

    node: str
    pod: str  # namespace/name
    name: str
    container_id: str

    def describe(self) -> str:
        return f"{self.pod} container {self.name} (id {pluginlog.short_id(self.container_id)}) on {self.node}"


def started_containers(pods: Iterable[client.V1Pod]) -> set[StartedContainer]:
    """Every container of ``pods`` that has an id (created by the runtime, running or ended)."""
    found = set()
    for pod in pods:
        node = pod.spec.node_name if pod.spec else None
        status = pod.status or client.V1PodStatus()
        if not node:
            continue  # never bound: no runtime ever saw it
        for cs in (status.init_container_statuses or []) + (status.container_statuses or []):
            if cs.container_id:
                found.add(StartedContainer(node, f"{pod.metadata.namespace}/{pod.metadata.name}", cs.name,
                                           strip_runtime_prefix(cs.container_id)))
    return found


@dataclass(frozen=True, order=True)
class UnseenPod:
    """A pod bound to a node with a container the runtime had not created when it was listed
    (refused, or not started yet): a create the plugin admits while the pod is being deleted
    reserves CPUs nobody recorded, until its own RemoveContainer."""

    node: str
    pod: str  # namespace/name

    def describe(self) -> str:
        return f"{self.pod} (a container admitted while the pod was being deleted) on {self.node}"


def unseen_pods(pods: Iterable[client.V1Pod]) -> set[UnseenPod]:
    """The bound pods of ``pods`` with a container that has no id yet."""
    found = set()
    for pod in pods:
        node = pod.spec.node_name if pod.spec else None
        if not node:
            continue
        statuses = (pod.status.container_statuses if pod.status else None) or []
        if len(statuses) < len(pod.spec.containers or []) or any(not cs.container_id for cs in statuses):
            found.add(UnseenPod(node, f"{pod.metadata.namespace}/{pod.metadata.name}"))
    return found


def unreleased_unseen(unseen: Iterable[UnseenPod], lines_by_node: Mapping[str, list[str]]) -> set[UnseenPod]:
    """The unseen pods for which the plugin (since its last start in ``lines_by_node``, read
    from before the deletion) admitted a container with reserved CPUs that it has not removed
    (``pluginlog.admitted_not_removed``)."""
    by_node: dict[str, set[str]] = {}
    for item in unseen:
        by_node.setdefault(item.node, set()).add(item.pod)
    pending_by_node = {node: pluginlog.admitted_not_removed(lines_by_node.get(node, []), pods)
                       for node, pods in by_node.items()}
    return {item for item in unseen if item.pod in pending_by_node[item.node]}


def unreleased(started: Iterable[StartedContainer], lines_by_node: Mapping[str, list[str]]) -> set[StartedContainer]:
    """The containers the plugin has not released yet, judged from each node's log since the
    deletion: released once ``Removing container <name> from pod <ns/pod>`` is there. When the
    plugin restarted meanwhile (``Synchronizing state with``), a container it did not record
    again in that Synchronize is not in its state at all, so nothing of it is reserved."""
    removed: dict[str, set[tuple[str, str]]] = {}
    resynced_by_node: dict[str, set[str] | None] = {}  # ids re-recorded since a restart; None: none
    pending = set()
    for item in started:
        if item.node not in removed:  # each node's log is parsed once
            lines = lines_by_node.get(item.node, [])
            removed[item.node] = pluginlog.removed_pod_containers(lines)
            resynced_by_node[item.node] = resynced_since_restart(lines)
        if (item.pod, item.name) in removed[item.node]:
            continue
        if dropped_by_restart([item.container_id], resynced_by_node[item.node]):
            continue
        pending.add(item)
    return pending


def resynced_since_restart(lines: list[str]) -> set[str] | None:
    """Short ids of the containers the plugin re-recorded at its last (re)start in ``lines``;
    None when it did not restart in them."""
    restart = pluginlog.last_start(lines)
    return None if restart is None else pluginlog.synchronized(lines[restart:])


def dropped_by_restart(container_ids: Iterable[str], resynced: set[str] | None) -> bool:
    """True when the plugin restarted (``resynced`` from ``resynced_since_restart``) and
    recorded none of ``container_ids`` again: it holds nothing of them, and no RemoveContainer
    of them will be logged when the runtime removed them while no plugin was connected."""
    return resynced is not None and not any(pluginlog.short_id(cid) in resynced for cid in container_ids)


def wait_until_released(started: set[StartedContainer], accesses: Mapping[str, NodeAccess],
                        marks: Mapping[str, LogMark], timeout: float,
                        emit: Callable[[str], None] | None = None,
                        unseen: set[UnseenPod] = frozenset()) -> tuple[float, set[StartedContainer | UnseenPod]]:
    """Poll the plugin logs of the nodes in ``accesses`` (from ``marks``) until every container
    of ``started`` on them is released, and every container the plugin admitted for an
    ``unseen`` pod during the deletion, at most ``timeout`` seconds. Returns the seconds waited
    and what is still unreleased then (empty on success)."""
    watched = {item for item in started if item.node in accesses}
    watched_unseen = {item for item in unseen if item.node in accesses}
    start = time.monotonic()
    deadline = start + timeout
    progress = Progress(f"waiting up to {timeout:g} s for the plugin to release the deleted pods' containers", emit)
    while True:
        nodes = {item.node for item in watched} | {item.node for item in watched_unseen}
        lines = {node: accesses[node].read_since(marks[node]) for node in nodes}
        pending = unreleased(watched, lines) | unreleased_unseen(watched_unseen, lines)
        if not pending or time.monotonic() >= deadline:
            return time.monotonic() - start, pending
        progress(lambda: f"{len(pending)} not released yet, e.g. {min(item.describe() for item in pending)}")
        time.sleep(POLL_INTERVAL)  # polling the plugin logs: a bounded wait on state


def delete_daemonsets(cluster, namespace: str) -> list[str]:
    """Delete every DaemonSet of ``namespace`` (its pods are deleted by the caller): once a
    DaemonSet is being deleted its controller creates no pod, so a listing of the namespace's
    pods taken afterwards holds every pod whose containers the plugin must release."""
    apps = client.AppsV1Api(cluster.api_client)
    names = [ds.metadata.name for ds in apps.list_namespaced_daemon_set(
        namespace, _request_timeout=cluster.request_timeout).items]
    for name in names:
        try:
            apps.delete_namespaced_daemon_set(name, namespace, propagation_policy="Background",
                                              _request_timeout=cluster.request_timeout)
        except client.ApiException as err:
            if err.status != 404:  # gone already is what we want
                raise
    return names
