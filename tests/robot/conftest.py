"""Running the .robot suites through robot, as a user does, and reading their results."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from robot.api import ExecutionResult

ROOT = Path(__file__).resolve().parents[2]
from sshd_fixture import sshd  # noqa: F401  (the session fixture)


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


@pytest.fixture
def robot_run(tmp_path):
    def run(*args: str, suite: str = "suites", timeout: float = 600,
            env_extra: dict[str, str] | None = None) -> RobotRun:
        return run_robot(tmp_path / "out", *args, suite=suite, timeout=timeout, env_extra=env_extra)
    return run


@pytest.fixture
def public_outdir() -> Iterator[Path]:
    """A robot output directory other local users can traverse and read (the SSH user reads the
    simulator's plugin log and runs its restart script from there). pytest's tmp_path is 0700."""
    base = Path(tempfile.mkdtemp(prefix="nri-robot-"))
    os.chmod(base, 0o755)
    try:
        yield base / "out"
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def public_robot_run(public_outdir):
    """Like ``robot_run``, with the output in a world-traversable directory."""
    def run(*args: str, suite: str = "suites", timeout: float = 600,
            env_extra: dict[str, str] | None = None) -> RobotRun:
        public_outdir.mkdir(mode=0o755, exist_ok=True)
        return run_robot(public_outdir, *args, suite=suite, timeout=timeout, env_extra=env_extra)
    return run

