"""The distribution as a QA team installs it: the wheel built from pyproject.toml, installed into
a fresh virtual environment, runs a suite that lives outside the checkout. The suite imports the
library by name and the generic keyword resource from the package, renders a pod from the
packaged manifests and talks to the simulated cluster the library starts itself; the console
commands are installed. One virtual environment for the whole module (it is slow to make)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.suite, pytest.mark.wheel]

SUITE = """\
*** Settings ***
Resource          CpusetLibrary/cpuset.resource

Suite Setup       Connect And Create The Namespace
Suite Teardown    Delete Test Namespace    grace_period=0


*** Test Cases ***
An Integer Pod Gets Exactly Its CPUs
    ${bodies}    Render Pods    integer-pod.yaml    NAME=integer-a    CPU=2    IMAGE=busybox:latest    MEMORY=1Gi
    Create Pods Together    @{bodies}
    Wait Until Pods Are Ready    integer-a    timeout=1 min
    Pods Should Have Exactly Their Requested CPUs    integer-a


*** Keywords ***
Connect And Create The Namespace
    Connect To Target Node And Plugin
    Create Test Namespace    installed-wheel
"""


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}: rc {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(the fresh environment's bin/, an environment for commands that knows nothing of the checkout)."""
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "KUBECONFIG", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV")}
    quiet = ["--quiet", "--disable-pip-version-check"]
    _run([sys.executable, "-m", "pip", "wheel", *quiet, "--no-deps", "--wheel-dir", str(work / "dist"), str(ROOT)],
         cwd=work, env=env)
    wheels = sorted((work / "dist").glob("robotframework_nricpuset-*.whl"))
    assert len(wheels) == 1, wheels
    _run([sys.executable, "-m", "venv", str(work / "venv")], cwd=work, env=env)
    bin_dir = work / "venv" / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", *quiet, str(wheels[0])], cwd=work, env=env)
    return bin_dir, env


def test_the_package_is_imported_from_the_environment_not_the_checkout(installed):
    bin_dir, env = installed
    done = _run([str(bin_dir / "python"), "-c", "import CpusetLibrary, nrisim; "
                 "print(CpusetLibrary.__file__); print(nrisim.__file__)"], cwd=bin_dir.parent, env=env)
    for line in done.stdout.split():
        assert Path(line).is_relative_to(bin_dir.parent), line
        assert not Path(line).is_relative_to(ROOT), line


def test_the_console_commands_are_installed(installed):
    bin_dir, env = installed
    for command in ("nrisim", "nricpuset-gate", "nricpuset-fleet", "nricpuset-cleanup"):
        done = _run([str(bin_dir / command), "--help"], cwd=bin_dir.parent, env=env, timeout=60)
        assert "usage:" in done.stdout, command


def test_a_suite_outside_the_checkout_runs_on_the_simulator_the_library_starts(installed, tmp_path):
    bin_dir, env = installed
    suite = tmp_path / "own-procedures" / "installed.robot"
    suite.parent.mkdir()
    suite.write_text(SUITE)
    done = subprocess.run([str(bin_dir / "robot"), "--outputdir", "results", "--console", "dotted",
                           "--loglevel", "DEBUG:INFO", suite.name], cwd=suite.parent, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 test, 1 passed, 0 failed" in done.stdout
    results = suite.parent / "results"
    clusters = list((results / "nrisim").glob("*/cluster.json"))
    assert clusters, f"no simulated cluster was started under {results}"
    gate = _run([str(bin_dir / "nricpuset-gate"), str(results / "output.xml")], cwd=suite.parent, env=env,
                timeout=120)
    assert "1 passed, 0 failed, 0 skipped" in gate.stdout
