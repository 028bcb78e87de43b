"""Judging from plugin log lines whether the containers of deleted pods are released (the wait
that leaves a node idle for the next procedure)."""
from __future__ import annotations

from kubernetes import client

from CpusetLibrary.releases import (StartedContainer, UnseenPod, started_containers, unreleased, unseen_pods,
                                    wait_until_released)

CID_A = "a" * 64
CID_B = "b" * 64
A = StartedContainer("node-1", "ns/pod-a", "main", CID_A)
B = StartedContainer("node-2", "ns/pod-b", "main", CID_B)


def test_released_once_the_removal_line_is_in_that_nodes_log() -> None:
    lines = {"node-1": ["[2026-11-28 05:00:00] Removing container main from pod ns/pod-a"],
             "node-2": ["[2026-11-28 05:00:00] Removing container main from pod ns/pod-a"]}  # not pod-b's
    assert unreleased({A, B}, lines) == {B}


def test_a_restart_that_did_not_record_the_container_again_released_it() -> None:
    restarted = ["Synchronizing state with 3 pods and 4 containers", "Synchronize() completed"]
    assert unreleased({B}, {"node-2": restarted}) == set()


def test_a_container_recorded_again_after_a_restart_is_still_awaited() -> None:
    lines = ["Synchronizing state with 1 pods and 1 containers",
             f"DEBUG: Synchronizing integer container {CID_B[:12]} with existing CPUs [4 5]"]
    assert unreleased({B}, {"node-2": lines}) == {B}
    assert unreleased({B}, {"node-2": [*lines, "Removing container main from pod ns/pod-b"]}) == set()


def test_only_containers_with_an_id_on_a_bound_node_are_waited_for() -> None:
    def pod(name: str, node: str | None, cid: str | None) -> client.V1Pod:
        status = client.V1ContainerStatus(name="main", container_id=cid and f"containerd://{cid}", image="i",
                                          image_id="", ready=bool(cid), restart_count=0)
        return client.V1Pod(metadata=client.V1ObjectMeta(name=name, namespace="ns"),
                            spec=client.V1PodSpec(node_name=node, containers=[client.V1Container(name="main")]),
                            status=client.V1PodStatus(container_statuses=[status]))
    found = started_containers([pod("pod-a", "node-1", CID_A), pod("refused", "node-1", None),
                                pod("unbound", None, CID_B)])
    assert found == {A}
    unseen = unseen_pods([pod("pod-a", "node-1", CID_A), pod("refused", "node-1", None),
                          pod("unbound", None, None)])
    assert unseen == {UnseenPod("node-1", "ns/refused")}


class _Access:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.reads = 0

    def read_since(self, mark: object) -> list[str]:
        self.reads += 1
        return self.lines


def test_the_wait_is_bounded_and_names_what_is_still_held() -> None:
    access = _Access(["Removing container other from pod ns/pod-a"])
    waited, pending = wait_until_released({A}, {"node-1": access}, {"node-1": object()}, timeout=0.2)
    assert pending == {A} and 0.2 <= waited < 2 and access.reads >= 2
    assert "ns/pod-a container main" in A.describe() and "node-1" in A.describe()


def test_nodes_without_access_are_not_waited_for() -> None:
    waited, pending = wait_until_released({A, B}, {"node-1": _Access(
        ["Removing container main from pod ns/pod-a"])}, {"node-1": object()}, timeout=5)
    assert pending == set() and waited < 1


REFUSED = UnseenPod("node-1", "ns/refused")
ADMITTED_DURING_DELETION = [
    "DEBUG: CreateContainer called for annotated container ns/refused (container 321e6900b6d3)",
    "DEBUG: Recorded annotated container 321e6900b6d3 with CPUs [1]",
]


def test_a_pod_admitted_during_its_deletion_is_awaited_until_removed() -> None:
    access = _Access(ADMITTED_DURING_DELETION)
    waited, pending = wait_until_released(set(), {"node-1": access}, {"node-1": object()}, timeout=0.2,
                                          unseen={REFUSED})
    assert pending == {REFUSED} and "ns/refused" in REFUSED.describe()
    access.lines = [*ADMITTED_DURING_DELETION, "Removing container main from pod ns/refused"]
    _, pending = wait_until_released(set(), {"node-1": access}, {"node-1": object()}, timeout=1, unseen={REFUSED})
    assert pending == set()


def test_an_unseen_pod_the_plugin_did_not_admit_is_not_awaited() -> None:
    access = _Access(["DEBUG: CreateContainer called for annotated container ns/refused (container 103de61e626c)"])
    waited, pending = wait_until_released({A}, {"node-1": access}, {"node-1": object()}, timeout=0.2,
                                          unseen={REFUSED})
    assert pending == {A}  # mixed kinds are reported together
