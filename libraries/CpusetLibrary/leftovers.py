"""Namespaces an earlier run of this tool left behind (killed with SIGKILL, a lost machine).

Every run labels its namespaces ``app.kubernetes.io/managed-by=nri-cpuset-acceptance``,
``nri-cpuset-acceptance/run=<run id>`` and ``nri-cpuset-acceptance/node=<node>``. A run that
holds a node's lease knows no other live run uses that node, so the tool's namespaces there
(labelled with the node, or holding pods on it) that belong to other runs are leftovers.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kubernetes.client.exceptions import ApiException

from .cluster import Cluster
from .nodeaccess.base import NodeAccess
from .nodelease import MANAGED_BY, MANAGED_BY_LABEL, NODE_LABEL
from .releases import StartedContainer, UnseenPod, started_containers, unseen_pods, wait_until_released

RUN_LABEL = "nri-cpuset-acceptance/run"
MANAGED_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"
CLEANUP_COMMAND = "nricpuset-cleanup --kubeconfig {kubeconfig}{context} --node {node}"


@dataclass(frozen=True)
class Leftover:
    namespace: str
    run_id: str
    pods_on_node: int


def managed_namespaces(cluster: Cluster) -> list:
    return cluster.core.list_namespace(label_selector=MANAGED_SELECTOR,
                                       _request_timeout=cluster.request_timeout).items


def find_leftovers(cluster: Cluster, node: str | None, own_run: str) -> list[Leftover]:
    """This tool's namespaces of other runs on ``node`` (every node when None)."""
    on_node: dict[str, int] = {}
    if node is not None:
        for pod in cluster.pods_on_node(node):
            on_node[pod.metadata.namespace] = on_node.get(pod.metadata.namespace, 0) + 1
    found = []
    for ns in managed_namespaces(cluster):
        labels = ns.metadata.labels or {}
        run_id = labels.get(RUN_LABEL, "")
        name = ns.metadata.name
        if own_run and run_id == own_run:
            continue
        if node is None or labels.get(NODE_LABEL) == node[:63] or name in on_node:
            found.append(Leftover(name, run_id, on_node.get(name, 0)))
    return found


def remove_namespaces(cluster: Cluster, names: list[str], timeout: float) -> list[str]:
    """Delete the namespaces (their pods first, without grace: their run is gone) and wait
    until they are gone. Returns problems (empty when all went)."""
    problems = []
    deadline = time.monotonic() + timeout
    for name in names:
        try:
            pods = [pod.metadata.name for pod in cluster.list_pods(name)]
            if pods:
                cluster.delete_pods(name, pods, 0)
            cluster.delete_namespace(name, timeout=max(1.0, deadline - time.monotonic()))
        except (ApiException, Exception) as err:  # noqa: BLE001 - report every namespace
            problems.append(f"namespace '{name}': {err}")
    return problems


def cleanup_command(kubeconfig: str, context: str | None, node: str) -> str:
    return CLEANUP_COMMAND.format(kubeconfig=kubeconfig, context=f" --context {context}" if context else "",
                                  node=node)


@dataclass
class LeftoverContainers:
    """What the removed leftover namespaces' pods had on the nodes: the containers the plugin
    may still hold CPUs for until it logs their removal."""

    started: set[StartedContainer] = dataclasses.field(default_factory=set)
    unseen: set[UnseenPod] = dataclasses.field(default_factory=set)

    @property
    def nodes(self) -> set[str]:
        return {item.node for item in self.started} | {item.node for item in self.unseen}

    def __bool__(self) -> bool:
        return bool(self.started or self.unseen)


def leftover_containers(cluster: Cluster, namespaces: list[str]) -> LeftoverContainers:
    """The containers of the pods in ``namespaces`` (listed before they are deleted)."""
    pods = [pod for name in namespaces for pod in cluster.list_pods(name)]
    return LeftoverContainers(started_containers(pods), unseen_pods(pods))


def await_leftover_release(left: LeftoverContainers, accesses: Mapping[str, NodeAccess], timeout: float,
                           emit: Callable[[str], None] | None = None) -> tuple[float, set]:
    """Wait, at most ``timeout`` s, until the plugin of each node in ``accesses`` has released
    every leftover container (as ``Delete Test Namespace`` waits for its own): their removal,
    or a restart that did not record them again, in the plugin's log read from its start (the
    deletion happened before this run could read the log). Returns the seconds waited and what
    is still unreleased."""
    marks = {node: dataclasses.replace(access.mark(), offset=0) for node, access in accesses.items()}
    return wait_until_released(left.started, accesses, marks, timeout, emit, left.unseen)
