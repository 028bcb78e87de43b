"""Several nodes (``--nodes N``): each its own kubelet, runtime, plugin process, log and restart."""
from __future__ import annotations

import subprocess

import pytest
from kubernetes import client, config

NODES = ["sim-node-1", "sim-node-2", "sim-node-3"]


@pytest.fixture
def sim3(tmp_path, h):
    with h.make_sim(tmp_path, nodes=3, cpus=16) as cluster:
        yield cluster


@pytest.fixture
def api3(sim3) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(sim3.kubeconfig_path)))


def test_three_nodes_each_ready_with_own_plugin_pod(sim3, api3, h):
    nodes = api3.list_node().items
    assert [n.metadata.name for n in nodes] == NODES
    assert all(next(c.status for c in n.status.conditions if c.type == "Ready") == "True" for n in nodes)
    assert [n.status.capacity["cpu"] for n in nodes] == ["16"] * 3
    # k3s: only the server node carries the control-plane role
    assert [("node-role.kubernetes.io/control-plane" in n.metadata.labels) for n in nodes] == [True, False, False]
    plugin_pods = h.eventually(lambda: [p for p in api3.list_namespaced_pod(
        "kube-system", label_selector="app=weka-nri-cpuset").items if p.status.phase == "Running"]
        if len(api3.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items) == 3 else [])
    assert sorted(p.spec.node_name for p in plugin_pods) == NODES


def test_info_lists_every_node_files(sim3):
    info = sim3.info()
    assert [n["name"] for n in info["nodes"]] == NODES
    for entry in info["nodes"]:
        assert entry["plugin_log"].endswith(f"nodes/{entry['name']}/weka-cpuset.log")
        assert entry["restart_command"].endswith(f"bin/restart-k3s-{entry['name']}")
    assert len({e["plugin_log"] for e in info["nodes"]}) == 3
    assert info["node"] == "sim-node-1" and info["plugin_log"] == info["nodes"][0]["plugin_log"]


def test_pod_runs_on_the_selected_node_and_only_that_plugin_sees_it(sim3, api3, h):
    body = h.pod_body("pinned", cpu="2", node_selector={"kubernetes.io/hostname": "sim-node-2"})
    api3.create_namespaced_pod("default", body)
    pod = h.wait_running(api3, "pinned")
    assert pod.spec.node_name == "sim-node-2"
    assert len(h.exec_cpus(api3, "pinned").split(",")) >= 1
    logs = {e["name"]: open(e["plugin_log"]).read() for e in sim3.info()["nodes"]}
    assert "Pod sandbox starting: default/pinned" in logs["sim-node-2"]
    assert "default/pinned" not in logs["sim-node-1"] and "default/pinned" not in logs["sim-node-3"]


def test_pods_without_selector_spread_over_the_nodes(sim3, api3, h):
    for i in range(3):
        api3.create_namespaced_pod("default", h.pod_body(f"spread-{i}", cpu="4"))
    nodes = {h.wait_running(api3, f"spread-{i}").spec.node_name for i in range(3)}
    assert nodes == set(NODES)


def test_restart_command_restarts_only_its_node(sim3, api3, h):
    info = {e["name"]: e for e in sim3.info()["nodes"]}

    def starts(node: str) -> int:
        return open(info[node]["plugin_log"]).read().count("Starting Weka NRI Plugin")

    before = {n: starts(n) for n in NODES}
    result = subprocess.run([info["sim-node-2"]["restart_command"]], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "sim-node-2" in result.stdout
    assert starts("sim-node-2") == before["sim-node-2"] + 1
    assert starts("sim-node-1") == before["sim-node-1"] and starts("sim-node-3") == before["sim-node-3"]


def test_unschedulable_message_counts_every_node(sim3, api3, h):
    api3.create_namespaced_pod("default", h.pod_body("huge", cpu="17"))
    ev = h.eventually(lambda: [e for e in api3.list_namespaced_event("default").items
                               if e.reason == "FailedScheduling" and e.involved_object.name == "huge"])
    assert ev[0].message == "0/3 nodes are available: 3 Insufficient cpu."


def test_bad_node_count_is_refused(tmp_path, h):
    with pytest.raises(ValueError, match="nodes must be 1..64, got 0"):
        h.make_sim(tmp_path, nodes=0)


def test_launcher_publishes_every_node(tmp_path):
    """What ``Connect To Cluster    sim_nodes=3`` starts: the library sees each node's files."""
    from CpusetLibrary.simlauncher import start_simulator
    sim = start_simulator(tmp_path / "launched", cpus=16, nodes=3)
    try:
        assert [n["name"] for n in sim.nodes] == NODES
        assert sim.node == "sim-node-1" and sim.plugin_log == sim.nodes[0]["plugin_log"]
        assert sim.node_files("sim-node-3")["restart_command"].endswith("restart-k3s-sim-node-3")
        with pytest.raises(ValueError, match="no node 'sim-node-9'"):
            sim.node_files("sim-node-9")
    finally:
        sim.stop()


def test_library_reaches_each_node_with_local_access(tmp_path, monkeypatch):
    """Connect To Cluster    sim_nodes=3    target_node=sim-node-2, then Connect To Plugin    local:
    the target node's log and restart command; ``node=`` picks another node's."""
    from CpusetLibrary import CpusetLibrary
    monkeypatch.chdir(tmp_path)  # the launcher writes under ./results outside a robot run
    lib = CpusetLibrary()
    try:
        lib.run_keyword("connect_to_cluster", [], {"sim_nodes": 3, "sim_cpus": 16, "target_node": "sim-node-2"})
        described = lib.run_keyword("connect_to_plugin", ["local"], {})
        assert described.endswith("nodes/sim-node-2/weka-cpuset.log")
        access = lib._context.node_access
        mark = access.mark()
        result = access.restart_plugin(30)
        assert result is not None
        assert any("Starting Weka NRI Plugin" in line for line in access.read_since(mark))
        other = lib.run_keyword("connect_to_plugin", ["local"], {"node": "sim-node-3"})
        assert other.endswith("nodes/sim-node-3/weka-cpuset.log")
        with pytest.raises(ValueError, match="no node 'sim-node-9'"):
            lib.run_keyword("connect_to_plugin", ["local"], {"node": "sim-node-9"})
    finally:
        lib.run_keyword("disconnect_from_cluster", [], {})
