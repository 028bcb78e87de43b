"""Pod lifecycle, selectors, watch, exec and node accounting through the real kubernetes client."""
from __future__ import annotations

import threading

import pytest
from kubernetes import watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream

from nrisim.node.procfs import parse_cpu_list


def test_node_reports_capacity_allocatable_and_hostname(api, sim):
    node = api.read_node(sim.node_name)
    assert node.status.capacity["cpu"] == "64"
    assert node.status.allocatable["cpu"] == "64"
    assert node.metadata.labels["kubernetes.io/hostname"] == sim.node_name
    assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
    assert [n.metadata.name for n in api.list_node().items] == [sim.node_name]


def test_reserved_cpu_lowers_allocatable(tmp_path, h):
    with h.make_sim(tmp_path, reserved_cpu="2", cpus=16) as s:
        from kubernetes import client, config
        api = client.CoreV1Api(config.new_client_from_config(str(s.kubeconfig_path)))
        node = api.read_node(s.node_name)
        assert (node.status.capacity["cpu"], node.status.allocatable["cpu"]) == ("16", "14")


def test_integer_pod_runs_with_exclusive_cpus_and_container_id(api, h):
    api.create_namespaced_pod("default", h.pod_body("int-a", cpu="4"))
    pod = h.wait_running(api, "int-a")
    status = pod.status.container_statuses[0]
    assert status.ready and status.state.running is not None
    assert status.container_id.startswith("containerd://") and len(status.container_id) == 13 + 64
    assert pod.status.qos_class == "Guaranteed"
    assert any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)
    assert len(parse_cpu_list(h.exec_cpus(api, "int-a"))) == 4


def test_shared_pod_sees_all_cpus_and_annotated_pod_its_annotation(api, h):
    api.create_namespaced_pod("default", h.pod_body("ann-a", cpu="3", annotations={"weka.io/cores-ids": "5-7"}))
    api.create_namespaced_pod("default", h.pod_body("shr-a", cpu=None))
    h.wait_running(api, "ann-a")
    h.wait_running(api, "shr-a")
    assert h.exec_cpus(api, "ann-a") == "5-7"
    assert 5 not in parse_cpu_list(h.exec_cpus(api, "shr-a"))


def test_label_and_field_selectors(api, h):
    for name in ("web-1", "web-2", "db-1"):
        api.create_namespaced_pod("default", h.pod_body(name, cpu="1"))
    h.wait_running(api, "db-1")

    def names(**kw):
        return sorted(p.metadata.name for p in api.list_namespaced_pod("default", **kw).items)

    assert names(label_selector="tier=web") == ["web-1", "web-2"]
    assert names(label_selector="tier!=web") == ["db-1"]
    assert names(label_selector="tier in (db,nothing)") == ["db-1"]
    assert names(label_selector="tier notin (db),app=t") == ["web-1", "web-2"]
    assert names(label_selector="!tier") == []
    assert names(field_selector="metadata.name=web-2") == ["web-2"]
    assert names(field_selector="status.phase=Running,metadata.name!=web-1") == ["db-1", "web-2"]
    all_pods = api.list_pod_for_all_namespaces(field_selector="spec.nodeName=sim-node-1").items
    assert {"kube-system"} <= {p.metadata.namespace for p in all_pods}
    with pytest.raises(ApiException) as err:
        api.list_namespaced_pod("default", field_selector="spec.bogus=1")
    assert err.value.status == 400


def test_watch_sees_added_modified_deleted_in_order(api, h):
    start_rv = api.list_namespaced_pod("default").metadata.resource_version
    seen: list[tuple[str, str]] = []
    done = threading.Event()

    def consume():
        w = watch.Watch()
        for ev in w.stream(api.list_namespaced_pod, "default", resource_version=start_rv, timeout_seconds=10):
            seen.append((ev["type"], ev["object"].status.phase))
            if ev["type"] == "DELETED":
                w.stop()
        done.set()

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    api.create_namespaced_pod("default", h.pod_body("watched", cpu="1"))
    h.wait_running(api, "watched")
    api.delete_namespaced_pod("watched", "default", grace_period_seconds=1)
    assert done.wait(10), seen
    types = [t for t, _ in seen]
    assert types[0] == "ADDED" and types[-1] == "DELETED" and "MODIFIED" in types
    assert ("MODIFIED", "Running") in seen


def test_watch_timeout_ends_stream(api):
    events = list(watch.Watch().stream(api.list_namespaced_pod, "default",
                                       resource_version=api.list_namespaced_pod("default").metadata.resource_version,
                                       timeout_seconds=1))
    assert events == []


def test_exec_outputs_and_exit_codes(api, h):
    api.create_namespaced_pod("default", h.pod_body("ex", cpu="2"))
    h.wait_running(api, "ex")
    cpus = h.exec_cpus(api, "ex")
    resp = stream(api.connect_get_namespaced_pod_exec, "ex", "default",
                  command=["cat", "/sys/fs/cgroup/cpuset.cpus.effective"], stdout=True, stderr=True,
                  stdin=False, tty=False)
    assert resp.strip() == cpus
    resp = stream(api.connect_get_namespaced_pod_exec, "ex", "default", command=["no-such-tool"],
                  stdout=True, stderr=True, stdin=False, tty=False, _preload_content=False)
    resp.run_forever(timeout=5)
    assert resp.returncode == 127
    assert "no-such-tool" in resp.read_stderr()
    resp = stream(api.connect_get_namespaced_pod_exec, "ex", "default",
                  command=["sh", "-c", "cat /proc/self/status | grep Mems_allowed_list"],
                  stdout=True, stderr=True, stdin=False, tty=False, _preload_content=False)
    resp.run_forever(timeout=5)
    assert resp.returncode == 0 and resp.read_stdout().strip() == "Mems_allowed_list:\t0"


def test_exec_into_a_container_that_does_not_run_is_an_error(api, h):
    api.create_namespaced_pod("default", h.pod_body("bad", cpu="1", annotations={"weka.io/cores-ids": "999"}))
    h.eventually(lambda: api.read_namespaced_pod("bad", "default").status.container_statuses
                 and api.read_namespaced_pod("bad", "default").status.container_statuses[0].state.waiting
                 and api.read_namespaced_pod("bad", "default").status.container_statuses[0].state.waiting.reason
                 == "CreateContainerError")
    with pytest.raises(Exception):
        stream(api.connect_get_namespaced_pod_exec, "bad", "default", command=["cat", "/proc/1/status"],
               stdout=True, stderr=True, stdin=False, tty=False)


def test_delete_with_grace_sets_deletion_timestamp_then_disappears(tmp_path, h):
    from kubernetes import client, config
    from nrisim.latency import profile
    with h.make_sim(tmp_path, latencies=profile("fast").with_overrides({"container_stop": 60.0})) as s:
        api = client.CoreV1Api(config.new_client_from_config(str(s.kubeconfig_path)))
        api.create_namespaced_pod("default", h.pod_body("slow", cpu="1"))
        h.wait_running(api, "slow")
        api.delete_namespaced_pod("slow", "default", grace_period_seconds=1)
        pod = api.read_namespaced_pod("slow", "default")
        assert pod.metadata.deletion_timestamp is not None
        assert pod.metadata.deletion_grace_period_seconds == 1

        def gone():
            try:
                api.read_namespaced_pod("slow", "default")
                return False
            except ApiException as err:
                return err.status == 404
        h.eventually(gone, timeout=5)


def test_namespace_delete_terminates_then_removes_pods(api, h):
    api.create_namespace({"metadata": {"name": "scratch"}})
    api.create_namespaced_pod("scratch", h.pod_body("p1", cpu="1"))
    h.wait_running(api, "p1", "scratch")
    ns = api.delete_namespace("scratch")
    assert ns.status.phase == "Terminating" if hasattr(ns, "status") else True

    def gone():
        try:
            api.read_namespace("scratch")
            return False
        except ApiException as err:
            return err.status == 404
    h.eventually(gone)
    assert api.list_namespaced_pod("scratch").items == []


def test_plugin_pod_is_running_in_kube_system_with_logs(api):
    pods = api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items
    assert len(pods) == 1
    pod = pods[0]
    assert pod.metadata.name.startswith("weka-nri-cpuset-") and len(pod.metadata.name) == len("weka-nri-cpuset-") + 5
    assert pod.status.phase == "Running"
    assert pod.spec.containers[0].resources.requests == {"cpu": "100m", "memory": "64Mi"}
    logs = api.read_namespaced_pod_log(pod.metadata.name, "kube-system")
    assert "weka-cpuset plugin configured (runtime: containerd" in logs
    assert not logs.startswith("[")
    stamped = api.read_namespaced_pod_log(pod.metadata.name, "kube-system", timestamps=True, tail_lines=2)
    lines = stamped.splitlines()
    assert len(lines) == 2 and lines[0][:4].isdigit() and "Z " in lines[0]
