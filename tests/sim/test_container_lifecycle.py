"""Containers that end when their command ends, SIGTERM handling and force deletion, through
the real kubernetes client (and kubectl for the manual's force-delete command)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from nrisim.latency import profile

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")


def body(h, name: str, script: str | None, cpu: str | None = "2", policy: str = "Never", grace: int = 30,
         command: list[str] | None = None):
    b = h.pod_body(name, cpu=cpu)
    c = b["spec"]["containers"][0]
    c["command"] = command if command is not None else ["sh", "-c", script]
    b["spec"]["restartPolicy"] = policy
    b["spec"]["terminationGracePeriodSeconds"] = grace
    return b


def state(api, name):
    st = api.read_namespaced_pod(name, "default").status
    return st.phase, (st.container_statuses or [None])[0]


def gone(api, name) -> bool:
    try:
        api.read_namespaced_pod(name, "default")
        return False
    except ApiException as err:
        return err.status == 404


def last_seen_states(api, name: str, rv: str, timeout: float = 15.0) -> list:
    """Every container state the pod passed through until it was deleted (a watch)."""
    seen = []
    for ev in watch.Watch().stream(api.list_namespaced_pod, "default", field_selector=f"metadata.name={name}",
                                   resource_version=rv, timeout_seconds=int(timeout)):
        cs = (ev["object"].status.container_statuses or [None])[0]
        seen.append((ev["type"], cs.state if cs else None))
        if ev["type"] == "DELETED":
            break
    return seen


def test_command_that_ends_makes_the_pod_succeed_and_keeps_its_cpus_until_removed(tmp_path, h):
    with h.make_sim(tmp_path, cpus=16) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        api.create_namespaced_pod("default", body(h, "short", "echo hi; sleep 0.3; exit 0", cpu="2"))
        phase, cs = h.eventually(lambda: (s := state(api, "short"))[0] == "Succeeded" and s)
        assert cs.state.terminated.exit_code == 0 and cs.state.terminated.reason == "Completed"
        assert cs.ready is False
        # the scheduler counts it no more, but the plugin still holds its 2 CPUs (no RemoveContainer yet)
        api.create_namespaced_pod("default", h.pod_body("big", cpu="15"))
        waiting = h.eventually(lambda: (s := state(api, "big")[1]) and s.state.waiting
                               and s.state.waiting.reason == "CreateContainerError" and s.state.waiting)
        assert "insufficient free CPUs: need 15, have 14" in waiting.message
        api.delete_namespaced_pod("short", "default")
        h.eventually(lambda: state(api, "big")[0] == "Running", timeout=10)


def test_nonzero_exit_fails_the_pod(api, h):
    api.create_namespaced_pod("default", body(h, "bad-exit", "exit 3", cpu=None))
    phase, cs = h.eventually(lambda: (s := state(api, "bad-exit"))[0] == "Failed" and s)
    assert cs.state.terminated.exit_code == 3 and cs.state.terminated.reason == "Error"


def test_true_under_restart_always_is_restarted(api, h):
    api.create_namespaced_pod("default", body(h, "loop", None, cpu=None, policy="Always", command=["true"]))
    cs = h.eventually(lambda: (s := state(api, "loop")[1]) and s.restart_count >= 2 and s)
    assert cs.last_state.terminated.exit_code == 0
    assert state(api, "loop")[0] == "Running"


def test_exec_into_completed_pod_is_refused(api, h):
    from kubernetes.stream import stream
    api.create_namespaced_pod("default", body(h, "done", None, cpu=None, command=["true"]))
    h.eventually(lambda: state(api, "done")[0] == "Succeeded")
    with pytest.raises(Exception, match="completed pod"):
        stream(api.connect_get_namespaced_pod_exec, "done", "default", command=["cat", "/proc/1/status"],
               stdout=True, stderr=True, stdin=False, tty=False)


@pytest.fixture
def graceful(tmp_path, h):
    """Containers ignoring SIGTERM wait for the grace period, as on a real node."""
    lat = profile("fast").with_overrides({"container_stop": float("inf")})
    with h.make_sim(tmp_path, cpus=16, latencies=lat) as sim:
        yield sim, client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def test_sigterm_trap_stops_at_once_and_sleep_waits_for_the_grace_period(graceful, h):
    sim, api = graceful
    api.create_namespaced_pod("default", body(h, "trapper", "trap 'exit 0' TERM; sleep 3600 & wait", grace=30))
    api.create_namespaced_pod("default", body(h, "sleeper", None, grace=2, command=["sleep", "3600"]))
    h.wait_running(api, "trapper")
    rv = h.wait_running(api, "sleeper").metadata.resource_version
    start = time.monotonic()
    api.delete_namespaced_pod("trapper", "default")
    h.eventually(lambda: gone(api, "trapper"), timeout=5)
    assert time.monotonic() - start < 2, "a SIGTERM-honouring container stops at once"
    start = time.monotonic()
    api.delete_namespaced_pod("sleeper", "default")
    states = last_seen_states(api, "sleeper", rv)
    waited = time.monotonic() - start
    assert 1.8 <= waited < 5, f"sleep as PID 1 ignores SIGTERM and is killed at the 2 s grace ({waited:.2f} s)"
    terminated = [s.terminated for t, s in states if s and s.terminated]
    assert terminated and terminated[-1].exit_code == 137


def test_foreground_sleep_under_trap_is_killed_at_grace(graceful, h):
    """The shell runs its trap only between commands: a foreground sleep delays it."""
    sim, api = graceful
    api.create_namespaced_pod("default", body(h, "fg", "trap 'exit 0' TERM; sleep 3600", grace=1))
    rv = h.wait_running(api, "fg").metadata.resource_version
    api.delete_namespaced_pod("fg", "default")
    states = last_seen_states(api, "fg", rv)
    assert [s.terminated.exit_code for t, s in states if s and s.terminated][-1] == 137


def test_force_delete_removes_the_object_at_once_and_the_kubelet_kills_later(graceful, h):
    if not os.path.exists(KUBECTL):
        pytest.skip(f"kubectl not found at {KUBECTL}")
    sim, api = graceful
    for i in range(3):
        api.create_namespaced_pod("default", body(h, f"stress-race-{i}", None, cpu="1", command=["sleep", "3600"]))
    for i in range(3):
        h.wait_running(api, f"stress-race-{i}")
    def log() -> str:
        return sim.plugin_log_path.read_text()

    env = {**os.environ, "KUBECONFIG": str(sim.kubeconfig_path)}
    start = time.monotonic()
    result = subprocess.run([KUBECTL, "delete", "pod", "stress-race-0", "stress-race-1", "stress-race-2",
                             "--grace-period=0", "--force"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Immediate deletion does not wait for confirmation" in result.stderr
    assert all(gone(api, f"stress-race-{i}") for i in range(3)), "the API objects go at once"
    assert "Removing container weka-container from pod default/stress-race-0" not in log()
    # the kubelet still gives them SIGTERM and its 2 s minimum before killing and removing them
    h.eventually(lambda: all(f"from pod default/stress-race-{i}" in log() for i in range(3)), timeout=10)
    assert time.monotonic() - start >= 1.8


def test_a_container_created_after_its_pod_was_deleted_is_removed_too(tmp_path, h):
    """A CreateContainer still in flight when the pod is deleted completes in the runtime after
    kubelet stopped recording the pod's containers; kubelet (its container GC lists the runtime's
    containers by pod) still kills and removes it, so nothing of the pod stays on the node."""
    lat = profile("fast").with_overrides({"plugin_request_timeout": 10.0, "image_pull": 0.5})
    with h.make_sim(tmp_path, cpus=8, latencies=lat) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        host = sim.cluster.nodes[sim.node_name]
        uid = api.create_namespaced_pod("default", h.pod_body("late-create", cpu="1")).metadata.uid
        h.eventually(lambda: "Pod sandbox starting: default/late-create" in sim.plugin_log_path.read_text())
        sim.call(host.stall_plugin, 2.0)  # the create (after the image pull) waits for the plugin
        h.eventually(lambda: any(uid in name for name in list(host.runtime.names)), timeout=5)  # in flight
        api.delete_namespaced_pod("late-create", "default", grace_period_seconds=0)
        h.eventually(lambda: gone(api, "late-create"), timeout=10)
        # the reserved CRI name outlives the in-flight create: it goes only with the container
        h.eventually(lambda: not any(uid in name for name in list(host.runtime.names))
                     and not host.runtime.containers_of_pod(uid), timeout=10)
        assert "Removing container weka-container from pod default/late-create" in sim.plugin_log_path.read_text()


def _phases_seen_with_an_ended_container(api, name: str, rv: str, timeout: float = 15.0) -> list[str]:
    """The pod's phase in every watch event (from its creation, ``rv``) whose container has
    ended, until a final phase."""
    seen = []
    for ev in watch.Watch().stream(api.list_namespaced_pod, "default", field_selector=f"metadata.name={name}",
                                   resource_version=rv, timeout_seconds=int(timeout)):
        pod = ev["object"]
        cs = (pod.status.container_statuses or [None])[0]
        if cs is not None and cs.state.terminated is not None:
            seen.append(pod.status.phase)
        if pod.status.phase in ("Succeeded", "Failed"):
            break
    return seen


@pytest.mark.parametrize("script, final", [("exit 0", "Succeeded"), ("exit 3", "Failed")])
def test_a_watcher_never_sees_an_ended_container_under_a_running_phase(tmp_path, h, script, final):
    """kubelet writes the container's end and the phase it implies in one status update."""
    with h.make_sim(tmp_path, cpus=16) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        created = api.create_namespaced_pod("default", body(h, "ends", f"sleep 0.2; {script}", cpu="1"))
        assert _phases_seen_with_an_ended_container(api, "ends", created.metadata.resource_version) == [final]


def test_a_container_runc_cannot_start_is_seen_ended_only_with_the_failed_phase(tmp_path, h):
    """The StartError of a pod that never restarts (annotation-not-validated admits CPU 999)."""
    with h.make_sim(tmp_path, cpus=16, plugin_model="annotation-not-validated") as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        pod = h.pod_body("offline", cpu="100m", annotations={"weka.io/cores-ids": "999"})
        pod["spec"]["restartPolicy"] = "Never"
        rv = api.create_namespaced_pod("default", pod).metadata.resource_version
        assert _phases_seen_with_an_ended_container(api, "offline", rv) == ["Failed"]
