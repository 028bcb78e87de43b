"""Benchmark a plugin binary hosted by the simulator beside the Python model (issue 19, item 10).

Prints figures; asserts nothing about time. In one run:

(a) ``fast`` profile: every suite (or ``--suite``) on the ``head`` model and on the binary
    (``-v PLUGIN_BINARY:...``), wall time of each robot process; the ten-step suite ``--runs``
    times each (median). Target: the binary within 1.5x the model's wall time.
(b) ``realistic`` profile: every suite on the binary, its procedure (suite setup, tests,
    teardown, less the simulator's start) against the waits the cluster imposes, computed as
    ``suite_bench.py`` (b) computes them (``imposed_waits.py``); with ``--with-model`` the model
    beside it. Target: within 1.1x of the imposed waits, as for the model.

Run (root: the binary runs in a private mount namespace):
``python benchmarks/binary_bench.py --plugin-binary PATH [--runs 3] [--suite S] [--skip-realistic]
[--with-model] [--keep DIR]``. Exits 1 when a run does not pass every test: its figures would
mean nothing.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path


from suite_bench import ROOT, SUITE, _passed, realistic_figures, run_suite


def fast_walls(tmp: Path, suite: Path, runs: int, variables: dict[str, str], label: str) -> float:
    walls = []
    for i in range(runs):
        run = run_suite(tmp / f"fast-{label}-{suite.stem}-{i}", {"LATENCY_PROFILE": "fast", **variables}, suite)
        _passed(run, f"fast run {i} of {suite.name} on {label}")
        walls.append(run.wall)
    return statistics.median(walls)


def bench_fast(tmp: Path, suites: list[Path], runs: int, binary: str) -> None:
    print("(a) fast profile: wall time of the robot process, head model against the binary   [target <= 1.5x]")
    print(f"    {'suite':<36} {'runs':>4} {'model':>8} {'binary':>8} {'ratio':>6}")
    total_model = total_binary = 0.0
    for suite in suites:
        count = runs if suite == SUITE else 1
        model = fast_walls(tmp, suite, count, {}, "model")
        hosted = fast_walls(tmp, suite, count, {"PLUGIN_BINARY": binary}, "binary")
        total_model, total_binary = total_model + model, total_binary + hosted
        print(f"    {suite.stem:<36} {count:4d} {model:8.2f} {hosted:8.2f} {hosted / model:5.2f}x")
    if len(suites) > 1:
        print(f"    {'total (ten-step: median)':<36} {'':>4} {total_model:8.2f} {total_binary:8.2f} "
              f"{total_binary / total_model:5.2f}x")


def bench_realistic(tmp: Path, suites: list[Path], binary: str, with_model: bool, verbose: bool) -> None:
    rows = []
    for suite in suites:
        for label, variables in (("binary", {"PLUGIN_BINARY": binary}),) + ((("model", {}),) if with_model else ()):
            run = run_suite(tmp / f"realistic-{label}-{suite.stem}", {"LATENCY_PROFILE": "realistic", **variables},
                            suite)
            _passed(run, f"realistic run of {suite.name} on {label}")
            print(f"[{label}]", end=" ")
            figures = realistic_figures(run, suite, verbose)
            rows.append((label, figures))
    print("(b) realistic profile: procedure against the waits the cluster imposes   [target <= 1.1x]")
    print(f"    {'suite':<36} {'plugin':<7} {'procedure':>9} {'imposed':>8} {'ratio':>6}")
    for label, f in rows:
        print(f"    {f.suite:<36} {label:<7} {f.procedure:9.2f} {f.imposed:8.2f} {f.ratio:5.2f}x")
    for label in sorted({label for label, _ in rows}):
        procedure = sum(f.procedure for lbl, f in rows if lbl == label)
        imposed = sum(f.imposed for lbl, f in rows if lbl == label)
        print(f"    {'total':<36} {label:<7} {procedure:9.2f} {imposed:8.2f} "
              f"{procedure / imposed if imposed else float('inf'):5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plugin-binary", required=True, help="the NRI plugin binary to host")
    parser.add_argument("--runs", type=int, default=3, help="fast-profile runs of the ten-step suite (median)")
    parser.add_argument("--suite", action="append", type=Path, help="only these suites (default: suites/*.robot)")
    parser.add_argument("--skip-fast", action="store_true")
    parser.add_argument("--skip-realistic", action="store_true")
    parser.add_argument("--with-model", action="store_true", help="(b) on the head model too")
    parser.add_argument("--quiet", action="store_true", help="no per-wait tables in (b)")
    parser.add_argument("--keep", type=Path, help="keep every run's output under DIR")
    args = parser.parse_args()
    binary = str(Path(args.plugin_binary).resolve())
    suites = [s.resolve() for s in args.suite] if args.suite else sorted((ROOT / "suites").glob("*.robot"))
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="binary-bench-"))
    if not args.skip_fast:
        bench_fast(tmp, suites, args.runs, binary)
    if not args.skip_realistic:
        bench_realistic(tmp, suites, binary, args.with_model, not args.quiet)


if __name__ == "__main__":
    main()
