"""An SSH connection dropped mid-run is re-opened once (issue 11, point 7), against a real sshd."""
from __future__ import annotations

import subprocess

import pytest

from CpusetLibrary.nodeaccess.ssh import SshNodeAccess

pytestmark = pytest.mark.sshd


def access(sshd, log) -> SshNodeAccess:
    return SshNodeAccess("127.0.0.1", sshd.port, user=sshd.key_user, key_file=str(sshd.client_key),
                         known_hosts=str(sshd.known_hosts), log_path=str(log), restart_command="true")


def drop(node: SshNodeAccess) -> None:
    """The connection dies (as when a network path or the server drops it)."""
    node._lib.current.client.get_transport().close()
    assert node._connection_dropped()


def test_a_dropped_connection_is_reopened_for_the_next_read(sshd):
    log = sshd.write_as(sshd.key_user, "reconnect.log", "one\n")
    node = access(sshd, log)
    try:
        mark = node.mark()
        first = node._lib
        drop(node)
        subprocess.run(["sh", "-c", f"echo two >> {log}"], check=True)
        assert node.read_since(mark) == ["two"]
        assert node._lib is not first  # a new connection
    finally:
        node.close()


def test_every_drop_between_commands_is_noticed_and_reopened(sshd):
    log = sshd.write_as(sshd.key_user, "reconnect2.log", "one\n")
    node = access(sshd, log)
    try:
        node.mark()
        drop(node)
        node.mark()  # re-opened once
        drop(node)
        assert node.mark().offset == 4  # every drop between commands is noticed and the connection re-opened
    finally:
        node.close()
