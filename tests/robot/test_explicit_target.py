"""A run says which cluster it tested, never falls back to the simulated cluster silently, and
the release gate can refuse a simulated run (issue 11, point 2); run-suites.sh honours robot's
-d and -o NONE (point 6)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from robot.api import ExecutionResult

pytestmark = pytest.mark.suite

ROOT = Path(__file__).resolve().parents[2]
SUITE = "suites/annotated_pod_state_corruption.robot"


def test_simulated_run_says_so_on_the_console_and_in_the_report(robot_run):
    run = robot_run("--test", "Step 01*", suite=SUITE)
    first_lines = "\n".join(run.stdout.splitlines()[:5])
    assert "Target: SIMULATED cluster (nrisim" in first_lines, run.stdout[:1000]
    metadata = ExecutionResult(str(run.outdir / "output.xml")).suite.metadata
    assert metadata["Target"].startswith("SIMULATED cluster (nrisim)")


def test_kubeconfig_in_the_environment_without_the_variable_stops_at_once(robot_run, tmp_path):
    kubeconfig = tmp_path / "somewhere.kubeconfig"
    run = robot_run(suite=SUITE, env_extra={"KUBECONFIG": str(kubeconfig)})
    assert run.rc != 0
    message = run.suite_message
    assert f"-v KUBECONFIG:{kubeconfig}" in message and "-v ALLOW_SIMULATED_CLUSTER:true" in message, message
    assert not (run.outdir / "nrisim").exists()  # the simulator was never started


def test_allow_simulated_cluster_runs_despite_the_environment(robot_run, tmp_path):
    run = robot_run("-v", "ALLOW_SIMULATED_CLUSTER:true", "--test", "Step 01*", suite=SUITE,
                    env_extra={"KUBECONFIG": str(tmp_path / "kc")})
    assert run.rc == 0, run.suite_message


def _run_suites(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["VENV"] = env.get("VENV", str(Path(os.sys.executable).parents[1]))
    return subprocess.run(["bash", "scripts/run-suites.sh", "--console", "dotted", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_run_suites_gate_option_fails_a_simulated_run_and_honours_outputdir(tmp_path):
    outdir = tmp_path / "elsewhere"
    done = _run_suites("--require-real-cluster", "-d", str(outdir), "--suite", "Annotated Pod State Corruption")
    assert done.returncode == 1, done.stdout[-2000:]
    assert "10 passed, 0 failed, 0 skipped" in done.stdout
    assert "--require-real-cluster: this run was made on the simulated cluster" in done.stdout
    assert (outdir / "output.xml").is_file()
    top = ExecutionResult(str(outdir / "output.xml")).suite.metadata  # the merge's own top level
    assert top["Target"].startswith("SIMULATED cluster (nrisim)") and top["Node"] == "sim-node-1", dict(top)


def test_run_suites_with_output_none_is_judged_from_xunit(tmp_path):
    outdir = tmp_path / "out"
    done = _run_suites("-d", str(outdir), "-o", "NONE", "--suite", "Annotated Pod State Corruption")
    assert done.returncode == 0, done.stdout[-2000:]
    assert f"10 passed, 0 failed, 0 skipped ({outdir}/xunit.xml)" in done.stdout
