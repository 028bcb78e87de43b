"""The ten-step suite end to end with NODE_ACCESS=ssh (a real sshd on 127.0.0.1, key and password
login) and NODE_ACCESS=daemonset, and its bad-input failures at suite level."""
from __future__ import annotations

import http.server
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from robot_outputs import decoded_robot_html
from nrisim.kubeconfig import write_restart_script
from robot.api import ExecutionResult
from sshd_server import Sshd, free_loopback_port
from suite_steps import STATE_CORRUPTION, STATE_CORRUPTION_STEPS
from robot_runner import simulator_dir

RobotRun = Any  # conftest.RobotRun (conftest modules are not imported by name)

pytestmark = pytest.mark.suite

SUITE = STATE_CORRUPTION
STEPS = list(STATE_CORRUPTION_STEPS)
#: a lane that fails must fail fast; this bounds the whole robot run, it asserts no timing
BAD_INPUT_RUN_TIMEOUT = 180


def ssh_args(sshd: Sshd, *, key: bool = True) -> list[str]:
    args = ["--variable", "NODE_ACCESS:ssh", "--variable", f"SSH_PORT:{sshd.port}",
            "--variable", f"SSH_KNOWN_HOSTS:{sshd.known_hosts}"]
    if key:
        args += ["--variable", f"SSH_USER:{sshd.key_user}", "--variable", f"SSH_KEY:{sshd.client_key}"]
    else:
        args += ["--variable", f"SSH_USER:{sshd.password_user}",
                 "--variable", f"SSH_PASSWORD: Secret:{sshd.password}"]
    return args


def plugin_access(run: RobotRun) -> str:
    return ExecutionResult(str(run.outdir / "output.xml")).suite.metadata.get("Plugin access", "")


def simulator_info(run: RobotRun) -> dict:
    return json.loads((simulator_dir(run.outdir) / "cluster.json").read_text())


def step_evidence(run: RobotRun, step_file_name: str) -> str:
    """The plugin log saved for one step, wherever under evidence/ the library puts it."""
    found = list((run.outdir / "evidence").rglob(f"{step_file_name}.plugin.log"))
    assert len(found) == 1, f"evidence of {step_file_name}: {found}"
    return found[0].read_text()


def assert_all_passed(run: RobotRun) -> None:
    assert [run.status(step) for step in STEPS] == ["PASS"] * 10, (run.statuses, run.stdout[-3000:])
    assert run.rc == 0


def assert_nothing_left_behind(run: RobotRun, *, pods_created: bool) -> None:
    """The simulated cluster has stopped, and the run's namespace was never created or is gone."""
    pid = simulator_info(run)["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    plugin_log = (simulator_dir(run.outdir) / "weka-cpuset.log").read_text()
    if not pods_created:
        assert "annotated-state-test" not in plugin_log
    else:
        teardown = ExecutionResult(str(run.outdir / "output.xml")).suite.teardown
        assert (teardown.name, teardown.status) == ("Clean Up The Procedure", "PASS"), teardown.message


def assert_stopped_in_suite_setup(run: RobotRun, *needles: str) -> None:
    assert run.rc != 0
    assert all(status == "FAIL" for status, _ in run.statuses.values()), run.statuses
    assert "Parent suite setup failed" in run.message(STEPS[0])
    for needle in needles:
        assert needle in run.suite_message, (needle, run.suite_message)
    assert not (run.outdir / "evidence").exists() or not any((run.outdir / "evidence").iterdir())


# -- the three lanes ------------------------------------------------------------------------------

@pytest.mark.sshd
def test_ssh_lane_with_key_login_and_checked_host_key(public_robot_run, sshd):
    run = public_robot_run(*ssh_args(sshd), suite=SUITE)
    assert_all_passed(run)
    assert plugin_access(run).startswith(f"ssh {sshd.key_user}@127.0.0.1:{sshd.port} (key auth)")
    # the restart step's evidence was read over SSH after the restart script ran as the SSH user
    restart_log = step_evidence(run, "Step_09_Demonstrate_The_Fix")
    assert "Synchronize() completed" in restart_log


@pytest.mark.sshd
def test_ssh_lane_with_password_never_writes_the_password(public_robot_run, sshd):
    run = public_robot_run(*ssh_args(sshd, key=False), "--loglevel", "TRACE", "--xunit", "xunit.xml",
                           "--debugfile", "debug.txt", suite=SUITE)
    assert_all_passed(run)
    assert plugin_access(run).startswith(f"ssh {sshd.password_user}@127.0.0.1:{sshd.port} (password auth)")
    files = sorted(path for path in run.outdir.rglob("*") if path.is_file())
    names = {path.relative_to(run.outdir).as_posix() for path in files}
    assert {"output.xml", "log.html", "report.html", "xunit.xml", "debug.txt"} <= names
    assert any(name.startswith("evidence/") for name in names)
    texts = {"console": run.stdout}
    for path in files:
        name = path.relative_to(run.outdir).as_posix()
        texts[name] = decoded_robot_html(path) if path.suffix == ".html" else path.read_text(errors="replace")
    assert "Synchronize() completed" in texts["log.html"]  # the decoding sees the logged plugin lines
    leaked = [name for name, text in texts.items() if sshd.password in text]
    assert leaked == []


def test_daemonset_lane(public_robot_run):
    run = public_robot_run("--variable", "NODE_ACCESS:daemonset", suite=SUITE)
    assert_all_passed(run)
    assert plugin_access(run).startswith("daemonset pod kube-system/app=weka-nri-cpuset on node ")
    restart_log = step_evidence(run, "Step_09_Demonstrate_The_Fix")
    assert "Synchronize() completed" in restart_log


# -- bad input at suite level -----------------------------------------------------------------------

@pytest.mark.sshd
def test_wrong_ssh_key_stops_in_suite_setup(public_robot_run, public_outdir, sshd):
    wrong_key = public_outdir.parent / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong_key)], check=True,
                   capture_output=True, timeout=30)
    run = public_robot_run(*ssh_args(sshd), "--variable", f"SSH_KEY:{wrong_key}", suite=SUITE,
                           timeout=BAD_INPUT_RUN_TIMEOUT)
    assert_stopped_in_suite_setup(run, f"{sshd.key_user}@127.0.0.1:{sshd.port}",
                                  f"authentication failed with key file {wrong_key}")
    assert_nothing_left_behind(run, pods_created=False)


@pytest.mark.sshd
def test_closed_ssh_port_stops_in_suite_setup(public_robot_run, sshd):
    port = free_loopback_port()
    run = public_robot_run(*ssh_args(sshd), "--variable", f"SSH_PORT:{port}", suite=SUITE,
                           timeout=BAD_INPUT_RUN_TIMEOUT)
    assert_stopped_in_suite_setup(run, f"{sshd.key_user}@127.0.0.1:{port}",
                                  f"connection refused (nothing listens on port {port})")
    assert_nothing_left_behind(run, pods_created=False)


def test_daemonset_label_matching_no_pod_stops_in_suite_setup(public_robot_run):
    run = public_robot_run("--variable", "NODE_ACCESS:daemonset", "--variable", "PLUGIN_LABEL:app=nothing",
                           suite=SUITE, timeout=BAD_INPUT_RUN_TIMEOUT)
    node = simulator_info(run)["node"]
    assert_stopped_in_suite_setup(run, f"no plugin pod with label 'app=nothing' in namespace kube-system "
                                       f"on node {node}")
    assert_nothing_left_behind(run, pods_created=False)


@pytest.mark.sshd
def test_failing_restart_command_fails_step_09_naming_command_and_status(public_robot_run, sshd):
    command = "echo k3s-broken >&2; exit 3"
    run = public_robot_run(*ssh_args(sshd), "--variable", f"RESTART_COMMAND:{command}", suite=SUITE,
                           timeout=BAD_INPUT_RUN_TIMEOUT)
    assert [run.status(step) for step in STEPS[:8]] == ["PASS"] * 8, run.statuses
    assert run.status(STEPS[8]) == "FAIL"
    message = run.message(STEPS[8])
    for needle in (f"{sshd.key_user}@127.0.0.1:{sshd.port}", f"command {command!r} exited with status 3",
                   "k3s-broken"):
        assert needle in message, (needle, message)
    assert run.status(STEPS[9]) == "SKIP"
    assert STEPS[8] in run.message(STEPS[9])
    assert_nothing_left_behind(run, pods_created=True)


@pytest.mark.sshd
def test_hanging_restart_command_is_cut_at_restart_command_timeout(public_robot_run, sshd):
    hang = f"sleep 61 # {sshd.port}"  # unique, to find it among the node's processes
    run = public_robot_run(*ssh_args(sshd), "--variable", f"RESTART_COMMAND:{hang}",
                           "--variable", "RESTART_COMMAND_TIMEOUT:2 s", suite=SUITE,
                           timeout=BAD_INPUT_RUN_TIMEOUT)
    assert [run.status(step) for step in STEPS[8:]] == ["FAIL", "SKIP"], run.statuses
    assert f"command {hang!r} did not finish within 2s" in run.message(STEPS[8]), run.message(STEPS[8])
    assert_nothing_left_behind(run, pods_created=True)
    # the node side is killed too (remote `timeout`), not left running after the channel closed
    assert wait_until(lambda: not processes_of(sshd.key_user, hang), timeout=30), processes_of(sshd.key_user, hang)


def processes_of(user: str, needle: str) -> list[str]:
    out = subprocess.run(["ps", "-u", user, "-o", "pid=,args="], capture_output=True, text=True, timeout=10)
    return [line for line in out.stdout.splitlines() if needle in line]


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    """Poll ``check`` until it holds or ``timeout`` seconds pass (a bounded wait on state)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_invalid_restart_command_timeout_stops_in_suite_setup(public_robot_run):
    run = public_robot_run("--variable", "RESTART_COMMAND_TIMEOUT:soon", suite=SUITE,
                           timeout=BAD_INPUT_RUN_TIMEOUT)
    assert_stopped_in_suite_setup(run, "RESTART_COMMAND_TIMEOUT 'soon' is not a positive time such as '2 min'")
    assert not (run.outdir / "nrisim").exists()  # checked before anything was started


# -- the simulator's restart script, which the SSH user runs ---------------------------------------

class _RestartEndpoint(http.server.BaseHTTPRequestHandler):
    posts: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        type(self).posts.append(self.path)
        body = b"runtime restarted"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def restart_endpoint() -> Iterator[tuple[str, list[str]]]:
    posts: list[str] = []
    handler = type("Handler", (_RestartEndpoint,), {"posts": posts})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", posts
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_restart_script_falls_back_when_the_simulators_python_is_not_runnable(
        tmp_path, monkeypatch, restart_endpoint):
    url, posts = restart_endpoint
    monkeypatch.setattr(sys, "executable", str(tmp_path / "private" / "python"))  # as /root/.pyenv is to others
    script = tmp_path / "bin" / "restart-k3s"
    write_restart_script(script, url)
    assert script.read_text().startswith("#!/bin/sh\n")
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    done = subprocess.run([str(script)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "runtime restarted"), done.stderr
    assert posts == ["/nrisim/v1/restart-runtime"]


def test_restart_script_names_the_failure_and_exits_non_zero(tmp_path):
    script = tmp_path / "restart-k3s"
    write_restart_script(script, f"http://127.0.0.1:{free_loopback_port()}")  # nothing listens
    done = subprocess.run([str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "restart-k3s: runtime restart failed" in done.stderr


@pytest.mark.sshd
def test_ssh_lane_over_three_nodes_restarts_and_reads_every_nodes_plugin(public_robot_run, sshd):
    """The DaemonSet state corruption procedure with a native plugin on 3 simulated nodes: each
    node's log is read and its plugin restarted over SSH at the node's own address."""
    run = public_robot_run(*ssh_args(sshd), suite="suites/daemonset_state_corruption.robot")
    assert run.rc == 0 and all(status == "PASS" for status, _ in run.statuses.values()), \
        (run.statuses, run.stdout[-3000:])
    log = (run.outdir / "output.xml").read_text()
    for node in ("sim-node-1", "sim-node-2", "sim-node-3"):
        assert f"Plugin on {node} restarted and synchronized in" in log
    assert "The plugin synchronized on sim-node-1, sim-node-2, sim-node-3" in log
