"""Benchmark the suites on the simulated cluster (issue 3 "Performance", issue 10 "the whole
catalog", issue 12 "No grace period waited out" and "Many nodes: pabot").

Prints figures; asserts nothing about time. Four measurements:

(a) ``fast`` latency profile (every modeled latency zero except the kubelet back-off and
    ``update_apply``): every suite in suites/ (or ``--suite``) once, wall time; the ten-step
    suite ``--runs`` times, median.
(b) ``realistic`` profile, every suite in suites/ (or ``--suite``): the procedure's time (suite
    setup, tests, suite teardown, less the simulator's start) against the sum of the waits the
    cluster itself imposes. Method: every library keyword that waits on the cluster and ran is
    found in output.xml, and what the cluster imposed on *that* wait is computed from the
    latency values of the profile and what the run did (pods created and deleted and when in
    the run, grace periods, refusals, restarts, the pods' commands as the simulated kubelet
    models them), replayed on a clock that only the imposed waits advance: see
    ``imposed_waits.py``. The table also shows, per wait, how long the run actually waited, so
    a slow wait is seen apart from slow work between waits, and the part of the imposed time
    the test chose (a duration it watches).
    Then the catalog table: per suite and in total, the wall time with each profile and the
    realistic overhead over the imposed waits.
(c) ``-v PLUGIN_MODEL:leak-on-remove`` (its step 05 fails with accounting corruption): the
    time from the pod's CreateContainerError to the failing step's message. The
    CreateContainerError time is the simulator's own record: the kubelet records the
    ``Failed`` event in the same instant it sets the waiting state, and the simulator names
    every event after a nanosecond wall clock (``<pod>.<hex ns>``). A watcher started by this
    script reads the events while robot runs (namespaces and their events are deleted in
    suite teardown). The message time is the end time, in output.xml, of the keyword that
    raised it (and of the step).
(d) ``nricpuset-fleet --simulated N --latency-profile realistic``: the wall time of the pabot
    fleet run of the ten-step suite on 4 simulated nodes against the same on one node.

Run: ``python benchmarks/suite_bench.py [--runs 5] [--skip-fast] [--skip-realistic] [--suite S]
[--skip-failure] [--skip-fleet] [--quiet] [--keep DIR]``. Exits 1 when a run does not end as
expected (all pass; step 05 fails for (c)), because its figures would then mean nothing.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

from robot.api import ExecutionResult

from imposed_waits import KeywordRecord, imposed_table, keywords
from nrisim.latency import Latencies, profile

SUITE = ROOT / "suites" / "annotated_pod_state_corruption.robot"
CONTRACT = "plugin_contract"
WALL_FILE = "bench-wall.json"

# ---- running robot ----------------------------------------------------------------------


@dataclass
class Run:
    outdir: Path
    wall: float
    rc: int
    result: object  # robot.result.Result

    @property
    def statuses(self) -> dict[str, str]:
        return {t.name: t.status for t in self.result.suite.all_tests}


def run_suite(outdir: Path, variables: dict[str, str], suite: Path = SUITE) -> Run:
    """One robot run as a user runs it (log.html and report.html included), timed from
    process start to process exit."""
    outdir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "robot", "--outputdir", str(outdir), "--loglevel", "DEBUG:INFO",
               "--console", "none"]
    for name, value in variables.items():
        command += ["--variable", f"{name}:{value}"]
    command.append(str(suite))
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    t0 = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    output = outdir / "output.xml"
    if not output.is_file():
        raise SystemExit(f"robot wrote no {output} (exit {proc.returncode}):\n{proc.stdout.decode()[-2000:]}")
    (outdir / WALL_FILE).write_text(json.dumps({"wall": wall, "rc": proc.returncode}))
    return Run(outdir, wall, proc.returncode, ExecutionResult(str(output)))


def load_run(outdir: Path) -> Run:
    """A run kept by ``--keep``; its wall time from the file ``run_suite`` wrote (nan without)."""
    saved = json.loads((outdir / WALL_FILE).read_text()) if (outdir / WALL_FILE).is_file() else {}
    return Run(outdir, saved.get("wall", float("nan")), saved.get("rc", -1),
               ExecutionResult(str(outdir / "output.xml")))


# ---- (c) CreateContainerError -> failing step ---------------------------------------------------


class EventWatcher(threading.Thread):
    """Waits for the simulator the robot run starts, then records the first CreateContainerError
    event (the simulator's own timestamp from the event name, and when this watcher saw it)."""

    def __init__(self, workdir: Path, timeout: float) -> None:
        super().__init__(daemon=True)
        self.workdir = workdir
        self.timeout = timeout
        self.first: dict | None = None
        self.error: str = ""
        self._halt = threading.Event()

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        from kubernetes import client, config, watch
        deadline = time.monotonic() + self.timeout
        info_file = self.workdir / "cluster.json"
        while not info_file.is_file():
            if self._halt.is_set() or time.monotonic() > deadline:
                self.error = f"the simulator never wrote {info_file}"
                return
            time.sleep(0.01)  # benchmark harness: waiting for robot's child process to start
        for _ in range(100):
            try:
                info = json.loads(info_file.read_text())
                break
            except json.JSONDecodeError:
                time.sleep(0.01)
        api = client.CoreV1Api(config.new_client_from_config(info["kubeconfig"]))
        w = watch.Watch()
        try:
            for event in w.stream(api.list_event_for_all_namespaces, timeout_seconds=max(1, int(self.timeout))):
                seen = time.time()
                ev = event["object"]
                # the kubelet's only Warning/Failed is a refused CreateContainer (CreateContainerError)
                if ev.reason == "Failed" and ev.type == "Warning" and ev.involved_object.kind == "Pod" \
                        and self.first is None:
                    suffix = ev.metadata.name.rsplit(".", 1)[-1]
                    self.first = {"pod": ev.involved_object.name, "message": ev.message,
                                  "recorded": int(suffix, 16) / 1e9, "seen": seen}
                    w.stop()
                if self._halt.is_set():
                    w.stop()
        except Exception as err:  # noqa: BLE001 - the simulator stops at the end of the run
            if self.first is None:
                self.error = f"event watch ended: {err}"


def failing_keyword(run: Run) -> tuple[str, KeywordRecord, datetime]:
    """The first failed test, the deepest failed keyword in its body, and the test's end."""
    for test in run.result.suite.all_tests:
        if test.status == "FAIL":
            records = [r for r in keywords(run.result) if r.where == test.name and r.status == "FAIL"
                       and r.name not in ("End Step",)]
            if not records:
                raise SystemExit(f"{test.name} failed but no keyword of it did")
            deepest = max(records, key=lambda r: r.start)
            return test.name, deepest, test.end_time
    raise SystemExit("no test failed")


# ---- reporting --------------------------------------------------------------------------------

#: a library keyword slower than this that no rule counts as a wait is named under its suite's table
UNMODELLED = 0.2


@dataclass
class FastFigures:
    suite: str
    tests: int
    wall: float  # the suite's run; for the ten-step suite the median of --runs
    elapsed: float


def _passed(run: Run, what: str) -> None:
    bad = {k: v for k, v in run.statuses.items() if v != "PASS"}
    if bad:
        raise SystemExit(f"{what}: not every test passed: {bad}")


def bench_fast(runs: int, tmp: Path, suites: list[Path]) -> dict[str, FastFigures]:
    """Every suite once with the fast profile, the ten-step suite ``runs`` times."""
    figures: dict[str, FastFigures] = {}
    for suite in suites:
        count = runs if suite == SUITE else 1
        walls, elapsed = [], []
        for i in range(count):
            run = run_suite(tmp / f"fast-{suite.stem}-{i}", {"LATENCY_PROFILE": "fast"}, suite)
            _passed(run, f"fast run {i} of {suite.name}")
            walls.append(run.wall)
            elapsed.append(run.result.suite.elapsed_time.total_seconds())
        figures[suite.stem] = FastFigures(suite.stem, len(run.statuses), statistics.median(walls),
                                          statistics.median(elapsed))
        if suite == SUITE:
            print(f"(a) fast profile, ten-step suite, {runs} runs, all 10 steps PASS")
            print(f"    wall (robot process, incl. simulator start and log.html): median "
                  f"{statistics.median(walls):.2f} s, min {min(walls):.2f} s, max {max(walls):.2f} s   [target < 20 s]")
            print(f"    suite elapsed (output.xml):                            median "
                  f"{statistics.median(elapsed):.2f} s")
        else:
            print(f"(a) fast profile, {suite.name}: all {len(run.statuses)} tests PASS, wall {run.wall:.2f} s, "
                  f"suite elapsed {elapsed[0]:.2f} s")
    return figures


@dataclass
class RealisticFigures:
    suite: str
    tests: int
    wall: float
    elapsed: float
    sim_start: float
    imposed: float
    by_test: float  # the part of ``imposed`` the test chose (durations it watches)
    waited: float
    procedure: float  # suite setup + tests + suite teardown, less the simulator's start

    @property
    def ratio(self) -> float:
        return self.procedure / self.imposed if self.imposed else float("inf")


def procedure_seconds(run: Run, sim_start: float) -> float:
    """What the procedure itself took: its suite setup, every test (with its setup and teardown)
    and its suite teardown, less the simulator's start (a real cluster has none). Left out:
    robot's own start (library imports) and writing output.xml."""
    suite = run.result.suite
    parts = [suite.setup, suite.teardown, *suite.tests]
    return sum(p.elapsed_time.total_seconds() for p in parts if p) - sim_start


def run_latencies(run: Run) -> Latencies:
    """The latencies the run's simulator applied (``nrisim/<procedure>/cluster.json``): the realistic
    profile with the suite's own overrides (the name-reservation suite's ``SIM_LATENCIES``)."""
    found = sorted((run.outdir / "nrisim").glob("*/cluster.json"))
    values = json.loads(found[0].read_text()).get("latencies") if found else None
    if not values:
        return profile("realistic")
    return Latencies(**{name: float(value) for name, value in values.items()})


def realistic_figures(run: Run, suite: Path, verbose: bool) -> RealisticFigures:
    """(b) for one realistic run: the per-wait table (``verbose``) and the suite's figures."""
    records = keywords(run.result)
    try:
        rows = imposed_table(records, run_latencies(run))
    except ValueError as err:
        raise SystemExit(f"{suite.name}: cannot compute the imposed waits: {err}") from None
    imposed = sum(i.seconds for _, i in rows)
    by_test = sum(i.by_test for _, i in rows)
    waited = sum(r.seconds for r, _ in rows)
    suite_elapsed = run.result.suite.elapsed_time.total_seconds()
    sim_start = sum(r.seconds for r in records if r.name == "Connect To Cluster")
    figures = RealisticFigures(suite.stem, len(run.statuses), run.wall, suite_elapsed, sim_start, imposed, by_test,
                               waited, procedure_seconds(run, sim_start))
    print(f"(b) realistic profile, {suite.name}: all {len(run.statuses)} tests PASS")
    if verbose:
        print(f"    {'where':<44} {'wait keyword':<36} {'waited':>7} {'imposed':>8}  how")
        for record, found in rows:
            test = f" (chosen by the test: {found.by_test:.2f})" if found.by_test else ""
            print(f"    {record.where[:44]:<44} {record.name[:36]:<36} {record.seconds:7.2f} {found.seconds:8.2f}  "
                  f"{found.how}{test}")
    counted = {id(r) for r, _ in rows}
    for record in records:
        if record.owner == "CpusetLibrary" and id(record) not in counted and record.seconds > UNMODELLED \
                and record.name != "Connect To Cluster":
            print(f"    not a wait on the cluster by any rule, yet {record.seconds:.2f} s: {record.where[:44]} / "
                  f"{record.name}")
    print(f"    {len(rows)} waits on the cluster: imposed {imposed:.2f} s (of which chosen by the test "
          f"{by_test:.2f} s), spent in them {waited:.2f} s (excess {waited - imposed:+.2f} s); outside them "
          f"{suite_elapsed - waited:.2f} s, of which simulator start {sim_start:.2f} s")
    print(f"    suite elapsed {suite_elapsed:.2f} s (robot process wall {run.wall:.2f} s); the procedure (setup, "
          f"tests, teardown) less the simulator start {figures.procedure:.2f} s = {figures.ratio:.2f}x the imposed "
          f"waits   [target <= 1.1x]")
    return figures


def bench_realistic(tmp: Path, suite: Path, verbose: bool) -> RealisticFigures:
    run = run_suite(tmp / f"realistic-{suite.stem}", {"LATENCY_PROFILE": "realistic"}, suite)
    _passed(run, f"realistic run of {suite.name}")
    return realistic_figures(run, suite, verbose)


def _ratio(procedure: float, imposed: float) -> str:
    return f"{procedure / imposed:5.2f}x" if imposed else "    -"


def _cell(value: float | None, width: int) -> str:
    """A figure, or ``-`` when there is none (not run, or a kept run without its wall time)."""
    return f"{value:{width}.2f}" if value is not None and not math.isnan(value) else f"{'-':>{width}}"


def catalog(fast: dict[str, FastFigures], realistic: list[RealisticFigures]) -> None:
    """Per suite and in total: wall time with each profile, the realistic procedure against the
    imposed waits."""
    by_suite = {f.suite: f for f in realistic}
    names = sorted(set(fast) | set(by_suite))
    print("catalog: every suite, wall time of the robot process with each profile; realistic procedure "
          "against the waits its cluster imposes")
    print(f"    {'suite':<34} {'tests':>5} {'fast wall':>9} {'real wall':>9} {'procedure':>9} {'imposed':>8} "
          f"{'by test':>7} {'ratio':>6}")

    def row(label: str, chosen: list[str]) -> None:
        fs = [fast[n] for n in chosen if n in fast]
        rs = [by_suite[n] for n in chosen if n in by_suite]
        tests = sum((by_suite.get(n) or fast[n]).tests for n in chosen)
        procedure, imposed = sum(r.procedure for r in rs), sum(r.imposed for r in rs)
        print(f"    {label:<34} {tests:5d} {_cell(sum(f.wall for f in fs) if fs else None, 9)} "
              f"{_cell(sum(r.wall for r in rs) if rs else None, 9)} {_cell(procedure if rs else None, 9)} "
              f"{_cell(imposed if rs else None, 8)} {_cell(sum(r.by_test for r in rs) if rs else None, 7)} "
              f"{_ratio(procedure, imposed) if rs else '     -'}")

    for name in names:
        row(name, [name])
    if len(names) > 1:
        row("total", names)
    if CONTRACT in names and len(names) > 2:
        row(f"total without {CONTRACT}", [n for n in names if n != CONTRACT])
    print("    wall: robot process start to exit (simulator start and log.html included); procedure: suite setup, "
          "tests, teardown, less the simulator start; imposed: the waits the cluster imposes (by test: the part "
          "the test chose to watch); ratio = procedure / imposed   [target <= 1.1x]")
    ten = by_suite.get(SUITE.stem)
    if ten:
        print(f"    ten-step suite, realistic: elapsed {ten.elapsed:.2f} s, robot process wall "
              f"{_cell(ten.wall, 0).strip()} s   [target < 12 s]")


# ---- (d) a fleet run with pabot -----------------------------------------------------------------


def run_fleet(outdir: Path, nodes: int) -> tuple[float, object]:
    """nricpuset-fleet on a simulated cluster of ``nodes`` nodes (realistic profile), timed
    from process start to exit (simulator start, pabot, merge and gate included)."""
    command = [str(Path(sys.executable).with_name("nricpuset-fleet")), "--simulated", str(nodes),
               "--latency-profile", "realistic", "-d", str(outdir)]
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    t0 = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=outdir.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"fleet run on {nodes} nodes failed (exit {proc.returncode}):\n"
                         f"{proc.stdout.decode()[-2000:]}")
    return wall, ExecutionResult(str(outdir / "output.xml"))


def bench_fleet(tmp: Path, nodes: int) -> None:
    tmp.mkdir(parents=True, exist_ok=True)
    one_wall, one = run_fleet(tmp / "fleet-1", 1)
    many_wall, many = run_fleet(tmp / f"fleet-{nodes}", nodes)
    per_node = sorted(s.elapsed_time.total_seconds() for s in many.suite.suites)
    one_suite = one.suite.elapsed_time.total_seconds()  # one node: its suite is the top suite
    print("(d) pabot fleet run (nricpuset-fleet --simulated N, realistic profile), ten-step suite, every "
          "test PASS on every node")
    print(f"    1 node:  wall {one_wall:.2f} s (suite {one_suite:.2f} s)")
    print(f"    {nodes} nodes: wall {many_wall:.2f} s (suites {', '.join(f'{s:.2f}' for s in per_node)} s) "
          f"-> {many_wall / one_wall:.2f}x one node's wall   [target <= 1.5x]")


def bench_failure(tmp: Path, profile_name: str) -> None:
    outdir = tmp / f"leak-{profile_name}"
    sim_dir = outdir / "nrisim" / SUITE.stem  # the procedure's simulated cluster's folder
    watcher = EventWatcher(sim_dir, timeout=600)
    sim_dir.mkdir(parents=True, exist_ok=True)
    (sim_dir / "cluster.json").unlink(missing_ok=True)
    watcher.start()
    run = run_suite(outdir, {"LATENCY_PROFILE": profile_name, "PLUGIN_MODEL": "leak-on-remove"})
    watcher.stop()
    watcher.join(timeout=10)
    test, record, test_end = failing_keyword(run)
    if not test.startswith("Step 05"):
        raise SystemExit(f"leak-on-remove: expected Step 05 to fail, {test} failed first")
    first = watcher.first
    if first is None:
        raise SystemExit(f"leak-on-remove: no CreateContainerError event seen ({watcher.error or 'none recorded'})")
    raised = record.end.timestamp()
    print(f"(c) leak-on-remove, {profile_name} profile: {test} FAIL; first CreateContainerError on pod {first['pod']}")
    print(f"    event recorded by the simulator -> '{record.name}' raised the failure: "
          f"{1000 * (raised - first['recorded']):.0f} ms; -> the step ended: "
          f"{1000 * (test_end.timestamp() - first['recorded']):.0f} ms")
    print(f"    (this script's own watch saw the event {1000 * (first['seen'] - first['recorded']):.0f} ms after "
          f"the simulator recorded it; the waiting keyword started "
          f"{1000 * (record.start.timestamp() - first['recorded']):+.0f} ms from it)")
    message = next((m for m in record.messages if "accounting corruption" in m), "")
    print(f"    message: {message[:160]}{'...' if len(message) > 160 else ''}")


def analyse(kept: Path, suites: list[Path], verbose: bool) -> None:
    """(b) and the catalog table again from the outputs a ``--keep DIR`` run left (no robot run)."""
    fast: dict[str, FastFigures] = {}
    realistic: list[RealisticFigures] = []
    for suite in suites:
        runs = sorted(kept.glob(f"fast-{suite.stem}-*/output.xml"))
        if runs:
            loaded = [load_run(r.parent) for r in runs]
            fast[suite.stem] = FastFigures(suite.stem, len(loaded[0].statuses),
                                           statistics.median(r.wall for r in loaded),
                                           statistics.median(r.result.suite.elapsed_time.total_seconds()
                                                             for r in loaded))
        if (kept / f"realistic-{suite.stem}" / "output.xml").is_file():
            realistic.append(realistic_figures(load_run(kept / f"realistic-{suite.stem}"), suite, verbose))
    if not fast and not realistic:
        raise SystemExit(f"--analyse {kept}: no fast-<suite>-N/ or realistic-<suite>/ output.xml of the suites")
    catalog(fast, realistic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fast-profile runs of the ten-step suite (median); "
                                                           "default 5")
    parser.add_argument("--skip-fast", action="store_true", help="skip (a)")
    parser.add_argument("--skip-realistic", action="store_true", help="skip (b), about 4 minutes")
    parser.add_argument("--suite", action="append", type=Path,
                        help="suite for (a) and (b) (repeat); default every suite in suites/")
    parser.add_argument("--skip-failure", action="store_true", help="skip (c)")
    parser.add_argument("--skip-fleet", action="store_true", help="skip (d)")
    parser.add_argument("--fleet-nodes", type=int, default=4, help="simulated nodes for (d); default 4")
    parser.add_argument("--quiet", action="store_true", help="(b) without the per-wait table")
    parser.add_argument("--keep", metavar="DIR", help="keep the robot outputs under DIR")
    parser.add_argument("--analyse", metavar="DIR", type=Path,
                        help="run nothing: print (b) and the catalog from the outputs a --keep DIR run kept")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    if args.fleet_nodes < 2:
        parser.error(f"--fleet-nodes must be >= 2, got {args.fleet_nodes}")
    suites = [s.resolve() for s in args.suite] if args.suite else sorted((ROOT / "suites").glob("*.robot"))
    for suite in suites:
        if not suite.is_file():
            parser.error(f"--suite {suite}: no such suite file")
    if args.analyse:
        if not args.analyse.is_dir():
            parser.error(f"--analyse {args.analyse}: no such directory")
        analyse(args.analyse.resolve(), suites, not args.quiet)
        return
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; load average "
          f"{os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="suite-bench-") as scratch:
        tmp = Path(args.keep).resolve() if args.keep else Path(scratch)
        fast = {} if args.skip_fast else bench_fast(args.runs, tmp, suites)
        realistic = [] if args.skip_realistic else [bench_realistic(tmp, suite, not args.quiet) for suite in suites]
        if fast or realistic:
            catalog(fast, realistic)
        if not args.skip_failure:
            bench_failure(tmp, "fast")
            if not args.skip_realistic:
                bench_failure(tmp, "realistic")
        if not args.skip_fleet:
            bench_fleet(tmp, args.fleet_nodes)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
