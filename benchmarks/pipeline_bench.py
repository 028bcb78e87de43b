"""Benchmark what the pipeline safety adds to a run (issue 11, "Done when"): the node lease,
the leftover check and the variable/partial-run/secret checks, against the wall time of the
ten-step suite with the ``fast`` latency profile.

Prints figures; asserts nothing about time. Method:

(a) the ten-step suite, ``fast`` profile, as a user runs it (robot process, log and report
    written), ``--runs`` times: median wall time. These runs include everything below.
(b) the added work, measured apart, each step exactly as the library does it per run, against
    a simulator process over HTTP (the same code path as a robot run), ``--repeat`` times,
    median: taking the node's lease (read + create), looking for leftovers (namespace list +
    pods on the node), releasing the lease (read + delete), one renewal (the background thread
    renews every LEASE_DURATION/3 = 10 s, so a 3-4 s run renews at most once), checking the
    run's variables, checking the suite selection (it parses the suite file) and protecting
    the secret variables.
(c) the share: (b) / (a).

Run: ``python benchmarks/pipeline_bench.py [--runs 5] [--repeat 30]``.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from robot.running import TestSuite

from CpusetLibrary.cluster import Cluster
from CpusetLibrary.leftovers import find_leftovers
from CpusetLibrary.nodelease import NodeLease
from CpusetLibrary.partialrun import missing_earlier_steps
from CpusetLibrary.runvars import problems_with, simulator_only_given_for_real_cluster
from CpusetLibrary.secrets import SecretRegistry, protect_secret_variables
from CpusetLibrary.simlauncher import start_simulator

SUITE = ROOT / "suites" / "annotated_pod_state_corruption.robot"
VARIABLES = {"SIM_CPUS": "64", "DELETE_GRACE_PERIOD": "5", "POD_READY_TIMEOUT": "2 min", "RELEASE_TIMEOUT": "2 min",
             "RESTART_TIMEOUT": "3 min", "RESTART_COMMAND_TIMEOUT": "2 min", "SSH_SUDO": "False",
             "LATENCY_PROFILE": "fast", "PLUGIN_MODEL": "head", "NODE_ACCESS": "local", "KUBECONFIG": "",
             "LEASE_WAIT": "0", "LEASE_DURATION": "30 s", "REMOVE_LEFTOVERS": "true"}


def suite_wall_times(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "robot", "--outputdir", out, "--console", "none",
                                   str(SUITE)], cwd=ROOT, capture_output=True)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"the suite did not pass (rc {done.returncode}): its time would mean nothing")
    return times


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def added_work(repeat: int) -> dict[str, list[float]]:
    figures: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as work:
        sim = start_simulator(Path(work) / "sim")
        try:
            cluster = Cluster(sim.kubeconfig, request_timeout=30)
            suite_data = TestSuite.from_file_system(str(SUITE))
            for _ in range(repeat):
                lease = NodeLease(cluster.api_client, sim.node, uuid.uuid4().hex[:8], 30)
                steps = {
                    "take the node lease": lambda: lease.acquire(0, progress=print),
                    "look for leftovers": lambda: find_leftovers(cluster, sim.node, lease.run_id),
                    "renew the lease once": lease.renew,
                    "release the lease": lease.release,
                    "check the variables": lambda: (problems_with(VARIABLES),
                                                    simulator_only_given_for_real_cluster(VARIABLES)),
                    "check the suite selection": lambda: missing_earlier_steps(suite_data),
                    "protect secret variables": lambda: protect_secret_variables(
                        {"${SSH_PASSWORD}": "plain-password"}.get, lambda name, value: None, SecretRegistry(), {}),
                }
                for name, step in steps.items():
                    figures.setdefault(name, []).append(timed(step))
            cluster.close()
        finally:
            sim.stop()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    walls = suite_wall_times(args.runs)
    suite = statistics.median(walls)
    print(f"(a) ten-step suite, fast profile, {args.runs} runs: median {suite:.2f} s "
          f"(min {min(walls):.2f}, max {max(walls):.2f})")
    figures = added_work(args.repeat)
    print(f"(b) added work per run, median of {args.repeat}:")
    total = 0.0
    for name, values in figures.items():
        median = statistics.median(values)
        total += median
        print(f"    {name:<28} {median * 1000:7.2f} ms")
    print(f"    {'total':<28} {total * 1000:7.2f} ms")
    share = 100 * total / suite
    print(f"(c) share of the suite's wall time: {share:.2f} % (target < 5 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
