"""Bad input stops a run in suite setup, naming the input and what was expected, and leaves
nothing of ours behind (issue 3, "Bad input").

Where there is a cluster, it is a SimulatedCluster started in this process, so the test can
list its namespaces and pods through the API afterwards."""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from nrisim.config import SimConfig
from nrisim.server import SimulatedCluster
from robot_runner import simulator_dir

pytestmark = pytest.mark.suite

SUITES = ["suites/annotated_pod_state_corruption.robot", "suites/annotated_reallocation_race.robot"]


def stopped_in_suite_setup(run, *named: str) -> str:
    """Every test failed because the suite setup failed; the message names ``named``."""
    message = run.suite_message
    assert message.startswith("Suite setup failed:\n"), message
    assert run.statuses and all(
        status == "FAIL" and msg.startswith("Parent suite setup failed:") for status, msg in run.statuses.values()
    ), run.statuses
    for text in named:
        assert text in message, f"{text!r} not in {message!r}"
    assert run.rc == len(run.statuses)
    return message


@pytest.fixture
def sim(tmp_path):
    with SimulatedCluster(SimConfig(workdir=tmp_path / "sim")) as cluster:
        yield cluster


@pytest.fixture
def api(sim) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def cluster_objects(api: client.CoreV1Api) -> tuple[set[str], set[tuple[str, str]]]:
    namespaces = {ns.metadata.name for ns in api.list_namespace().items}
    pods = {(p.metadata.namespace, p.metadata.name) for p in api.list_pod_for_all_namespaces().items}
    return namespaces, pods


def closed_loopback_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_kubeconfig(path: Path, server: str, context: str = "test") -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": context, "context": {"cluster": "c", "user": "u"}}],
    }))
    return path


def create_busy_pod(api: client.CoreV1Api, name: str, cpus: int) -> None:
    """An integer pod (requests = limits, whole CPUs) in ``default``, waited for (bounded) to run."""
    resources = {"cpu": str(cpus), "memory": "64Mi"}
    api.create_namespaced_pod("default", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"containers": [{"name": "busy", "image": "busybox:latest", "command": ["sleep", "3600"],
                                 "resources": {"requests": resources, "limits": resources}}]},
    })
    deadline = time.monotonic() + 30
    while (phase := api.read_namespaced_pod(name, "default").status.phase) != "Running":
        assert time.monotonic() < deadline, f"busy pod {name} is {phase} after 30 s"
        time.sleep(0.05)


# ---- no cluster at all: the kubeconfig itself is wrong --------------------------------------

@pytest.mark.parametrize("suite", SUITES)
@pytest.mark.parametrize("case", ["missing", "directory", "not-yaml", "not-a-mapping", "no-contexts"])
def test_a_bad_kubeconfig_stops_the_run(robot_run, tmp_path, suite, case):
    path = tmp_path / "kubeconfig"
    expected = {
        "missing": "is not a readable file",
        "directory": "is not a readable file",
        "not-yaml": "cannot be read as YAML",
        "not-a-mapping": "is not a kubeconfig: it has no 'contexts'",
        "no-contexts": "is not a kubeconfig: it has no 'contexts'",
    }[case]
    if case == "directory":
        path.mkdir()
    elif case == "not-yaml":
        path.write_text("clusters: [ {name: c, server: \n  : : ]\n")
    elif case == "not-a-mapping":
        path.write_text("- just\n- a list\n")
    elif case == "no-contexts":
        path.write_text("apiVersion: v1\nkind: Config\nclusters: []\n")
    run = robot_run("-v", f"KUBECONFIG:{path}", "-v", "TARGET_NODE:node-1", suite=suite)
    stopped_in_suite_setup(run, f"KUBECONFIG '{path}'", expected)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode-000 file anyway")
def test_an_unreadable_kubeconfig_stops_the_run(robot_run, tmp_path):
    path = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:1")
    path.chmod(0)
    run = robot_run("-v", f"KUBECONFIG:{path}", "-v", "TARGET_NODE:node-1", suite=SUITES[0])
    stopped_in_suite_setup(run, f"KUBECONFIG '{path}'", "cannot be read")


@pytest.mark.parametrize("suite", SUITES)
def test_an_unreachable_api_server_stops_the_run(robot_run, tmp_path, suite):
    server = f"http://127.0.0.1:{closed_loopback_port()}"
    path = write_kubeconfig(tmp_path / "kubeconfig", server)
    run = robot_run("-v", f"KUBECONFIG:{path}", "-v", "TARGET_NODE:node-1",
                    "-v", "NODE_ACCESS:daemonset", suite=suite, timeout=120)
    stopped_in_suite_setup(run, f"API server {server}", f"KUBECONFIG '{path}'", "is unreachable")


def test_a_real_cluster_needs_a_target_node(robot_run, tmp_path):
    path = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:1")
    run = robot_run("-v", f"KUBECONFIG:{path}", suite=SUITES[0])
    stopped_in_suite_setup(run, "TARGET_NODE is empty", "name the node")


# ---- a cluster that answers: nothing of ours may be left on it ------------------------------

@pytest.mark.parametrize("suite", SUITES)
def test_an_unknown_target_node_stops_the_run_and_leaves_nothing(robot_run, tmp_path, sim, api, suite):
    before = cluster_objects(api)
    run = robot_run("-v", f"KUBECONFIG:{sim.kubeconfig_path}", "-v", "TARGET_NODE:no-such-node",
                    "-v", "NODE_ACCESS:daemonset", suite=suite)
    stopped_in_suite_setup(run, "TARGET_NODE 'no-such-node' does not exist", f"nodes: {sim.node_name}")
    assert cluster_objects(api) == before


def test_an_unknown_kube_context_stops_the_run_and_leaves_nothing(robot_run, tmp_path, sim, api):
    before = cluster_objects(api)
    run = robot_run("-v", f"KUBECONFIG:{sim.kubeconfig_path}", "-v", "KUBE_CONTEXT:elsewhere",
                    "-v", f"TARGET_NODE:{sim.node_name}", "-v", "NODE_ACCESS:daemonset", suite=SUITES[0])
    stopped_in_suite_setup(run, "KUBE_CONTEXT 'elsewhere' is not in KUBECONFIG")
    assert cluster_objects(api) == before


def test_a_node_too_busy_stops_the_run_and_leaves_nothing(robot_run, tmp_path, sim, api):
    create_busy_pod(api, "busy-0", 30)  # 58 of 64 CPUs, exclusively
    create_busy_pod(api, "busy-1", 28)
    before = cluster_objects(api)
    run = robot_run("-v", f"KUBECONFIG:{sim.kubeconfig_path}", "-v", f"TARGET_NODE:{sim.node_name}",
                    "-v", "NODE_ACCESS:daemonset", suite=SUITES[0])
    message = stopped_in_suite_setup(run, f"TARGET_NODE '{sim.node_name}'", "node too busy",
                                     "58 used exclusively by other pods", "even the smallest plan does not fit")
    assert "need 52 CPUs, but only 5 are usable" in message  # the figures: wanted vs. what is left
    assert cluster_objects(api) == before


def test_the_simulated_cluster_is_stopped_when_setup_fails(robot_run, tmp_path):
    """With no KUBECONFIG the library starts its own simulator; a bad TARGET_NODE must stop it."""
    run = robot_run("-v", "TARGET_NODE:no-such-node", suite=SUITES[1])
    stopped_in_suite_setup(run, "TARGET_NODE 'no-such-node' does not exist")
    info = json.loads((simulator_dir(tmp_path / "out") / "cluster.json").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(info["pid"], 0)
