"""A password passed to robot as `--variable "SSH_PASSWORD: Secret:..."` never reaches
output.xml, log.html, report.html or the console, even at log level TRACE."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from robot_outputs import decoded_robot_html

pytestmark = [pytest.mark.sshd, pytest.mark.suite]

DATA = Path(__file__).parent / "robotdata"
LIBRARIES = Path(__file__).resolve().parents[2] / "libraries"


def test_password_is_absent_from_all_robot_outputs(sshd, tmp_path):
    log = sshd.write_as(sshd.key_user, "robot.log", "line\n")
    wrong = "wrong-" + sshd.password[::-1]
    run = subprocess.run(
        [sys.executable, "-m", "robot", "--loglevel", "TRACE", "--outputdir", str(tmp_path),
         "--pythonpath", str(LIBRARIES), "--pythonpath", str(DATA),
         "--variable", f"SSH_PASSWORD: Secret:{sshd.password}",
         "--variable", f"WRONG_PASSWORD: Secret:{wrong}",
         "--variable", f"PORT:{sshd.port}", "--variable", f"USER:{sshd.password_user}",
         "--variable", f"LOG:{log}", str(DATA / "password.robot")],
        capture_output=True, text=True, timeout=120)
    console = run.stdout + run.stderr
    assert run.returncode == 0, console  # both tests passed: the errors were the expected ones
    outputs = {"output.xml": (tmp_path / "output.xml").read_text(errors="replace"),
               **{name: decoded_robot_html(tmp_path / name) for name in ("log.html", "report.html")}}
    assert "authentication failed with password" in outputs["output.xml"]
    for name, text in {**outputs, "console": console}.items():
        assert sshd.password not in text, name
        assert wrong not in text, name
