"""The release gate fails on failed and on skipped tests (robot's own exit status ignores skips)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from robot import run

#: the console command the distribution installs next to this interpreter
GATE = Path(sys.executable).with_name("nricpuset-gate")


def _output(tmp_path: Path, body: str) -> Path:
    suite = tmp_path / "s.robot"
    suite.write_text("*** Test Cases ***\n" + body)
    run(str(suite), outputdir=str(tmp_path), report="NONE", log="NONE", console="none")
    return tmp_path / "output.xml"


@pytest.mark.parametrize("body, rc, said", [
    ("T\n    No Operation\n", 0, "1 passed, 0 failed, 0 skipped"),
    ("T\n    Skip    not here\n", 1, "0 passed, 0 failed, 1 skipped"),
    ("T\n    Fail    broken\n", 1, "0 passed, 1 failed, 0 skipped"),
])
def test_gate(tmp_path, body, rc, said):
    done = subprocess.run([str(GATE), str(_output(tmp_path, body))],
                          capture_output=True, text=True)
    assert done.returncode == rc, done.stdout
    assert said in done.stdout


def _gate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(GATE), *args], capture_output=True, text=True)


@pytest.mark.parametrize("target, rc", [
    ("SIMULATED cluster (nrisim): no real node or plugin was tested", 1),
    ("SIMULATED cluster (nrisim) hosting a real plugin binary: no real node, kubelet, containerd or cgroups were "
     "tested", 1),
    ("real cluster", 0),
])
def test_require_real_cluster_fails_a_simulated_run(tmp_path, target, rc):
    output = _output(tmp_path, f"T\n    Set Suite Metadata    Target    {target}    top=True\n")
    assert _gate(str(output)).returncode == 0  # without the option the target does not matter
    done = _gate("--require-real-cluster", str(output))
    assert done.returncode == rc, done.stdout
    if rc:
        assert "--require-real-cluster: this run was made on the simulated cluster" in done.stdout


def test_require_real_cluster_fails_a_run_that_never_said_where_it_ran(tmp_path):
    done = _gate("--require-real-cluster", str(_output(tmp_path, "T\n    No Operation\n")))
    assert done.returncode == 1 and "no cluster the run recorded" in done.stdout


def test_output_none_is_judged_from_xunit(tmp_path):
    suite = tmp_path / "s.robot"
    suite.write_text("*** Test Cases ***\nT\n    No Operation\nU\n    Skip    later\n")
    run(str(suite), outputdir=str(tmp_path), output="NONE", report="NONE", log="NONE", xunit="xunit.xml",
        console="none")
    done = _gate("--xunit", str(tmp_path / "xunit.xml"), "NONE")
    assert done.returncode == 1 and "1 passed, 0 failed, 1 skipped" in done.stdout, done.stdout


def test_no_output_at_all_says_why(tmp_path):
    done = _gate("--xunit", str(tmp_path / "xunit.xml"), "NONE")
    assert done.returncode == 1
    assert "robot was run with -o NONE" in done.stdout and "add --xunit xunit.xml" in done.stdout
    done = _gate(str(tmp_path / "elsewhere" / "output.xml"))
    assert done.returncode == 1 and "does not exist" in done.stdout
