"""All three backends against the simulated cluster (nrisim): its plugin log file, its restart
command (local and over SSH) and its plugin DaemonSet pod."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from kubernetes import client, config

from CpusetLibrary.nodeaccess.base import SYNC_DONE, NodeAccessError
from CpusetLibrary.nodeaccess.daemonset import DaemonSetNodeAccess
from CpusetLibrary.nodeaccess.local import LocalNodeAccess
from CpusetLibrary.nodeaccess.ssh import SshNodeAccess

nrisim_server = pytest.importorskip("nrisim.server")


@pytest.fixture(scope="module")
def sim():
    # world-readable workdir, so the SSH test user can read the log and run the restart script
    workdir = Path(tempfile.mkdtemp(prefix="nrisim-na-"))
    os.chmod(workdir, 0o755)
    cluster = nrisim_server.SimulatedCluster(nrisim_server.SimConfig(workdir=workdir)).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def core_v1(sim) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def wait_synced(access, timeout: float = 20) -> None:
    """The simulator starts its plugin asynchronously; restart once so the log has a sync line."""
    access.restart_plugin(timeout)


def test_local_backend_restarts_the_simulated_plugin(sim):
    node = LocalNodeAccess(str(sim.plugin_log_path), sim.restart_command, 30)
    result = node.restart_plugin(timeout=30)
    assert result.log_lines[-1].endswith(SYNC_DONE)
    assert any("Synchronizing state with" in line for line in result.log_lines)


def test_daemonset_backend_finds_reads_and_restarts_the_plugin_pod(sim, core_v1):
    node = DaemonSetNodeAccess(core_v1, sim.node_name, timeout=10)
    wait_synced(node)
    old = node._pod().metadata
    mark = node.mark()
    assert mark.source.startswith(f"pod kube-system/{old.name} uid={old.uid}")
    assert node.read_since(mark) == []
    result = node.restart_plugin(timeout=30)
    assert result.log_lines[-1].endswith(SYNC_DONE)
    new = node._pod().metadata
    assert new.uid != old.uid and new.name.startswith("weka-nri-cpuset-")
    # the old mark belongs to the deleted pod: the new pod is read from its start
    assert node.read_since(mark)[: len(result.log_lines)] == list(result.log_lines)


def test_daemonset_with_no_pod_on_the_node_names_namespace_label_and_node(sim, core_v1):
    node = DaemonSetNodeAccess(core_v1, "no-such-node", timeout=5)
    with pytest.raises(NodeAccessError, match=r"no plugin pod with label 'app=weka-nri-cpuset' in namespace "
                                              r"kube-system on node no-such-node"):
        node.mark()
    wrong_label = DaemonSetNodeAccess(core_v1, sim.node_name, label="app=nothing", timeout=5)
    with pytest.raises(NodeAccessError, match="no plugin pod with label 'app=nothing'"):
        wrong_label.restart_plugin(timeout=5)


def ssh_restart_command(sim) -> str:
    """The simulator's restart script when the SSH user can run it; otherwise the same HTTP call
    with the system python (the script's interpreter may sit under /root, unreadable to others)."""
    if os.access(sim.restart_command, os.X_OK) and not sim.restart_command.startswith("/root"):
        interpreter = Path(sim.restart_command).read_text().splitlines()[0][2:]
        if not interpreter.startswith("/root/"):
            return sim.restart_command
    url = sim.api_url + "/nrisim/v1/restart-runtime"
    return ("/usr/bin/python3 -c 'import urllib.request as u; "
            f"u.urlopen(u.Request(\"{url}\", data=b\"\", method=\"POST\"), timeout=60).read()'")


@pytest.mark.sshd
def test_ssh_backend_restarts_the_simulated_plugin(sim, sshd):
    if not Path("/usr/bin/python3").exists():
        pytest.skip("the SSH user needs /usr/bin/python3 to call the simulator's restart endpoint")
    node = SshNodeAccess("127.0.0.1", sshd.port, user=sshd.key_user, key_file=str(sshd.client_key),
                         known_hosts=str(sshd.known_hosts), log_path=str(sim.plugin_log_path),
                         restart_command=ssh_restart_command(sim), poll_interval=0.05)
    try:
        result = node.restart_plugin(timeout=30)
    finally:
        node.close()
    assert result.log_lines[-1].endswith(SYNC_DONE)
