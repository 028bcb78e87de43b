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


def _ended(exit_code: int, reason: str, message: str | None = None) -> list[client.V1ContainerStatus]:
    return [client.V1ContainerStatus(
        name="c", image="busybox", image_id="", ready=False, restart_count=0, container_id="containerd://ab",
        state=client.V1ContainerState(terminated=client.V1ContainerStateTerminated(
            exit_code=exit_code, reason=reason, message=message)))]


def _with_policy(pod: client.V1Pod, policy: str) -> client.V1Pod:
    pod.spec.restart_policy = policy
    return pod


def test_a_pod_that_may_still_start_has_not_ended():
    from CpusetLibrary.podstate import ended_for_good

    assert ended_for_good(_pod(statuses=_waiting("ContainerCreating"))) == ""
    assert ended_for_good(_pod(statuses=_waiting("CreateContainerError", "need 4, have 2"))) == ""
    # restartPolicy Always: kubelet starts an ended container again
    assert ended_for_good(_with_policy(_pod(phase="Running", statuses=_ended(1, "Error")), "Always")) == ""
    assert ended_for_good(_with_policy(_pod(phase="Running", statuses=_ended(1, "Error")), "OnFailure")) == ""


def test_a_failed_start_is_final_and_says_why():
    from CpusetLibrary.podstate import ended_for_good

    pod = _with_policy(_pod(phase="Failed", statuses=_ended(128, "StartError", "runc create failed: cpuset.cpus")),
                       "Never")
    assert ended_for_good(pod) == (
        "p: phase=Failed, container terminated (StartError, exit code 128): the phase is final; container c ended "
        "(StartError, exit code 128): runc create failed: cpuset.cpus and restartPolicy Never does not start it again")


def test_an_ended_container_that_is_not_restarted_is_final_before_the_phase_says_so():
    from CpusetLibrary.podstate import ended_for_good

    pod = _with_policy(_pod(phase="Running", statuses=_ended(0, "Completed")), "Never")
    assert "container c ended (Completed, exit code 0) and restartPolicy Never" in ended_for_good(pod)
    assert "restartPolicy OnFailure" in ended_for_good(
        _with_policy(_pod(phase="Running", statuses=_ended(0, "Completed")), "OnFailure"))


def test_a_pod_being_deleted_is_final():
    from datetime import datetime, timezone

    from CpusetLibrary.podstate import ended_for_good

    pod = _pod(phase="Running")
    pod.metadata.deletion_timestamp = datetime.now(timezone.utc)
    assert ended_for_good(pod) == ("p: phase=Running, Terminating, bound to n1, no container status reported yet: "
                                   "the pod is being deleted")


def _retried(reason: str, restarts: int, waiting: str) -> list[client.V1ContainerStatus]:
    return [client.V1ContainerStatus(
        name="c", image="busybox", image_id="", ready=False, restart_count=restarts, container_id="containerd://ab",
        state=client.V1ContainerState(waiting=client.V1ContainerStateWaiting(reason=waiting, message="m")),
        last_state=client.V1ContainerState(terminated=client.V1ContainerStateTerminated(
            exit_code=128, reason=reason, message="runc create failed: cpuset.cpus: invalid argument")))]


def test_a_start_that_runc_refused_again_after_a_restart_will_not_pass():
    from CpusetLibrary.podstate import ended_for_good, start_keeps_failing

    pod = _with_policy(_pod(phase="Running", statuses=_retried("StartError", 1, "RunContainerError")), "Always")
    assert start_keeps_failing(pod) == (
        "p: phase=Running, waiting RunContainerError (m): container c failed to start 2 times (StartError, exit "
        "code 128): runc create failed: cpuset.cpus: invalid argument")
    assert ended_for_good(pod) == start_keeps_failing(pod)
    # the first failure may still be retried successfully; a container that crashed after starting is not a StartError
    assert not start_keeps_failing(
        _with_policy(_pod(phase="Running", statuses=_retried("StartError", 0, "RunContainerError")), "Always"))
    assert not start_keeps_failing(
        _with_policy(_pod(phase="Running", statuses=_retried("Error", 3, "CrashLoopBackOff")), "Always"))
