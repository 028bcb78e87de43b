"""LocalNodeAccess: byte offsets, rotation, truncation and the bounded restart wait."""
from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import pytest

from CpusetLibrary.nodeaccess.base import SYNC_DONE, NodeAccessError
from CpusetLibrary.nodeaccess.factory import create_node_access
from CpusetLibrary.nodeaccess.local import LocalNodeAccess


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "weka-cpuset.log"
    path.write_text(f"old start\n{SYNC_DONE}\n")
    return path


def plugin_restart(log: Path, delay: float) -> list[str]:
    """A command that returns at once and makes a detached 'plugin' log its sync line later."""
    child = (f"import time,sys; time.sleep({delay}); f=open({str(log)!r},'a'); "
             f"f.write('Starting Weka NRI Plugin\\n'); f.flush(); f.write({SYNC_DONE!r} + '\\nlater\\n')")
    spawn = (f"import subprocess,sys; subprocess.Popen([sys.executable,'-c',{child!r}], "
             "start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)")
    return [sys.executable, "-c", spawn]


def test_offsets_rotation_and_truncation(log):
    node = LocalNodeAccess(str(log), "true", 5)
    mark = node.mark()
    assert node.read_since(mark) == []
    with log.open("a") as handle:
        handle.write("a\nb\n")
    assert node.read_since(mark) == ["a", "b"]
    log.write_text("t\n")  # truncated in place: same inode, shorter
    assert node.read_since(mark) == ["t"]
    mark = node.mark()
    log.rename(log.with_name("weka-cpuset.log.1"))
    log.write_text("".join(f"rotated-{i}\n" for i in range(20)))  # new inode, longer than the offset
    assert node.read_since(mark) == [f"rotated-{i}" for i in range(20)]


def test_missing_log_is_named(tmp_path):
    node = LocalNodeAccess(str(tmp_path / "none.log"), "true", 5)
    with pytest.raises(NodeAccessError, match=r"none\.log does not exist"):
        node.mark()


def test_restart_waits_for_sync_after_the_mark(log):
    node = LocalNodeAccess(str(log), plugin_restart(log, 0.3), 10, poll_interval=0.02)
    result = node.restart_plugin(timeout=10)
    assert result.log_lines == ("Starting Weka NRI Plugin", SYNC_DONE)
    assert result.seconds >= 0.3


def test_old_sync_line_does_not_satisfy_the_wait(log):
    node = LocalNodeAccess(str(log), "true", 5, poll_interval=0.02)
    started = time.monotonic()
    with pytest.raises(NodeAccessError, match=r"did not log .* within 0\.5s after the restart command 'true'"):
        node.restart_plugin(timeout=0.5)
    assert time.monotonic() - started < 5


def test_failing_restart_command(log):
    node = LocalNodeAccess(str(log), "echo sim-down >&2; exit 7", 5)
    with pytest.raises(NodeAccessError, match=r"'echo sim-down >&2; exit 7' failed with exit status 7; "
                                              r"stderr: sim-down"):
        node.restart_plugin(timeout=5)


def test_hanging_restart_command_and_its_children_are_killed(log, tmp_path):
    marker = tmp_path / "child-survived"
    command = f"(sleep 2; touch {shlex.quote(str(marker))}) & sleep 60"
    node = LocalNodeAccess(str(log), command, 0.5)
    started = time.monotonic()
    with pytest.raises(NodeAccessError, match=r"did not finish within 0\.5s \(killed\)"):
        node.restart_plugin(timeout=10)
    assert time.monotonic() - started < 5
    time.sleep(2.5)  # give a surviving child the chance to prove it survived
    assert not marker.exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"log_path": "", "restart_command": "true"}, "log_path must be a non-empty string"),
    ({"log_path": "x", "restart_command": []}, "restart_command must be"),
    ({"log_path": "x", "restart_command": "true", "command_timeout": 0}, "command_timeout must be"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LocalNodeAccess(**kwargs)


def test_factory_builds_each_kind_and_lists_valid_kinds(log):
    assert isinstance(create_node_access("LOCAL", log_path=str(log), restart_command="true"), LocalNodeAccess)
    ssh = create_node_access("ssh", host="node1", user="root", key_file="/k")
    assert ssh.describe().startswith("ssh root@node1:22")
    with pytest.raises(ValueError, match="valid kinds: local, ssh, daemonset"):
        create_node_access("kubectl")
    with pytest.raises(ValueError, match="invalid options for node access 'daemonset'"):
        create_node_access("daemonset", node="n1")
