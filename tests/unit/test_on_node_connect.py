"""NODE_ACCESS=local on a real cluster (the node itself): k3s defaults, and a log this user cannot
read stops the run at connection, naming the file."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from CpusetLibrary.context import LibraryContext
from CpusetLibrary.keywords.connection import ConnectionKeywords
from CpusetLibrary.nodeaccess.base import NodeAccessError


def _keywords() -> ConnectionKeywords:
    ctx = LibraryContext()
    ctx.cluster = SimpleNamespace(core=None)
    ctx.node = SimpleNamespace(name="k3s-node-1", address="10.0.0.5")
    return ConnectionKeywords(ctx)


def test_local_on_a_real_cluster_reads_the_given_log(tmp_path):
    log = tmp_path / "weka-cpuset.log"
    log.write_text("[2026-11-26 10:00:00] Starting Weka NRI Plugin (PID: 1)\n")
    keywords = _keywords()
    assert keywords.connect_to_plugin("local", log_path=str(log)) == f"local {log}"
    access = keywords.ctx.node_access
    assert access.restart_command == "systemctl restart k3s"
    access.close()


def test_local_defaults_to_the_native_wrapper_log():
    keywords = _keywords()
    try:
        keywords.connect_to_plugin("local")
    except NodeAccessError as err:  # a machine without the plugin: the error names the default file
        assert "/var/log/weka-cpuset.log" in str(err)
    else:
        assert keywords.ctx.node_access.describe() == "local /var/log/weka-cpuset.log"


def test_an_unreadable_log_stops_the_run_at_connection(tmp_path):
    unreadable = tmp_path / "log-is-a-directory"
    unreadable.mkdir()
    keywords = _keywords()
    with pytest.raises(NodeAccessError, match=r"cannot read plugin log .*log-is-a-directory"):
        keywords.connect_to_plugin("local", log_path=str(unreadable))
    assert keywords.ctx.node_access is None
