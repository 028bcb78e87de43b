"""Scheduler, kubelet and runtime behaviour seen through the API: refusals, events, release
after the removal lag, runtime restart and plugin pod restart."""
from __future__ import annotations

import re
import subprocess

from kubernetes import client, config
from kubernetes.client.rest import ApiException

from nrisim.latency import profile
from nrisim.node.procfs import parse_cpu_list

WRAPPED_999 = ("failed to create containerd container: failed to get NRI adjustment for container: "
               "rpc error: code = Unknown desc = invalid CPU list in annotation '999': "
               "CPU(s) not online: [999] (valid range: 0-63)")


def _events(api, name, reason):
    return [e for e in api.list_namespaced_event(
        "default", field_selector=f"involvedObject.name={name},reason={reason}").items]


def test_scheduler_refuses_with_insufficient_cpu_and_retries_when_capacity_frees(api, h):
    api.create_namespaced_pod("default", h.pod_body("big-1", cpu="40"))
    h.wait_running(api, "big-1")
    api.create_namespaced_pod("default", h.pod_body("big-2", cpu="30"))
    ev = h.eventually(lambda: _events(api, "big-2", "FailedScheduling"))
    assert ev[0].message == "0/1 nodes are available: 1 Insufficient cpu."
    assert ev[0].type == "Warning"
    pod = api.read_namespaced_pod("big-2", "default")
    cond = next(c for c in pod.status.conditions if c.type == "PodScheduled")
    assert (pod.status.phase, cond.status, cond.reason) == ("Pending", "False", "Unschedulable")
    assert len(_events(api, "big-2", "FailedScheduling")) == 1  # no event spam
    api.delete_namespaced_pod("big-1", "default", grace_period_seconds=0)
    h.wait_running(api, "big-2")


def test_node_selector_mismatch_is_reported(api, h):
    api.create_namespaced_pod("default", h.pod_body("lost", cpu="1",
                                                    node_selector={"kubernetes.io/hostname": "elsewhere"}))
    ev = h.eventually(lambda: _events(api, "lost", "FailedScheduling"))
    assert ev[0].message == "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."


def test_invalid_annotation_is_create_container_error_with_exact_text_and_retried(api, h):
    api.create_namespaced_pod("default", h.pod_body("ann-bad", cpu="1", annotations={"weka.io/cores-ids": "999"}))
    events = h.eventually(lambda: len(_events(api, "ann-bad", "Failed")) >= 2 and _events(api, "ann-bad", "Failed"))
    assert all(e.message == f"Error: {WRAPPED_999}" and e.type == "Warning" for e in events)
    waiting = api.read_namespaced_pod("ann-bad", "default").status.container_statuses[0].state.waiting
    assert (waiting.reason, waiting.message) == ("CreateContainerError", WRAPPED_999)


def test_integer_refusal_resolves_by_itself_once_cpus_are_released(tmp_path, h):
    with h.make_sim(tmp_path, cpus=8) as s:
        api = client.CoreV1Api(config.new_client_from_config(str(s.kubeconfig_path)))
        api.create_namespaced_pod("default", h.pod_body("ann-1", cpu="1", annotations={"weka.io/cores-ids": "0-5"}))
        h.wait_running(api, "ann-1")
        api.create_namespaced_pod("default", h.pod_body("int-1", cpu="4"))
        ev = h.eventually(lambda: _events(api, "int-1", "Failed"))
        assert "insufficient free CPUs: need 4, have 2" in ev[0].message
        api.delete_namespaced_pod("ann-1", "default", grace_period_seconds=0)
        h.wait_running(api, "int-1")
        assert len(parse_cpu_list(h.exec_cpus(api, "int-1"))) == 4


def test_exited_containers_keep_cpus_until_removal_lag(tmp_path, h):
    lat = profile("fast").with_overrides({"removal_lag": 1.5})
    with h.make_sim(tmp_path, latencies=lat) as s:
        api = client.CoreV1Api(config.new_client_from_config(str(s.kubeconfig_path)))
        api.create_namespaced_pod("default", h.pod_body("ann-1", cpu="2", annotations={"weka.io/cores-ids": "4-5"}))
        h.wait_running(api, "ann-1")
        api.delete_namespaced_pod("ann-1", "default", grace_period_seconds=1)
        h.eventually(lambda: not api.list_namespaced_pod("default").items)
        log = s.plugin_log_path.read_text()
        assert "Removing container weka-container from pod default/ann-1" not in log
        h.eventually(lambda: "Removing container weka-container from pod default/ann-1"
                     in s.plugin_log_path.read_text(), timeout=5)


def test_log_file_has_wrapper_format(sim):
    lines = sim.plugin_log_path.read_text().splitlines()
    assert all(re.match(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] ", line) for line in lines)
    assert re.match(r"^\[.*\] Starting Weka NRI Plugin \(PID: \d+\)$", lines[0])
    assert lines[1].endswith("] Command: /usr/local/bin/weka-cpuset ")
    assert any("Registering plugin 99-weka-cpuset..." in line for line in lines)


def test_restart_command_resynchronizes_and_keeps_cpusets(api, sim, h):
    api.create_namespaced_pod("default", h.pod_body("ann-1", cpu="2", annotations={"weka.io/cores-ids": "8-9"}))
    api.create_namespaced_pod("default", h.pod_body("int-1", cpu="4"))
    h.wait_running(api, "ann-1")
    h.wait_running(api, "int-1")
    before = {n: h.exec_cpus(api, n) for n in ("ann-1", "int-1")}
    result = subprocess.run([sim.restart_command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    log = sim.plugin_log_path.read_text()
    assert log.count("Starting Weka NRI Plugin") == 2
    assert "Synchronizing state with" in log.split("Starting Weka NRI Plugin")[-1]
    assert {n: h.exec_cpus(api, n) for n in ("ann-1", "int-1")} == before
    plugin = api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items[0]
    assert plugin.status.container_statuses[0].restart_count == 1


def test_deleting_plugin_pod_brings_a_new_pod_that_synchronizes(api, sim, h):
    api.create_namespaced_pod("default", h.pod_body("ann-1", cpu="2", annotations={"weka.io/cores-ids": "8-9"}))
    h.wait_running(api, "ann-1")
    old = api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items[0].metadata.name
    api.delete_namespaced_pod(old, "kube-system")

    def new_running():
        pods = api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items
        return [p for p in pods if p.metadata.name != old and p.status.phase == "Running"]
    new = h.eventually(new_running)[0].metadata.name
    logs = api.read_namespaced_pod_log(new, "kube-system")
    assert "Synchronizing state with" in logs and "weka-cpuset plugin configured" in logs
    assert h.exec_cpus(api, "ann-1") == "8-9"
    try:
        api.read_namespaced_pod(old, "kube-system")
        raise AssertionError("old plugin pod still present")
    except ApiException as err:
        assert err.status == 404
