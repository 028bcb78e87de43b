"""DaemonSet and several-node keywords against a 3-node simulated cluster (head model, 16 CPUs
each): bodies, readiness on every node, pods by node, deletion with the release on each node's
plugin log, rollout restart, node labels undone at the end, and the plugin log of each node."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kubernetes import client, config

from CpusetLibrary.simlauncher import start_simulator
from library_caller import Library, start


SECONDS = timedelta(seconds=15)
NODES = ["sim-node-1", "sim-node-2", "sim-node-3"]


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    library = start(tmp_path_factory, sim_cpus=16, sim_nodes=3)
    try:
        yield library
    finally:
        library("Disconnect From Cluster")


@pytest.fixture
def lib(three):
    three("Create Test Namespace", "ds")
    try:
        yield three
    finally:
        three("Delete Test Namespace", grace_period=0)


def _node_labels(lib, node: str) -> dict:
    return lib.ctx.cluster.core.read_node(node).metadata.labels


def test_the_nodes_of_the_run_default_to_every_simulated_node_target_first(lib):
    assert lib("Nodes Of The Run", "") == NODES
    assert lib("Nodes Of The Run", "sim-node-3, sim-node-1") == ["sim-node-1", "sim-node-3"]
    with pytest.raises(ValueError, match="RUN_NODES: node 'nope' does not exist; nodes: sim-node-1"):
        lib("Nodes Of The Run", "sim-node-2 nope")


def test_a_labelled_daemonset_runs_on_the_labelled_nodes_only_and_is_released(lib):
    label = f"nri-cpuset-acceptance/test={lib.ctx.namespace}"
    lib("Label Nodes", label, "sim-node-1", "sim-node-2")
    try:
        pod = lib("Pod Body", "int", cpu="2", memory="64Mi")
        body = lib("Daemonset Body", "int-ds", pod, node_selector=label, grace_period=0)
        assert "nodeSelector" in body["spec"]["template"]["spec"]
        assert body["spec"]["template"]["spec"]["nodeSelector"] == {"nri-cpuset-acceptance/test": lib.ctx.namespace}
        lib("Create Daemonsets Together", body)
        ready = lib("Wait Until Daemonsets Are Ready", "int-ds", nodes=["sim-node-1", "sim-node-2"],
                    timeout=SECONDS)
        by_node = lib("Pods Of Daemonset By Node", "int-ds")
        assert by_node == ready["int-ds"] and sorted(by_node) == ["sim-node-1", "sim-node-2"]
        for pod_name in by_node.values():
            assert len(lib("Get Pod Cpus", pod_name)) == 2
        with pytest.raises(AssertionError, match="runs on 2 nodes, expected 3"):
            lib("Wait Until Daemonsets Are Ready", "int-ds", nodes=NODES, timeout=SECONDS)
        lib("Mark Plugin Logs Of Nodes", "before-delete", *NODES)
        lib("Delete Daemonsets And Wait Released", "int-ds", timeout=SECONDS)
        ns = lib.ctx.namespace
        for node, pod_name in by_node.items():
            assert any(f"from pod {ns}/{pod_name}" in line
                       for line in lib("Plugin Log Of Node", node, since="before-delete"))
        assert not any(ns in line for line in lib("Plugin Log Of Node", "sim-node-3", since="before-delete"))
    finally:
        lib("Remove Label From Nodes", label, "sim-node-1", "sim-node-2")
    assert "nri-cpuset-acceptance/test" not in _node_labels(lib, "sim-node-1")
    assert not lib.ctx.cleanups


def test_a_label_left_by_a_run_is_removed_at_shutdown(tmp_path):
    """The run's labels are undone when the library shuts down (a run that never reached its
    suite teardown); the cluster here outlives the library, so the result can be checked."""
    sim = start_simulator(tmp_path / "sim", cpus=16, nodes=2)
    try:
        library = Library()
        library("Connect To Cluster", kubeconfig=sim.kubeconfig, target_node="sim-node-1")
        library("Label Nodes", "nri-cpuset-acceptance/left=yes", "sim-node-2")
        assert _node_labels(library, "sim-node-2")["nri-cpuset-acceptance/left"] == "yes"
        assert library.ctx.shutdown() == []
        core = client.CoreV1Api(config.new_client_from_config(config_file=sim.kubeconfig))
        assert "nri-cpuset-acceptance/left" not in core.read_node("sim-node-2").metadata.labels
    finally:
        sim.stop()


def test_a_rollout_restart_replaces_every_pod_and_the_plugin_resynchronizes(lib):
    pod = lib("Pod Body", "int", cpu="1", memory="64Mi")
    lib("Create Daemonsets Together", lib("Daemonset Body", "r-ds", pod, grace_period=0))
    before = lib("Wait Until Daemonsets Are Ready", "r-ds", nodes=NODES, timeout=SECONDS)["r-ds"]
    lib("Rollout Restart Daemonset", "r-ds")
    after = lib("Wait Until Daemonsets Are Ready", "r-ds", nodes=NODES, timeout=SECONDS)["r-ds"]
    assert sorted(after) == NODES and not set(after.values()) & set(before.values())
    # the plugin's own DaemonSet: new plugin pods, each node's plugin synchronizes again
    lib("Mark Plugin Logs Of Nodes", "before-restart", *NODES)
    plugin_before = lib("Pods Of Daemonset By Node", "weka-nri-cpuset", namespace="kube-system")
    lib("Rollout Restart Daemonset", "weka-nri-cpuset", namespace="kube-system")
    plugin_after = lib("Wait Until Daemonsets Are Ready", "weka-nri-cpuset", nodes=NODES, timeout=SECONDS,
                       namespace="kube-system")["weka-nri-cpuset"]
    assert not set(plugin_after.values()) & set(plugin_before.values())
    lib("Wait Until Plugins Have Synchronized", "before-restart", *NODES, pods=list(after.values()),
        timeout=SECONDS)


def test_bad_input_is_named(lib):
    with pytest.raises(ValueError, match="node_selector 'x' is not key=value"):
        lib("Daemonset Body", "d", lib("Pod Body", "p"), node_selector="x")
    with pytest.raises(ValueError, match="pod must be a pod body"):
        lib("Daemonset Body", "d", {"metadata": {}})
    with pytest.raises(ValueError, match="label 'novalue' is not key=value"):
        lib("Label Nodes", "novalue", "sim-node-1")
    with pytest.raises(ValueError, match="no plugin log mark 'nope' for node 'sim-node-2'"):
        lib("Plugin Log Of Node", "sim-node-2", since="nope")
