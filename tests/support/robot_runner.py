"""Running a .robot suite through robot, as a user does, and reading its results (shared by the
robot-level tests; a module of its own so that tests need not import a conftest)."""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from robot.api import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RobotRun:
    rc: int
    outdir: Path
    stdout: str
    statuses: dict[str, tuple[str, str]]  # test name -> (status, message)
    suite_status: str
    suite_message: str

    def status(self, test: str) -> str:
        return self.statuses[test][0]

    def message(self, test: str) -> str:
        return self.statuses[test][1]


def run_robot(outdir: Path, *args: str, suite: str = "suites", timeout: float = 600,
              env_extra: dict[str, str] | None = None) -> RobotRun:
    command = [sys.executable, "-m", "robot", "--outputdir", str(outdir), "--loglevel", "DEBUG:INFO",
               "--console", "dotted", *args, str(ROOT / suite)]
    env = dict(os.environ)
    env.pop("KUBECONFIG", None)
    env.update(env_extra or {})
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    result = ExecutionResult(str(outdir / "output.xml"))
    statuses = {test.name: (test.status, test.message) for test in result.suite.all_tests}
    return RobotRun(done.returncode, outdir, done.stdout + done.stderr, statuses,
                    result.suite.status, result.suite.message)


def simulator_dir(outdir: Path, procedure: str = "") -> Path:
    """The folder of a procedure's simulated cluster, ``<outdir>/nrisim/<procedure>`` (the suite
    file's name without .robot); without ``procedure`` the run's only one."""
    if procedure:
        return outdir / "nrisim" / procedure
    found = sorted(p for p in (outdir / "nrisim").glob("*") if p.is_dir())
    assert len(found) == 1, f"expected one simulated cluster's folder under {outdir / 'nrisim'}: {found}"
    return found[0]
