"""A procedure over several nodes with a native plugin: with no SSH host given, every node is
reached at its own address with the same SSH options (here: the simulated nodes, all at
127.0.0.1, each with its own plugin log, through a real sshd)."""
from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from CpusetLibrary.keywords import connection
from CpusetLibrary.nodeplugins import NodeAccessUnavailable, access_for_node
from library_caller import Library

pytestmark = pytest.mark.sshd


@pytest.fixture
def three_nodes():
    """A library on a 3-node simulator whose files the SSH test user can read."""
    out = Path(tempfile.mkdtemp(prefix="ssh-nodes-"))
    os.chmod(out, 0o755)
    original = connection._output_dir
    connection._output_dir = lambda: out
    library = Library()
    try:
        library("Connect To Cluster", sim_nodes=3, sim_cpus=16)
    finally:
        connection._output_dir = original
    for path in out.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    try:
        yield library
    finally:
        library("Disconnect From Cluster")


def _ssh(library: Library, sshd, **extra) -> None:
    library("Connect To Plugin", "ssh", port=sshd.port, user=sshd.key_user, key_file=str(sshd.client_key),
            known_hosts=str(sshd.known_hosts), **extra)


def test_another_node_is_read_at_its_address_with_the_same_options(three_nodes, sshd) -> None:
    _ssh(three_nodes, sshd)
    access = access_for_node(three_nodes.ctx, "sim-node-2")
    assert "127.0.0.1" in access.describe() and "sim-node-2" in access.describe(), access.describe()
    three_nodes("Create Test Namespace", "ssh-nodes")
    three_nodes("Mark Plugin Logs Of Nodes", "before", "sim-node-1", "sim-node-2")
    body = three_nodes("Pod Body", "on-node-2", cpu=1, memory="64Mi")
    body["spec"]["nodeSelector"] = {"kubernetes.io/hostname": "sim-node-2"}
    three_nodes("Create Pods Together", body)
    three_nodes("Wait Until Pods Are Ready", "on-node-2", timeout=timedelta(seconds=20))
    namespace = three_nodes.ctx.namespace
    on_node_2 = three_nodes("Plugin Log Of Node", "sim-node-2", since="before")
    on_node_1 = three_nodes("Plugin Log Of Node", "sim-node-1", since="before")
    assert any(f"Pod sandbox starting: {namespace}/on-node-2" in line for line in on_node_2), on_node_2
    assert not any("on-node-2" in line for line in on_node_1), on_node_1
    three_nodes("Delete Test Namespace", grace_period=0, release_timeout=timedelta(seconds=20))


def test_a_host_given_explicitly_reaches_no_other_node(three_nodes, sshd) -> None:
    _ssh(three_nodes, sshd, host="127.0.0.1")
    with pytest.raises(NodeAccessUnavailable, match="leave SSH_HOST empty"):
        access_for_node(three_nodes.ctx, "sim-node-2")


def test_a_node_that_does_not_exist_is_named(three_nodes, sshd) -> None:
    _ssh(three_nodes, sshd)
    with pytest.raises(NodeAccessUnavailable, match=r"no node 'sim-node-9' \(nodes: sim-node-1, sim-node-2, sim-node-3\)"):
        three_nodes("Restart Plugins On Nodes", "sim-node-9")
