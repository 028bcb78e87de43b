"""Several procedures in one robot process (``robot suites/``): each connects afresh when its
suite starts and disconnects when it ends, so each gets the simulated cluster its own variables
ask for (a multi-node procedure three nodes) and none meets what an earlier one left."""
from __future__ import annotations

import json
import os

import pytest
from robot.api import ExecutionResult

pytestmark = pytest.mark.suite


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_each_procedure_gets_its_own_cluster(robot_run) -> None:
    run = robot_run("suites/relocate_cpu.robot", "suites/sibling_core_allocation_test.robot",
                    suite="suites/multiple_cpu_conflicts.robot")
    assert run.rc == 0, run.stdout[-3000:]
    assert all(status == "PASS" for status, _ in run.statuses.values()), run.statuses
    # each procedure's cluster has its own folder, named after the procedure
    clusters = [json.loads((run.outdir / "nrisim" / name / "cluster.json").read_text())
                for name in ("relocate_cpu", "sibling_core_allocation_test", "multiple_cpu_conflicts")]
    assert sorted(p.name for p in (run.outdir / "nrisim").iterdir()) == sorted(
        ["relocate_cpu", "sibling_core_allocation_test", "multiple_cpu_conflicts"])
    # robot runs the data sources in the order given: relocate (3 nodes), sibling (1), conflicts (1)
    assert [len(info.get("nodes") or [info]) for info in clusters] == [3, 1, 1]
    assert len({info["api_url"] for info in clusters}) == 3
    assert run.stdout.count("Target: SIMULATED cluster") == 3
    for info in clusters:  # each simulated cluster was stopped when its procedure ended
        assert not _pid_alive(int(info["pid"]))
    # the top level says what the procedures share, and that the rest is each procedure's own
    result = ExecutionResult(str(run.outdir / "output.xml")).suite
    procedures = list(result.suites)
    assert result.metadata["Target"] == procedures[0].metadata["Target"]
    assert {p.metadata["Target"] for p in procedures} == {result.metadata["Target"]}
    assert result.metadata["Cluster"] == "3 different values: see each procedure's own metadata"
    assert len({p.metadata["Cluster"] for p in procedures}) == 3
    assert result.metadata["Node"] == "sim-node-1"
    # each procedure says how many nodes its cluster had; the top level lists both counts
    assert [p.metadata["Nodes"] for p in procedures] == [
        "3 (sim-node-1, sim-node-2, sim-node-3)", "1 (sim-node-1)", "1 (sim-node-1)"]
    assert result.metadata["Nodes"] == "3 (sim-node-1, sim-node-2, sim-node-3) / 1 (sim-node-1)"
