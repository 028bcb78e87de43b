"""A procedure's teardown leaves the node idle: ``Delete Test Namespace`` returns only after the
plugin on every node has released the containers of the deleted pods (and of DaemonSet pods),
although the kubelet removes containers well after the pods are gone (``removal_lag``)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from CpusetLibrary import pluginlog
from CpusetLibrary.nodeplugins import access_for_node
from library_caller import Library, start

NODES = ["sim-node-1", "sim-node-2"]
SECONDS = timedelta(seconds=20)


@pytest.fixture(scope="module")
def lagging(tmp_path_factory):
    """Two nodes whose kubelet removes a container 1 s after it stopped."""
    library = start(tmp_path_factory, sim_cpus=16, sim_nodes=2, sim_latencies="removal_lag=1.0")
    try:
        yield library
    finally:
        library("Disconnect From Cluster")


def _removed(library: Library, marks: dict) -> set[tuple[str, str]]:
    found = set()
    for node in NODES:
        found |= pluginlog.removed_pod_containers(access_for_node(library.ctx, node).read_since(marks[node]))
    return found


def test_teardown_returns_once_every_container_is_released_on_every_node(lagging: Library) -> None:
    namespace = lagging("Create Test Namespace", "idle")
    lagging("Label Nodes", f"idle-test={namespace}", *NODES)
    pod = lagging("Pod Body", "integer-a", cpu=2, memory="64Mi")
    lagging("Create Pods Together", pod)
    ds_pod = lagging("Pod Body", "integer-ds", cpu=2, memory="64Mi")
    ds = lagging("Daemonset Body", "integer-ds", ds_pod, node_selector=f"idle-test={namespace}", grace_period=0)
    lagging("Create Daemonsets Together", ds)
    lagging("Wait Until Pods Are Ready", "integer-a", timeout=SECONDS)
    lagging("Wait Until Daemonsets Are Ready", "integer-ds", nodes=NODES, timeout=SECONDS)
    by_node = lagging("Pods Of Daemonset By Node", "integer-ds")
    marks = {node: access_for_node(lagging.ctx, node).mark() for node in NODES}

    lagging("Delete Test Namespace", grace_period=0, release_timeout=SECONDS)

    expected = {(f"{namespace}/integer-a", "weka-container")} | {
        (f"{namespace}/{name}", "weka-container") for name in by_node.values()}
    assert expected <= _removed(lagging, marks)  # already in the logs when the keyword returned
    lagging("Remove Label From Nodes", f"idle-test={namespace}", *NODES)
