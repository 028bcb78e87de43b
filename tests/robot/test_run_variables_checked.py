"""Every variable is checked before the cluster is touched (issue 11, point 5)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from CpusetLibrary.runvars import LATENCY_PROFILES
from nrisim.config import SimConfig
from nrisim.latency import PROFILES
from nrisim.server import SimulatedCluster

pytestmark = pytest.mark.suite

SUITE = "suites/annotated_pod_state_corruption.robot"
LIBRARIES = Path(__file__).resolve().parents[2] / "libraries"


def test_the_library_knows_the_simulators_latency_profiles():
    assert set(LATENCY_PROFILES) == set(PROFILES)


def test_bad_variables_stop_the_run_before_the_simulator_starts_naming_each(robot_run):
    run = robot_run("-v", "SSH_SUDO:maybe", "-v", "LATENCY_PROFILE:quick", "-v", "SIM_CPUS:5000",
                    "-v", "NODE_ACCESS:telnet", "-v", "LEASE_WAIT:soon", suite=SUITE)
    message = run.suite_message
    assert run.rc != 0 and message.startswith("Suite setup failed:"), message
    for part in ("SSH_SUDO 'maybe' is not true or false",
                 "LATENCY_PROFILE 'quick' is not a latency profile; expected one of fast, realistic",
                 "SIM_CPUS '5000' is not what the simulated cluster supports: an even whole number from 2 to 1024",
                 "NODE_ACCESS 'telnet' is not a node access kind",
                 "LEASE_WAIT 'soon' is not a time >= 0"):
        assert part in message, (part, message)
    assert "usage:" not in message
    assert not (run.outdir / "nrisim").exists()  # the cluster was never touched


def test_an_odd_cpu_count_is_refused_by_name(robot_run):
    run = robot_run("-v", "SIM_CPUS:7", suite=SUITE)
    assert "SIM_CPUS '7' is not what the simulated cluster supports" in run.suite_message


def test_simulator_only_variables_for_a_real_cluster_warn(robot_run, tmp_path):
    with SimulatedCluster(SimConfig(workdir=tmp_path / "sim")) as sim:
        run = robot_run("-v", f"KUBECONFIG:{sim.kubeconfig_path}", "-v", f"TARGET_NODE:{sim.node_name}",
                        "-v", "NODE_ACCESS:daemonset", "-v", "SIM_CPUS:32", "-v", "PLUGIN_MODEL:leak-on-remove",
                        "--test", "Step 01*", suite=SUITE)
    assert run.rc == 0, run.suite_message
    assert "[ WARN ]" in run.stdout
    assert ("SIM_CPUS=32, PLUGIN_MODEL=leak-on-remove apply to the simulated cluster only; KUBECONFIG names a "
            "real cluster, so they are ignored") in run.stdout


@pytest.mark.sshd
def test_an_unreadable_plugin_log_over_ssh_says_permission_denied(public_robot_run, sshd, tmp_path):
    root_only = sshd.root / "robot-root-only.log"
    root_only.write_text("root only\n")
    root_only.chmod(0o600)  # owned by root: the SSH user may stat it but not read it
    run = public_robot_run("-v", "NODE_ACCESS:ssh", "-v", f"SSH_PORT:{sshd.port}",
                           "-v", f"SSH_KNOWN_HOSTS:{sshd.known_hosts}", "-v", f"SSH_USER:{sshd.key_user}",
                           "-v", f"SSH_KEY:{sshd.client_key}", "-v", f"PLUGIN_LOG:{root_only}", suite=SUITE)
    assert run.rc != 0
    assert "permission denied" in run.suite_message and "does not exist" not in run.suite_message, \
        run.suite_message


@pytest.mark.sshd
def test_an_unreadable_local_plugin_log_says_permission_denied_to_a_non_root_user(sshd, tmp_path):
    """The local backend run as the sshd fixture's unprivileged user on a root-only file."""
    root_only = tmp_path / "weka-cpuset.log"
    root_only.write_text("line\n")
    root_only.chmod(0o600)
    tmp_path.chmod(0o755)
    for parent in tmp_path.parents:
        if parent == Path("/tmp"):
            break
        parent.chmod(parent.stat().st_mode | 0o005)
    # the backend package alone (stdlib only), where the unprivileged user can read it
    package = tmp_path / "pkg" / "nodeaccess"
    shutil.copytree(LIBRARIES / "CpusetLibrary" / "nodeaccess", package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text("")
    for path in [package.parent, package, *package.iterdir()]:
        path.chmod(0o755)
    # python -c imports from its working directory: the copied package's parent
    probe = ("import sys; from nodeaccess.local import LocalNodeAccess;"
             "LocalNodeAccess(log_path=sys.argv[1], restart_command='true').mark()")
    prefix = ["runuser", "-u", sshd.key_user, "--"] if os.geteuid() == 0 else []
    python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
    done = subprocess.run([*prefix, python, "-B", "-c", probe, str(root_only)], cwd=package.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"permission denied: plugin log file {root_only} exists but is not readable by {sshd.key_user}" \
        in done.stderr, done.stderr
