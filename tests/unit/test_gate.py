"""The release gate fails on failed and on skipped tests (robot's own exit status ignores skips)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from robot import run

GATE = Path(__file__).resolve().parents[2] / "scripts" / "gate.py"


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
    done = subprocess.run([sys.executable, str(GATE), str(_output(tmp_path, body))],
                          capture_output=True, text=True)
    assert done.returncode == rc, done.stdout
    assert said in done.stdout
