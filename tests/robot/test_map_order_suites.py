"""The suites do not depend on one walk order of the plugin's Go maps: both procedures pass
on the correct plugin (``head``) under several seeded shuffles of the model's map order
(``SIM_SHUFFLE_MAP_ORDER`` / ``SIM_MAP_ORDER_SEED``), and the run says which seed it used."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from robot.api import ExecutionResult

import verdicts as V

pytestmark = pytest.mark.suite

SEEDS = (1, 2, 3)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("suite", ["ten-step", "race"])
def test_head_passes_under_a_shuffled_map_order(tmp_path, suite, seed):
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    command = [sys.executable, "-m", "robot", "--outputdir", str(tmp_path), "--console", "dotted",
               "--report", "NONE", "--log", "NONE", "--variable", "PLUGIN_MODEL:head",
               "--variable", "SIM_SHUFFLE_MAP_ORDER:True", "--variable", f"SIM_MAP_ORDER_SEED:{seed}",
               str(V.ROOT / V.SUITES[suite].path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=V.ROOT, env=env)
    result = ExecutionResult(str(tmp_path / "output.xml"))
    statuses = [(t.name, t.status, t.message) for t in result.suite.all_tests]
    assert [s for _, s, _ in statuses] == ["PASS"] * len(V.SUITES[suite].tests), statuses
    assert done.returncode == 0, done.stdout + done.stderr
    assert result.suite.metadata["Plugin model"] == f"head (map order seed {seed})"
