"""NUMA nodes, offline CPUs and the host's sysfs as containers see them, through the real
kubernetes client: Mems_allowed_list per pod kind, sibling and node CPU lists, capacity, and
runc's refusal of a cpuset naming a CPU that is not online."""
from __future__ import annotations

import pytest
from kubernetes import client, config
from kubernetes.stream import stream

from nrisim.procfs import parse_cpu_list

CORES = "weka.io/cores-ids"


def _api(sim) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def _exec(api, name: str, command: list[str]) -> str:
    return stream(api.connect_get_namespaced_pod_exec, name, "default", command=command,
                  stdout=True, stderr=True, stdin=False, tty=False)


def _status_field(api, name: str, field: str, path: str = "/proc/1/status") -> str:
    text = _exec(api, name, ["cat", path])
    return next(line.split("\t", 1)[1] for line in text.splitlines() if line.startswith(field + ":"))


@pytest.fixture
def numa_sim(tmp_path, h):
    """16 CPUs, 8 cores x 2 threads (siblings i, i+8), 2 NUMA nodes: cores 0-3 node 0."""
    with h.make_sim(tmp_path, cpus=16, numa_nodes=2) as sim:
        yield sim


def test_mems_allowed_by_pod_kind_on_two_numa_nodes(numa_sim, h):
    api = _api(numa_sim)
    api.create_namespaced_pod("default", h.pod_body("ann-n0", cpu="100m", annotations={CORES: "0,1"}))
    api.create_namespaced_pod("default", h.pod_body("ann-n1", cpu="100m", annotations={CORES: "5"}))
    api.create_namespaced_pod("default", h.pod_body("ann-both", cpu="100m", annotations={CORES: "2,12"}))
    api.create_namespaced_pod("default", h.pod_body("int-2", cpu="2"))
    api.create_namespaced_pod("default", h.pod_body("shared", cpu="500m"))
    expected = {"ann-n0": {0}, "ann-n1": {1}, "ann-both": {0, 1}, "int-2": {0, 1}, "shared": {0, 1}}
    for name, mems in expected.items():
        h.wait_running(api, name)
        for path in ("/proc/1/status", "/proc/self/status"):
            assert parse_cpu_list(_status_field(api, name, "Mems_allowed_list", path)) == mems, (name, path)
    mask = _status_field(api, "ann-n1", "Mems_allowed")
    assert mask.replace(",", "").lstrip("0") == "2"  # bit 1 only, kernel %*pb groups


def test_annotated_container_admitted_by_reallocation_keeps_all_memory_nodes(numa_sim, h):
    api = _api(numa_sim)
    api.create_namespaced_pod("default", h.pod_body("int-2", cpu="2"))
    h.wait_running(api, "int-2")
    first = min(parse_cpu_list(h.exec_cpus(api, "int-2")))
    api.create_namespaced_pod("default", h.pod_body("ann", cpu="100m", annotations={CORES: str(first)}))
    h.wait_running(api, "ann")
    assert parse_cpu_list(h.exec_cpus(api, "ann")) == {first}
    # upstream sets no cpuset.mems on the reallocation path: the container keeps every node
    assert parse_cpu_list(_status_field(api, "ann", "Mems_allowed_list")) == {0, 1}


def test_sysfs_topology_files_inside_a_container(tmp_path, h):
    with h.make_sim(tmp_path, cpus=16, numa_nodes=2, offline_cpus="9,14") as sim:
        api = _api(sim)
        api.create_namespaced_pod("default", h.pod_body("reader", cpu="500m"))
        h.wait_running(api, "reader")
        cat = lambda path: _exec(api, "reader", ["cat", path]).strip()  # noqa: E731
        assert cat("/sys/devices/system/cpu/online") == "0-8,10-13,15"
        assert cat("/sys/devices/system/cpu/offline") == "9,14"
        assert cat("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list") == "0,8"
        assert cat("/sys/devices/system/cpu/cpu1/topology/thread_siblings_list") == "1"  # 9 offline
        assert "No such file" in cat("/sys/devices/system/cpu/cpu9/topology/thread_siblings_list")
        assert cat("/sys/devices/system/node/node0/cpulist") == "0-3,8,10-11"
        assert cat("/sys/devices/system/node/node1/cpulist") == "4-7,12-13,15"
        assert cat("/sys/devices/system/node/online") == "0-1"
        # an unpinned (shared) container runs on the online CPUs only
        assert parse_cpu_list(h.exec_cpus(api, "reader")) == set(range(16)) - {9, 14}


def test_offline_cpus_leave_capacity_and_plugin_topology(tmp_path, h):
    with h.make_sim(tmp_path, cpus=16, offline_cpus="5,7") as sim:
        api = _api(sim)
        node = api.read_node(sim.node_name)
        assert (node.status.capacity["cpu"], node.status.allocatable["cpu"]) == ("14", "14")
        api.create_namespaced_pod("default", h.pod_body("ann", cpu="100m", annotations={CORES: "5"}))
        message = h.eventually(lambda: (
            (s := api.read_namespaced_pod("ann", "default").status.container_statuses)
            and s[0].state.waiting and s[0].state.waiting.message))
        assert message.endswith("invalid CPU list in annotation '5': CPU(s) not online: [5] "
                                "(valid range: 0-4,6,8-15)")
        # 8 cores, siblings (i, i+8): cores 5 and 7 have one online thread (13, 15);
        # three whole-core integer pods and the odd remainder never touch an offline CPU
        for name in ("int-a", "int-b", "int-c"):
            api.create_namespaced_pod("default", h.pod_body(name, cpu="3"))
        granted = [parse_cpu_list(h.exec_cpus(api, h.wait_running(api, n).metadata.name))
                   for n in ("int-a", "int-b", "int-c")]
        assert all(len(g) == 3 and not g & {5, 7} for g in granted)
        assert not (granted[0] & granted[1] or granted[0] & granted[2] or granted[1] & granted[2])


def test_cpuset_naming_an_offline_cpu_fails_start_like_runc(tmp_path, h):
    with h.make_sim(tmp_path, cpus=16, offline_cpus="5,7", plugin_model="annotation-not-validated") as sim:
        api = _api(sim)
        api.create_namespaced_pod("default", h.pod_body("ann", cpu="100m", annotations={CORES: "4-5"}))
        pod = h.eventually(lambda: (p := api.read_namespaced_pod("ann", "default")).status.phase == "Failed" and p)
        term = pod.status.container_statuses[0].state.terminated
        assert (term.reason, term.exit_code) == ("StartError", 128)  # Guaranteed pod: no QoS tier
        assert term.message.startswith("failed to create containerd task: failed to create shim task: "
                                       "OCI runtime create failed: runc create failed: ")
        assert 'failed to write "4,5": write /sys/fs/cgroup/kubepods/pod' in term.message
        assert term.message.endswith("/cpuset.cpus: invalid argument: unknown")
        events = api.list_namespaced_event("default", field_selector="involvedObject.name=ann,reason=Failed")
        assert events.items[0].message == "Error: " + term.message


def test_bad_offline_cpus_option_names_it(tmp_path, h):
    with pytest.raises(ValueError, match="offline_cpus 'x' is not a CPU list"):
        h.make_sim(tmp_path, offline_cpus="x")
    with pytest.raises(ValueError, match=r"offline CPUs \[99\] are not CPUs of this node \(0-15\)"):
        h.make_sim(tmp_path, cpus=16, offline_cpus="99").start()


def test_live_update_naming_an_offline_cpu_is_refused_by_the_runtime(tmp_path):
    """``runc update`` of a running container's cpuset.cpus with an offline CPU fails: the
    runtime reports the container as failed and keeps its cpuset."""
    from nrisim.latency import profile
    from nrisim.plugin.head import HeadModel
    from nrisim.pluginlog import PluginLogSink
    from nrisim.runtime import SimContainer, SimRuntime
    from nrisim.topology import Topology

    from plugin_fakes import shared

    sink = PluginLogSink(tmp_path / "plugin.log")
    runtime = SimRuntime(Topology(8, 2, 1, frozenset({5})), HeadModel, sink, profile("fast"))
    info = shared()
    runtime.containers[info.container_id] = SimContainer(info, cpus=frozenset({1, 2}), state="running")
    assert runtime._apply(info.container_id, "4-5", "") is False
    assert runtime.effective_cpus(info.container_id) == {1, 2}
    assert runtime._apply(info.container_id, "3-4", "") is True
    assert runtime.effective_cpus(info.container_id) == {3, 4}
    sink.close()


def test_start_failure_with_restart_policy_always_is_retried(tmp_path, h):
    with h.make_sim(tmp_path, cpus=16, offline_cpus="5", plugin_model="annotation-not-validated") as sim:
        api = _api(sim)
        body = h.pod_body("ann", cpu="100m", annotations={CORES: "5"}, restartPolicy="Always")
        api.create_namespaced_pod("default", body)

        def status():
            statuses = api.read_namespaced_pod("ann", "default").status.container_statuses or []
            return statuses and statuses[0].state.waiting and statuses[0]

        st = h.eventually(lambda: (s := status()) and s.state.waiting.reason == "RunContainerError" and s)
        assert st.last_state.terminated.reason == "StartError"
        assert st.state.waiting.message == st.last_state.terminated.message
        assert "cpuset.cpus: invalid argument" in st.state.waiting.message
        h.eventually(lambda: (s := status()) and s.restart_count >= 1, timeout=15)
        pod = api.read_namespaced_pod("ann", "default")
        # kubelet counts a restarting container that terminated as running; never Ready
        assert pod.status.phase == "Running"
        assert next(c for c in pod.status.conditions if c.type == "Ready").status == "False"
