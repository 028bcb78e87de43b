"""Running the .robot suites through robot, as a user does, and reading their results."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from robot_runner import ROOT, RobotRun, run_robot  # noqa: F401 (re-exported to the tests)
from sshd_fixture import sshd  # noqa: F401  (the session fixture)


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

