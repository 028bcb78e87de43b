"""A fleet run with pabot (nricpuset-fleet): the ten-step procedure on 4 simulated nodes at
once, one robot process per node, merged by rebot into one report that names each suite's node."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from robot.api import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]
FLEET = Path(sys.executable).with_name("nricpuset-fleet")
NODES = [f"sim-node-{i}" for i in range(1, 5)]

pytestmark = pytest.mark.suite


def _run_fleet(outdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.run([str(FLEET), "-d", str(outdir), *args], cwd=outdir.parent, env=env,
                          capture_output=True, text=True, timeout=600)


def test_ten_step_suite_passes_on_four_simulated_nodes_in_parallel(tmp_path):
    outdir = tmp_path / "fleet"
    done = _run_fleet(outdir, "--simulated", "4")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "gate: 40 passed, 0 failed, 0 skipped" in done.stdout

    result = ExecutionResult(str(outdir / "output.xml"))
    suites = {s.name: s for s in result.suite.suites}
    assert sorted(suites) == [f"Annotated Pod State Corruption On {node}" for node in NODES]
    for node in NODES:
        suite = suites[f"Annotated Pod State Corruption On {node}"]
        assert suite.status == "PASS"
        assert [t.status for t in suite.tests] == ["PASS"] * 10
        assert suite.metadata["Node"] == node
        assert all(f"node:{node}" in t.tags for t in suite.tests)
        # each process had its own namespace and reached its own node's plugin
        assert f"/nodes/{node}/weka-cpuset.log" in suite.metadata["Plugin access"]
        # each process reached the simulator through a kubeconfig: it still says it was simulated
        assert suite.metadata["Target"].startswith("SIMULATED cluster"), suite.metadata["Target"]
        assert suite.metadata["Plugin model"] == "head (simulated)"
        assert (outdir / "evidence" / f"Annotated_Pod_State_Corruption_On_{node}"
                / "Step_10_Verify_Fix_Success.plugin.log").is_file()
    namespaces = set()
    for suite in suites.values():
        for message in _messages(suite):
            if m := re.match(r"Test namespace: (\S+)", message):
                namespaces.add(m.group(1))
    assert len(namespaces) == 4, namespaces

    # the merged top level says where the fleet ran, as one run's top level does
    top = result.suite.metadata
    assert top["Target"].startswith("SIMULATED cluster"), dict(top)
    assert top["Node"] == " / ".join(NODES) and top["Plugin model"] == "head (simulated)"
    assert top["Nodes"] == f"4 ({', '.join(NODES)})"
    assert 'Target' in (outdir / "log.html").read_text()

    # the processes ran at the same time: every suite started before any ended
    assert max(s.start_time for s in suites.values()) < min(s.end_time for s in suites.values())
    from CpusetLibrary.cli import gate
    assert gate.main(["--require-real-cluster", str(outdir / "output.xml")]) == 1  # not a real fleet
    report = (outdir / "report.html").read_text()
    for node in NODES:
        assert f'"*Annotated Pod State Corruption On {node}"' in report
        assert f'"*node:{node}"' in report


def _messages(suite):
    def walk(items):
        for item in items:
            if getattr(item, "type", "") == "MESSAGE":
                yield item.message
            yield from walk(getattr(item, "body", ()))
    for test in suite.tests:
        yield from walk(test.body)


def test_a_fleet_given_as_a_node_list_with_one_missing_node_fails_the_gate(tmp_path):
    """The real-fleet form (node names, a common and a per-node variable file) against a running
    simulator: the existing node passes, the missing one fails in suite setup naming it, and the
    merged run fails the gate."""
    from CpusetLibrary.simlauncher import start_simulator

    sim = start_simulator(tmp_path / "sim", nodes=2)
    try:
        files = sim.node_files("sim-node-2")
        common = tmp_path / "fleet.yaml"
        common.write_text(f"KUBECONFIG: {sim.kubeconfig}\nNODE_ACCESS: local\n")
        own = tmp_path / "sim-node-2.yaml"
        own.write_text(f"PLUGIN_LOG: {files['plugin_log']}\nRESTART_COMMAND: {files['restart_command']}\n")
        outdir = tmp_path / "fleet"
        done = _run_fleet(outdir, "-V", str(common), "--node", f"sim-node-2={own}", "--node", "sim-node-9")
    finally:
        sim.stop()
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    suites = {s.name: s for s in ExecutionResult(str(outdir / "output.xml")).suite.suites}
    assert suites["Annotated Pod State Corruption On sim-node-2"].status == "PASS"
    missing = suites["Annotated Pod State Corruption On sim-node-9"]
    assert missing.status == "FAIL"
    assert "sim-node-9" in missing.message
    assert "gate: FAILED" in done.stdout
