"""Keywords read inside containers (one exec per pod) only what their check uses: counting the
node's free CPUs needs the pods' requests and annotations, not every integer pod's cpuset
(benchmarks/suite_bench.py found those reads repeated on every call, 30 execs per check in the
impossible reallocation procedure). The checks themselves stay what they were."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

SECONDS = timedelta(seconds=10)


@pytest.fixture
def execs(lib, monkeypatch) -> Counter:
    """Pod name -> execs into it from now on."""
    cluster = lib.ctx.require_cluster()
    counted: Counter = Counter()
    real = cluster.exec

    def exec_counted(namespace, pod, *args, **kwargs):
        counted[pod] += 1
        return real(namespace, pod, *args, **kwargs)

    monkeypatch.setattr(cluster, "exec", exec_counted)
    return counted


def start_integer_pods(lib, *names: str) -> None:
    lib("Create Pods Together", *[lib("Pod Body", n, cpu="2", memory="32Mi") for n in names])
    lib("Wait Until Pods Are Ready", *names, timeout=SECONDS)


def test_counting_free_cpus_reads_no_container(lib, execs):
    start_integer_pods(lib, "int-a", "int-b")
    online = len(lib("Online Cpus"))
    execs.clear()
    assert lib("Real Free Cpus") == online - 4
    assert 0 < lib("Free Cpus For A New Integer Pod") <= online - 4  # the scheduler may admit fewer
    assert execs == {}


def test_the_exclusivity_check_reads_each_pod_once(lib, execs):
    start_integer_pods(lib, "int-a", "int-b")
    lib("Create Pods Together", lib("Pod Body", "ann", cpu="100m", cores="0"))
    lib("Wait Until Pods Are Ready", "ann", timeout=SECONDS)
    execs.clear()
    sets = lib("Pods Should Have Exactly Their Requested Cpus", "int-a", "int-b")
    assert execs == {"int-a": 1, "int-b": 1}
    assert all(len(cpus) == 2 and 0 not in cpus for cpus in sets.values())

