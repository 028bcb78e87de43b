"""An interrupted run still removes what it created (issue 3: namespace per run)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client, config

from nrisim.config import SimConfig
from nrisim.latency import profile
from nrisim.server import SimulatedCluster

pytestmark = pytest.mark.suite
ROOT = Path(__file__).resolve().parents[2]
MANAGED = "app.kubernetes.io/managed-by=nri-cpuset-acceptance"


def _our_namespaces(api: client.CoreV1Api) -> list[str]:
    return [ns.metadata.name for ns in api.list_namespace(label_selector=MANAGED).items]


def _wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s")


def test_ctrl_c_mid_procedure_leaves_no_namespace_behind(tmp_path):
    # Realistic latencies make the procedure slow enough to interrupt it in the middle.
    with SimulatedCluster(SimConfig(workdir=tmp_path / "sim", latencies=profile("realistic"))) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
        robot = subprocess.Popen(
            [sys.executable, "-m", "robot", "--outputdir", str(tmp_path / "out"), "--console", "quiet",
             "-v", f"KUBECONFIG:{sim.kubeconfig_path}", "-v", f"TARGET_NODE:{sim.node_name}",
             "-v", "NODE_ACCESS:daemonset", str(ROOT / "suites" / "annotated_pod_state_corruption.robot")],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            namespace = _wait_for(lambda: _our_namespaces(api), 60, "the run created no namespace")[0]
            # wait until pods of the run exist, then interrupt as Ctrl-C does
            _wait_for(lambda: api.list_namespaced_pod(namespace).items, 60, "the run created no pod")
            robot.send_signal(signal.SIGINT)
            robot.wait(180)
        finally:
            if robot.poll() is None:
                robot.kill()
        assert _our_namespaces(api) == [], "the interrupted run left its namespace behind"
        assert robot.returncode != 0
