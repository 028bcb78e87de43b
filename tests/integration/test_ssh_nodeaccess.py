"""SshNodeAccess against a real OpenSSH server on 127.0.0.1 (see conftest.sshd)."""
from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path

import pytest
from robot.api.types import Secret

from CpusetLibrary.nodeaccess.base import SYNC_DONE, NodeAccessError
from CpusetLibrary.nodeaccess.ssh import SshNodeAccess, parse_cursor
from sshd_server import Sshd, free_loopback_port

pytestmark = pytest.mark.sshd

OLD_LINES = "[2026-01-01 00:00:00] Starting Weka NRI Plugin (PID: 1)\n" f"[2026-01-01 00:00:01] {SYNC_DONE}\n"


def key_access(sshd: Sshd, log: Path | str, **kw) -> SshNodeAccess:
    kw.setdefault("known_hosts", str(sshd.known_hosts))
    return SshNodeAccess("127.0.0.1", sshd.port, user=sshd.key_user, key_file=str(sshd.client_key),
                         log_path=str(log), **kw)


def fake_plugin_restart(log: Path, delay: float = 0.3) -> str:
    """A restart command that returns at once; the 'plugin' logs its sync line ``delay`` s later."""
    lines = ["Starting Weka NRI Plugin (PID: 4242)", "Synchronizing state with 0 pods and 0 containers",
             "State synchronization completed with 0 skipped containers: []", SYNC_DONE, "after sync"]
    body = f"sleep {delay}; " + "; ".join(f"echo {shlex.quote(line)} >> {shlex.quote(str(log))}" for line in lines)
    return f"nohup sh -c {shlex.quote(body)} >/dev/null 2>&1 &"


@pytest.fixture
def log(sshd: Sshd, request) -> Path:
    return sshd.write_as(sshd.key_user, f"{request.node.name}.log", OLD_LINES)


# -- log offsets -------------------------------------------------------------------------
def test_read_since_returns_only_lines_appended_after_the_mark(sshd, log):
    node = key_access(sshd, log)
    try:
        mark = node.mark()
        assert mark.offset == len(OLD_LINES.encode())
        assert node.read_since(mark) == []
        with log.open("a") as handle:
            handle.write("one\ntwo\n")
        assert node.read_since(mark) == ["one", "two"]
        later = node.mark()
        assert later.offset == mark.offset + len("one\ntwo\n")
        with log.open("a") as handle:
            handle.write("three\n")
        assert node.read_since(later) == ["three"]
    finally:
        node.close()


def test_rotated_log_is_read_from_the_start_of_the_new_file(sshd, log):
    node = key_access(sshd, log)
    try:
        mark = node.mark()
        with log.open("a") as handle:
            handle.write("lost-in-old-file\n")
        log.rename(log.with_suffix(".log.1"))
        new = "".join(f"new-{i}\n" for i in range(1, 31))
        sshd.write_as(sshd.key_user, log.name, new)
        # the new file is longer than the old offset: only the inode tells it is a different file
        assert len(new) > mark.offset
        assert node.read_since(mark) == [f"new-{i}" for i in range(1, 31)]
        assert node.mark().source != mark.source
    finally:
        node.close()


def test_truncated_log_is_read_from_its_start(sshd, log):
    node = key_access(sshd, log)
    try:
        mark = node.mark()
        log.write_text("after-truncate\n")  # same inode, smaller than the mark
        assert node.read_since(mark) == ["after-truncate"]
    finally:
        node.close()


def test_missing_log_file_names_host_path_and_exit_status(sshd):
    node = key_access(sshd, "/nonexistent/weka-cpuset.log")
    try:
        with pytest.raises(NodeAccessError) as err:
            node.mark()
        text = str(err.value)
        assert f"{sshd.key_user}@127.0.0.1:{sshd.port}" in text
        assert "/nonexistent/weka-cpuset.log does not exist" in text and "status 2" in text
    finally:
        node.close()


def test_unreadable_log_is_permission_denied(sshd):
    secret_log = sshd.root / "root-only.log"
    secret_log.write_text("root only\n")
    os.chmod(secret_log, 0o600)  # owned by root; the SSH user may stat it but not read it
    node = key_access(sshd, secret_log)
    try:
        with pytest.raises(NodeAccessError, match=r"command 'stat .*root-only.log' exited with status 13; stderr: permission denied: .*not readable by nrik"):
            node.mark()
    finally:
        node.close()


# -- restart -----------------------------------------------------------------------------
def test_restart_waits_for_the_sync_line_written_after_the_restart(sshd, log):
    node = key_access(sshd, log, restart_command=fake_plugin_restart(log, delay=0.4), poll_interval=0.05)
    try:
        result = node.restart_plugin(timeout=15)
        assert result.log_lines[-1] == SYNC_DONE
        assert result.log_lines[0] == "Starting Weka NRI Plugin (PID: 4242)"
        assert "after sync" not in result.log_lines
        assert not any("PID: 1)" in line for line in result.log_lines)  # nothing from before the restart
        assert result.seconds >= 0.4
    finally:
        node.close()


def test_a_sync_line_from_before_the_restart_does_not_count(sshd, log):
    node = key_access(sshd, log, restart_command="true", poll_interval=0.05)
    started = time.monotonic()
    try:
        with pytest.raises(NodeAccessError) as err:
            node.restart_plugin(timeout=1.5)
    finally:
        node.close()
    assert time.monotonic() - started < 10
    assert f"did not log '{SYNC_DONE}' within 1.5s" in str(err.value)
    assert "'true'" in str(err.value)


def test_failing_restart_command_names_command_exit_status_and_stderr(sshd, log):
    node = key_access(sshd, log, restart_command="echo k3s-broken >&2; exit 3")
    try:
        with pytest.raises(NodeAccessError) as err:
            node.restart_plugin(timeout=10)
    finally:
        node.close()
    text = str(err.value)
    assert f"{sshd.key_user}@127.0.0.1:{sshd.port}" in text
    assert "echo k3s-broken >&2; exit 3" in text and "status 3" in text and "k3s-broken" in text


def test_hanging_restart_command_times_out_within_the_command_timeout(sshd, log):
    node = key_access(sshd, log, restart_command="sleep 60", command_timeout=1.0)
    started = time.monotonic()
    try:
        with pytest.raises(NodeAccessError, match=r"'sleep 60' did not finish within 1s"):
            node.restart_plugin(timeout=30)
        assert time.monotonic() - started < 8
        assert node.read_since(node.mark()) == []  # the connection is usable again afterwards
    finally:
        node.close()


# -- host keys -------------------------------------------------------------------------
def test_unknown_host_key_is_refused(sshd, log, tmp_path):
    other = tmp_path / "known_hosts"
    other.write_text(f"[127.0.0.1]:{sshd.port + 1} {sshd.host_public_key}\n")
    node = key_access(sshd, log, known_hosts=str(other))
    with pytest.raises(NodeAccessError, match=r"host key UNKNOWN: 127\.0\.0\.1 .*not in known_hosts file"):
        node.mark()


def test_mismatched_host_key_is_refused(sshd, log, tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "impostor")], check=True)
    impostor = " ".join((tmp_path / "impostor.pub").read_text().split()[:2])
    bad = tmp_path / "known_hosts"
    bad.write_text(f"[127.0.0.1]:{sshd.port} {impostor}\n")
    node = SshNodeAccess("127.0.0.1", sshd.port, user=sshd.password_user, password=sshd.password,
                         known_hosts=str(bad), log_path=str(log))
    with pytest.raises(NodeAccessError) as err:
        node.mark()
    assert "host key MISMATCH" in str(err.value) and str(bad) in str(err.value)
    assert sshd.password not in str(err.value)


def test_without_known_hosts_the_host_key_is_accepted(sshd, log):
    node = key_access(sshd, log, known_hosts=None)
    try:
        assert node.mark().offset == len(OLD_LINES.encode())
    finally:
        node.close()


# -- authentication and reachability -----------------------------------------------------
def test_wrong_key_is_an_authentication_failure(sshd, log, tmp_path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "wrong")], check=True)
    node = SshNodeAccess("127.0.0.1", sshd.port, user=sshd.key_user, key_file=str(tmp_path / "wrong"),
                         known_hosts=str(sshd.known_hosts), log_path=str(log))
    with pytest.raises(NodeAccessError, match=rf"{sshd.key_user}@127\.0\.0\.1:{sshd.port}: authentication "
                                              rf"failed with key file {tmp_path / 'wrong'}"):
        node.mark()


def test_missing_key_file_is_named(sshd, log, tmp_path):
    node = key_access(sshd, log)
    node.key_file = str(tmp_path / "no-such-key")
    with pytest.raises(NodeAccessError, match=r"key file .*no-such-key does not exist"):
        node.mark()


def test_password_login_works_and_wrong_password_is_refused(sshd, log):
    good = SshNodeAccess("127.0.0.1", sshd.port, user=sshd.password_user, password=Secret(sshd.password),
                         known_hosts=str(sshd.known_hosts), log_path=str(log))
    try:
        assert good.mark().offset == len(OLD_LINES.encode())
    finally:
        good.close()
    wrong = "not-" + sshd.password
    bad = SshNodeAccess("127.0.0.1", sshd.port, user=sshd.password_user, password=wrong, log_path=str(log))
    with pytest.raises(NodeAccessError, match="authentication failed with password") as err:
        bad.mark()
    assert wrong not in str(err.value) and sshd.password not in str(err.value)


def test_closed_port_is_refused_quickly(sshd, log):
    port = free_loopback_port()
    node = SshNodeAccess("127.0.0.1", port, user=sshd.key_user, key_file=str(sshd.client_key), log_path=str(log))
    started = time.monotonic()
    with pytest.raises(NodeAccessError, match=rf"127\.0\.0\.1:{port}: connection refused"):
        node.mark()
    assert time.monotonic() - started < 5


def test_unresponsive_host_gives_up_within_the_connect_timeout(sshd, log, silent_port):
    node = SshNodeAccess("127.0.0.1", silent_port, user=sshd.key_user, key_file=str(sshd.client_key),
                         log_path=str(log), connect_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(NodeAccessError, match=rf"127\.0\.0\.1:{silent_port}: no SSH handshake within 1s"):
        node.mark()
    assert time.monotonic() - started < 6


# -- secrets -----------------------------------------------------------------------------
def test_password_never_appears_in_describe_repr_or_errors(sshd, log):
    password = sshd.password

    def node(log_path: str, **kw) -> SshNodeAccess:
        return SshNodeAccess("127.0.0.1", sshd.port, user=sshd.password_user, password=Secret(password),
                             log_path=log_path, **kw)
    missing = node("/nonexistent.log")
    present = node(str(log), restart_command=f"echo {password} >&2; exit 4")
    texts = [missing.describe(), repr(missing), str(vars(missing))]
    for action in (missing.mark, lambda: present.restart_plugin(timeout=5)):
        with pytest.raises(NodeAccessError) as err:
            action()
        texts.append(str(err.value))
    missing.close()
    present.close()
    assert "status 2" in texts[3] and "status 4" in texts[4]
    assert all(password not in text for text in texts), texts
    assert "echo *** >&2" in texts[4]  # the password inside the command was scrubbed too


# -- journald ----------------------------------------------------------------------------
def test_parse_cursor_takes_the_cursor_line():
    out = "some line\n-- cursor: s=abc;i=12;b=ff\n"
    assert parse_cursor(out) == "s=abc;i=12;b=ff"
    assert parse_cursor("") == ""


def test_journal_mode_reads_from_its_cursor_over_ssh(sshd):
    """The journal mode end to end over SSH, against the journalctl stand-in the test sshd puts
    on its PATH (tests/support/fakebin/journalctl: this machine has no journald). What it checks
    is the library's side: the command it sends, the cursor it keeps, the fallback when the
    cursor is gone; journalctl's own behaviour is as the stand-in models it."""
    journal = sshd.root / "journal" / "weka-cpuset.log"
    access = SshNodeAccess("127.0.0.1", sshd.port, user=sshd.key_user, key_file=str(sshd.client_key),
                           known_hosts=str(sshd.known_hosts), journal_unit="weka-cpuset")
    try:
        empty = access.mark()  # no entries yet: no cursor, read from the start
        assert empty.source == "journal:weka-cpuset#"
        journal.write_text("Starting Weka NRI Plugin (PID: 1)\nSynchronizing state with 0 pods and 0 containers\n")
        assert access.read_since(empty) == ["Starting Weka NRI Plugin (PID: 1)",
                                            "Synchronizing state with 0 pods and 0 containers"]
        mark = access.mark()
        assert mark.source == "journal:weka-cpuset#line=2"
        assert access.read_since(mark) == []  # and no "-- No entries --" line
        with journal.open("a") as out:
            out.write("Removing container c from pod ns/p\n")
        assert access.read_since(mark) == ["Removing container c from pod ns/p"]
        journal.write_text("after a vacuum\n")  # the cursor no longer exists: the whole journal
        assert access.read_since(mark) == ["after a vacuum"]
        assert "journal unit weka-cpuset" in access.describe()
    finally:
        access.close()
