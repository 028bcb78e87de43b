"""The standalone simulator (`python -m nrisim`, as a QA engineer starts it for kubectl) logs
plugin refusals as single lines and leaves no temporary work directory behind on a normal stop."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

LIBRARIES = str(Path(__file__).resolve().parents[2] / "libraries")

REFUSED_POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "bad", "namespace": "default", "annotations": {"weka.io/cores-ids": "999"}},
    "spec": {"containers": [{"name": "c", "image": "busybox:latest", "command": ["sleep", "3600"],
                             "resources": {"requests": {"cpu": "1", "memory": "1Gi"},
                                           "limits": {"cpu": "1", "memory": "1Gi"}}}]},
}


def _start(*args: str) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([sys.executable, "-m", "nrisim", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": LIBRARIES})
    line = proc.stdout.readline()
    try:
        return proc, json.loads(line)
    except ValueError:
        proc.kill()
        raise AssertionError(f"first stdout line is not JSON: {line!r}; stderr: {proc.stderr.read()}") from None


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_refusals_are_lines_and_the_temporary_workdir_goes_on_stop(stop):
    proc, info = _start()
    workdir = Path(info["workdir"])
    try:
        assert workdir.is_dir()
        request = urllib.request.Request(f"{info['api_url']}/api/v1/namespaces/default/pods", method="POST",
                                         data=json.dumps(REFUSED_POD).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()
        log = Path(info["plugin_log"])
        _wait_for(lambda: log.read_text().count("CPU(s) not online") >= 2)  # refused, and retried
    finally:
        proc.send_signal(stop)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "background task failed" not in stderr, stderr
    refusals = [line for line in stderr.splitlines() if "CreateContainer c of pod default/bad failed" in line]
    assert refusals and all("CPU(s) not online" in line for line in refusals), stderr
    assert not workdir.exists(), f"{workdir} left behind"


def test_keep_workdir_keeps_it_and_says_where():
    proc, info = _start("--keep-workdir")
    workdir = Path(info["workdir"])
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    try:
        assert proc.returncode == 0, stderr
        assert workdir.is_dir() and (workdir / "cluster.json").is_file()
        assert f"work directory kept (--keep-workdir): {workdir}" in stderr
    finally:
        subprocess.run(["rm", "-rf", str(workdir)], check=False)


def test_a_named_workdir_is_left_in_place(tmp_path):
    proc, info = _start("--workdir", str(tmp_path / "w"))
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr
    assert (tmp_path / "w" / "cluster.json").is_file()
