"""A pod's one-line description never shows an empty reason."""
from __future__ import annotations

from kubernetes import client

from CpusetLibrary.podstate import view


def _pod(phase="Pending", node="n1", statuses=None, conditions=None) -> client.V1Pod:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name="p", namespace="ns"),
        spec=client.V1PodSpec(node_name=node, containers=[client.V1Container(name="c", image="busybox")]),
        status=client.V1PodStatus(phase=phase, container_statuses=statuses, conditions=conditions),
    )


def _waiting(reason, message=None) -> list[client.V1ContainerStatus]:
    return [client.V1ContainerStatus(
        name="c", image="busybox", image_id="", ready=False, restart_count=0,
        state=client.V1ContainerState(waiting=client.V1ContainerStateWaiting(reason=reason, message=message)))]


def test_waiting_without_message_says_nothing_was_reported():
    text = view(_pod(statuses=_waiting("ContainerCreating"))).describe()
    assert text == "p: phase=Pending, waiting ContainerCreating (no message reported)"
    assert ": ;" not in text and not text.endswith(": ")


def test_waiting_with_message_quotes_it():
    text = view(_pod(statuses=_waiting("CreateContainerError", "insufficient free CPUs: need 4, have 2"))).describe()
    assert text.endswith("waiting CreateContainerError (insufficient free CPUs: need 4, have 2)")


def test_waiting_without_reason_is_named():
    assert "waiting (no reason) (no message reported)" in view(_pod(statuses=_waiting(None))).describe()


def test_nothing_reported_says_what_the_pod_waits_for():
    assert view(_pod(node=None)).describe() == "p: phase=Pending, not scheduled yet (no scheduler decision reported)"
    assert view(_pod()).describe() == "p: phase=Pending, bound to n1, no container status reported yet"


def test_terminated_container_is_described():
    statuses = [client.V1ContainerStatus(
        name="c", image="busybox", image_id="", ready=False, restart_count=0, container_id="containerd://ab",
        state=client.V1ContainerState(terminated=client.V1ContainerStateTerminated(exit_code=137, reason="Error")))]
    assert view(_pod(phase="Failed", statuses=statuses)).describe() == \
        "p: phase=Failed, container terminated (Error, exit code 137)"
