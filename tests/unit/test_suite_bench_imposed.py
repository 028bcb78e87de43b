"""benchmarks/suite_bench.py: what the cluster imposes on a wait follows the test pods' command
as the simulated kubelet models it, and keywords that did not run count nothing."""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import suite_bench  # noqa: E402
from nrisim.latency import profile  # noqa: E402

NOW = datetime.now()


def _record(name: str, status: str = "PASS", messages=(), args=()) -> suite_bench.KeywordRecord:
    return suite_bench.KeywordRecord("Step", name, NOW, NOW, status, list(messages), "CpusetLibrary", tuple(args))


def test_the_test_pods_stop_on_sigterm_so_a_deletion_imposes_no_grace():
    lat = profile("realistic")
    assert suite_bench.test_pods_stop_on_sigterm()
    assert suite_bench.imposed_wait(_record("Wait Until Pods Are Gone"), lat, 5)[0] == 0.0


def test_a_command_ignoring_sigterm_imposes_the_grace_period(monkeypatch):
    import CpusetLibrary.manifests as manifests
    monkeypatch.setattr(manifests, "TEST_POD_COMMAND", ["sleep", "3600"])
    lat = profile("realistic")
    assert suite_bench.imposed_wait(_record("Wait Until Pods Are Gone"), lat, 5)[0] == 5.0
    # grace 0 still waits kubelet's minimum kill grace
    assert suite_bench.imposed_wait(_record("Wait Until Pods Are Gone"), lat, 0)[0] == lat.min_kill_grace


def test_keywords_not_run_or_of_other_owners_impose_nothing():
    lat = profile("realistic")
    assert suite_bench.imposed_wait(_record("Restart Plugin", status="NOT RUN"), lat, None) is None
    other = _record("Wait Until Pods Are Ready")
    other.owner = "plugin_contract"
    assert suite_bench.imposed_wait(other, lat, None) is None
    ready = suite_bench.imposed_wait(_record("Wait Until Pods Are Ready"), lat, None)[0]
    assert ready == lat.schedule + lat.sandbox_start + lat.image_pull + lat.container_start
