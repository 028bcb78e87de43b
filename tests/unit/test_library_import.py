"""Importing the keyword library, and documenting it, touches no cluster."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from CpusetLibrary import CpusetLibrary

ROOT = Path(__file__).resolve().parents[2]


def test_import_connects_to_nothing_and_exposes_the_keywords():
    library = CpusetLibrary()
    names = set(library.get_keyword_names())
    assert {"connect_to_cluster", "wait_until_pods_are_ready", "restart_plugin",
            "pods_should_have_exactly_their_requested_cpus", "log_node_cpu_map"} <= names
    assert library._context.cluster is None and library._context.simulator is None


def test_every_keyword_is_documented(tmp_path):
    library = CpusetLibrary()
    undocumented = [name for name in library.get_keyword_names()
                    if not (library.get_keyword_documentation(name) or "").strip()]
    assert undocumented == []


def test_libdoc_builds_without_a_cluster(tmp_path):
    target = tmp_path / "CpusetLibrary.html"
    done = subprocess.run([sys.executable, "-m", "robot.libdoc", str(ROOT / "libraries" / "CpusetLibrary"),
                           str(target)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Connect To Cluster" in target.read_text()
