"""Every run says where it ran before its first step (issue 16, path 9), and a simulator is
never reported as a real cluster, however it was started (issue 20, item 9/10): the run
recognises it from its own API (/nrisim/v1/info), in metadata, on the console and at the gate."""
from __future__ import annotations


import pytest
from robot.api import ExecutionResult

from robot_runner import ROOT


from CpusetLibrary.simlauncher import start_simulator

pytestmark = pytest.mark.suite

SUITE = "suites/annotated_pod_state_corruption.robot"


def test_the_console_names_the_target_before_the_first_step(robot_run):
    run = robot_run("--console", "verbose", "--test", "Step 01*", suite=SUITE)
    assert run.rc == 0, run.stdout[-2000:]
    lines = run.stdout.splitlines()
    (target,) = [i for i, line in enumerate(lines) if "[CpusetLibrary] Target of " in line]
    first_step = next(i for i, line in enumerate(lines) if line.startswith("Step 01"))
    assert target < first_step, run.stdout[:3000]
    line = lines[target]
    for part in ("Target of Annotated Pod State Corruption: SIMULATED cluster", "cluster simulated (nrisim), API http://127.0.0.1:",
                 "node sim-node-1", "nodes 1 (sim-node-1)", "plugin access local", "plugin model head"):
        assert part in line, line


def test_a_simulator_started_outside_the_run_is_reported_as_simulated(robot_run, tmp_path):
    """Pointed at a simulator by KUBECONFIG alone (no SIMULATED_PLUGIN_MODEL, as a user does
    with `python -m nrisim`): metadata, console and --require-real-cluster all say simulated."""
    sim = start_simulator(tmp_path / "sim", plugin_model="head", nodes=1)
    try:
        run = robot_run("-v", f"KUBECONFIG:{sim.kubeconfig}", "-v", "TARGET_NODE:sim-node-1",
                        "-v", f"PLUGIN_LOG:{sim.plugin_log}", "-v", f"RESTART_COMMAND:{sim.restart_command}",
                        "--test", "Step 01*", suite=SUITE)
    finally:
        sim.stop()
    assert run.rc == 0, run.stdout[-2000:]
    assert "is a SIMULATED cluster (nrisim, plugin model head: it serves /nrisim/v1/info), not a real one" \
        in run.stdout, run.stdout[:3000]
    assert "Target of Annotated Pod State Corruption: SIMULATED cluster" in run.stdout
    metadata = ExecutionResult(str(run.outdir / "output.xml")).suite.metadata
    assert metadata["Target"].startswith("SIMULATED cluster"), dict(metadata)
    assert metadata["Plugin model"] == "head (simulated)"
    assert metadata["Cluster"].startswith("simulated (nrisim, started outside this run)")
    from CpusetLibrary.cli import gate
    assert gate.main(["--require-real-cluster", str(run.outdir / "output.xml")]) == 1
