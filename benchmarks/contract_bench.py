"""Benchmark the plugin contract suite on the simulated cluster (``fast`` latency profile).

Prints figures; asserts nothing about time (target: the whole suite in 10 s or less on a
2-core machine). Each run is ``python -m robot --loglevel DEBUG:INFO suites/plugin_contract.robot``
in a fresh output directory (log.html and report.html written), timed from process start to
exit, plus the suite's own elapsed time from output.xml and its slowest tests.

Run: ``python benchmarks/contract_bench.py [--runs 5] [--cpus 64] [--numa-nodes 1]``.
Exits 1 when a run does not pass every test, because its figures would then mean nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path


from suite_bench import ROOT, run_suite

SUITE = ROOT / "suites" / "plugin_contract.robot"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cpus", type=int, default=64)
    parser.add_argument("--numa-nodes", type=int, default=1)
    args = parser.parse_args()
    variables = {"LATENCY_PROFILE": "fast", "SIM_CPUS": str(args.cpus), "SIM_NUMA_NODES": str(args.numa_nodes)}
    walls, elapsed, slowest = [], [], {}
    with tempfile.TemporaryDirectory(prefix="contract-bench-") as base:
        for index in range(args.runs):
            run = run_suite(Path(base) / f"run{index}", variables, SUITE)
            bad = {name: status for name, status in run.statuses.items() if status != "PASS"}
            if bad:
                print(f"run {index + 1}: not every test passed: {bad}", file=sys.stderr)
                return 1
            walls.append(run.wall)
            elapsed.append(run.result.suite.elapsed_time.total_seconds())
            for test in run.result.suite.all_tests:
                slowest.setdefault(test.name, []).append(test.elapsed_time.total_seconds())
    print(f"plugin contract suite, {len(slowest)} tests, {args.cpus} CPUs, {args.numa_nodes} NUMA node(s), "
          f"fast profile, {args.runs} runs")
    print(f"  robot process wall: median {statistics.median(walls):.2f} s, min {min(walls):.2f} s, "
          f"max {max(walls):.2f} s (target <= 10 s)")
    print(f"  suite elapsed (output.xml): median {statistics.median(elapsed):.2f} s")
    print("  slowest tests (median):")
    for name, times in sorted(slowest.items(), key=lambda item: -statistics.median(item[1]))[:5]:
        print(f"    {statistics.median(times):5.2f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
