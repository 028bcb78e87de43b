"""Benchmark the suites on the simulated cluster (issue 3 "Performance", issue 12 "No grace
period waited out" and "Many nodes: pabot").

Prints figures; asserts nothing about time. Four measurements:

(a) ``fast`` latency profile (every modeled latency zero except the kubelet back-off and
    ``update_apply``): wall time of the ten-step suite, repeated ``--runs`` times, median.
(b) ``realistic`` profile, every suite in suites/ (or ``--suite``): the procedure's time (suite
    setup, tests, suite teardown, less the simulator's start) against the sum of the waits the
    cluster itself imposes. Method: every library keyword that waits on the cluster and ran is
    found in output.xml, and what the cluster imposed on *that* wait is computed from the
    latency values of the profile and what the run did (the grace period from the
    ``Deleted together (grace N s)`` message the delete logged; a refusal's cause from the
    verdict it logged; whether the test pods stop on SIGTERM from the simulated kubelet's model
    of their command). See ``imposed_wait``. The table also shows, per wait, how long the run
    actually waited, so a slow wait is seen apart from slow work between waits.
(c) ``-v PLUGIN_MODEL:leak-on-remove`` (its step 05 fails with accounting corruption): the
    time from the pod's CreateContainerError to the failing step's message. The
    CreateContainerError time is the simulator's own record: the kubelet records the
    ``Failed`` event in the same instant it sets the waiting state, and the simulator names
    every event after a nanosecond wall clock (``<pod>.<hex ns>``). A watcher started by this
    script reads the events while robot runs (namespaces and their events are deleted in
    suite teardown). The message time is the end time, in output.xml, of the keyword that
    raised it (and of the step).

(d) ``scripts/run_fleet.py --simulated N --latency-profile realistic``: the wall time of the pabot
    fleet run of the ten-step suite on 4 simulated nodes against the same on one node.

Run: ``python benchmarks/suite_bench.py [--runs 5] [--skip-fast] [--skip-realistic] [--suite S]
[--skip-failure] [--skip-fleet] [--quiet]``. Exits 1 when a run does not end as expected (all
pass; step 05 fails for (c)), because its figures would then mean nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "libraries"))

from robot.api import ExecutionResult  # noqa: E402

from nrisim.latency import Latencies, profile  # noqa: E402
from robot.utils import timestr_to_secs  # noqa: E402

SUITE = ROOT / "suites" / "annotated_pod_state_corruption.robot"

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
    return Run(outdir, wall, proc.returncode, ExecutionResult(str(output)))


# ---- walking output.xml -------------------------------------------------------------------


@dataclass
class KeywordRecord:
    where: str  # test name, or "suite setup" / "suite teardown"
    name: str
    start: datetime
    end: datetime
    status: str
    messages: list[str] = field(default_factory=list)
    owner: str = ""  # the library or resource file the keyword comes from
    args: tuple[str, ...] = ()

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def keywords(run: Run) -> list[KeywordRecord]:
    """Every keyword run, in order, with where it ran and its own messages."""
    out: list[KeywordRecord] = []

    def walk(items, where: str) -> None:
        for child in items:
            if getattr(child, "type", "") in ("KEYWORD", "SETUP", "TEARDOWN"):
                msgs = [m.message for m in child.body if getattr(m, "type", "") == "MESSAGE"]
                out.append(KeywordRecord(where, child.name, child.start_time, child.end_time, child.status, msgs,
                                         getattr(child, "owner", "") or "", tuple(map(str, child.args))))
            walk(getattr(child, "body", ()), where)

    suite = run.result.suite
    for s in [suite, *suite.suites]:
        walk([s.setup] if s.setup else [], "suite setup")
        for test in s.tests:
            walk([test.setup] if test.setup else [], test.name)
            walk(test.body, test.name)
            walk([test.teardown] if test.teardown else [], test.name)
        walk([s.teardown] if s.teardown else [], "suite teardown")
    return out


# ---- (b) imposed waits ----------------------------------------------------------------------

GRACE_RE = re.compile(r"Deleted together \(grace (\d+) s\)")
LIBRARY = "CpusetLibrary"


def test_pods_stop_on_sigterm() -> bool:
    """Whether the test pods' command (the one every manifest and ``Pod Body`` use) stops at once
    on SIGTERM, as the simulated kubelet decides it from the command line."""
    from CpusetLibrary.manifests import TEST_POD_COMMAND
    from nrisim.node.process import model_command
    return model_command(TEST_POD_COMMAND, None).on_term == "exit"


def stop_time(lat: Latencies, grace: int) -> float:
    """Container stop as the kubelet does it: SIGTERM; a command that honours it is gone at once,
    one that ignores it is killed at the grace period (at least ``min_kill_grace``)."""
    if test_pods_stop_on_sigterm():
        return 0.0
    return min(lat.container_stop, max(float(grace), lat.min_kill_grace))


def start_time(lat: Latencies) -> float:
    return lat.schedule + lat.sandbox_start + lat.image_pull + lat.container_start


START_HOW = "schedule + sandbox_start + image_pull + container_start"


def _arg(record: KeywordRecord, name: str, default: str) -> str:
    for arg in record.args:
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return default


def imposed_wait(record: KeywordRecord, lat: Latencies, last_grace: int | None) -> tuple[float, str] | None:
    """Seconds the cluster itself imposes on this library keyword, and how that figure was found;
    None for a keyword that does not wait on the cluster.

    Pods are started and stopped concurrently by the kubelet, so a wait on many pods costs
    what one pod costs. Every pod of the procedures has one container."""
    if record.owner != LIBRARY or record.status not in ("PASS", "FAIL"):  # NOT RUN: an IF branch not taken
        return None
    name = record.name
    stop_how = ("stop: the test pods exit on SIGTERM" if test_pods_stop_on_sigterm()
                else "min(container_stop, max(grace, min_kill_grace))")
    if name == "Wait Until Pods Are Ready":
        return start_time(lat), START_HOW
    if name == "Wait Until Pods Are Gone":
        if last_grace is None:
            raise SystemExit(f"{record.where}: a pod wait with no 'Deleted together (grace N s)' before it")
        return stop_time(lat, last_grace), f"{stop_how} (grace {last_grace} s)"
    if name == "Wait Until Plugin Has Released Pods":
        return lat.removal_lag, "removal_lag (RemoveContainer after the stop)"
    if name == "Pod Should Be Refused Genuinely":
        text = " ".join(record.messages)
        if "Insufficient cpu" in text or "FailedScheduling" in text:
            return lat.schedule, "schedule (refused by the scheduler)"
        return lat.schedule + lat.sandbox_start + lat.image_pull, "schedule + sandbox_start + image_pull (plugin)"
    if name == "Pod Should Be Refused By The Plugin":
        return lat.schedule + lat.sandbox_start + lat.image_pull, "schedule + sandbox_start + image_pull"
    if name == "Wait Until Pods Leave Cpus":
        # queued at the annotated container's CreateContainer, which was Ready container_start later
        return max(0.0, lat.update_apply - lat.container_start), "update_apply - container_start"
    if name == "Restart Plugin":
        return lat.plugin_restart, "plugin_restart"
    if name == "Pod Should Stay Ready":
        seconds = timestr_to_secs(record.args[1] if len(record.args) > 1 and "=" not in record.args[1]
                                  else _arg(record, "duration", "5 s"))
        return seconds, "the duration the test watches (chosen by the test)"
    if name == "Clean Up Test Pods":
        grace = [int(m.group(1)) for msg in record.messages if (m := GRACE_RE.search(msg))]
        if not grace:
            return 0.0, "no pod to clean up"
        return stop_time(lat, grace[-1]) + lat.removal_lag, f"{stop_how} + removal_lag"
    if name == "Cpus Reserved For No Pod":
        text = " ".join(record.messages)
        started = "shared CPU pool is empty" not in text
        return ((start_time(lat) if started else lat.schedule + lat.sandbox_start + lat.image_pull)
                + stop_time(lat, 0) + (lat.removal_lag if started else 0.0),
                f"probe: {START_HOW if started else 'refusal'}, stop, removal_lag")
    if name == "Delete Test Namespace":
        # the keyword deletes the pods still there with the step grace period, then the namespace
        grace = [int(m.group(1)) for msg in record.messages if (m := GRACE_RE.search(msg))]
        if not grace:
            return 0.0, "no pod left to stop"
        return stop_time(lat, grace[-1]), f"{stop_how} (grace {grace[-1]} s)"
    return None


def imposed_table(run: Run, lat: Latencies) -> list[tuple[KeywordRecord, float, str]]:
    rows = []
    last_grace: int | None = None
    for record in keywords(run):
        for message in record.messages:
            if m := GRACE_RE.search(message):
                last_grace = int(m.group(1))
        found = imposed_wait(record, lat, last_grace)
        if found is not None:
            rows.append((record, *found))
    return rows


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
            records = [r for r in keywords(run) if r.where == test.name and r.status == "FAIL"
                       and r.name not in ("End Step",)]
            if not records:
                raise SystemExit(f"{test.name} failed but no keyword of it did")
            deepest = max(records, key=lambda r: r.start)
            return test.name, deepest, test.end_time
    raise SystemExit("no test failed")


# ---- reporting --------------------------------------------------------------------------------


def bench_fast(runs: int, tmp: Path) -> None:
    walls, suites = [], []
    for i in range(runs):
        run = run_suite(tmp / f"fast-{i}", {"LATENCY_PROFILE": "fast"})
        bad = {k: v for k, v in run.statuses.items() if v != "PASS"}
        if bad:
            raise SystemExit(f"fast run {i}: not every step passed: {bad}")
        walls.append(run.wall)
        suites.append(run.result.suite.elapsed_time.total_seconds())
    print(f"(a) fast profile, {runs} runs, all 10 steps PASS")
    print(f"    wall (robot process, incl. simulator start and log.html): median {statistics.median(walls):.2f} s, "
          f"min {min(walls):.2f} s, max {max(walls):.2f} s   [target < 20 s]")
    print(f"    suite elapsed (output.xml):                            median {statistics.median(suites):.2f} s")


@dataclass
class RealisticFigures:
    suite: str
    tests: int
    wall: float
    elapsed: float
    sim_start: float
    imposed: float
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


def bench_realistic(tmp: Path, suite: Path, verbose: bool) -> RealisticFigures:
    lat = profile("realistic")
    run = run_suite(tmp / f"realistic-{suite.stem}", {"LATENCY_PROFILE": "realistic"}, suite)
    bad = {k: v for k, v in run.statuses.items() if v != "PASS"}
    if bad:
        raise SystemExit(f"realistic run of {suite.name}: not every test passed: {bad}")
    rows = imposed_table(run, lat)
    imposed = sum(s for _, s, _ in rows)
    waited = sum(r.seconds for r, _, _ in rows)
    suite_elapsed = run.result.suite.elapsed_time.total_seconds()
    sim_start = sum(r.seconds for r in keywords(run) if r.name == "Connect To Cluster")
    figures = RealisticFigures(suite.stem, len(run.statuses), run.wall, suite_elapsed, sim_start, imposed, waited,
                               procedure_seconds(run, sim_start))
    print(f"(b) realistic profile, {suite.name}: all {len(run.statuses)} tests PASS")
    if verbose:
        print(f"    {'where':<44} {'wait keyword':<36} {'waited':>7} {'imposed':>8}  how")
        for record, seconds, how in rows:
            print(f"    {record.where[:44]:<44} {record.name[:36]:<36} {record.seconds:7.2f} {seconds:8.2f}  {how}")
    print(f"    {len(rows)} waits on the cluster: imposed {imposed:.2f} s, spent in them {waited:.2f} s "
          f"(excess {waited - imposed:+.2f} s); outside them {suite_elapsed - waited:.2f} s, of which "
          f"simulator start {sim_start:.2f} s")
    print(f"    suite elapsed {suite_elapsed:.2f} s (robot process wall {run.wall:.2f} s); the procedure (setup, "
          f"tests, teardown) less the simulator start {figures.procedure:.2f} s = {figures.ratio:.2f}x the imposed "
          f"waits   [target <= 1.1x]")
    return figures


def summary(all_figures: list[RealisticFigures]) -> None:
    print("(b) summary, realistic profile:")
    print(f"    {'suite':<32} {'tests':>5} {'wall':>7} {'elapsed':>8} {'sim start':>9} {'procedure':>9} "
          f"{'imposed':>8} {'ratio':>6}")
    for f in all_figures:
        print(f"    {f.suite:<32} {f.tests:5d} {f.wall:7.2f} {f.elapsed:8.2f} {f.sim_start:9.2f} {f.procedure:9.2f} "
              f"{f.imposed:8.2f} {f.ratio:5.2f}x")
    print("    ratio = procedure / imposed   [target <= 1.1x]")
    ten = next((f for f in all_figures if f.suite == SUITE.stem), None)
    if ten:
        print(f"    ten-step suite: elapsed {ten.elapsed:.2f} s, robot process wall {ten.wall:.2f} s   [target < 12 s]")


# ---- (d) a fleet run with pabot -----------------------------------------------------------------


def run_fleet(outdir: Path, nodes: int) -> tuple[float, object]:
    """scripts/run_fleet.py on a simulated cluster of ``nodes`` nodes (realistic profile), timed
    from process start to exit (simulator start, pabot, merge and gate included)."""
    command = [sys.executable, str(ROOT / "scripts" / "run_fleet.py"), "--simulated", str(nodes),
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
    print(f"(d) pabot fleet run (scripts/run_fleet.py --simulated N, realistic profile), ten-step suite, every "
          f"test PASS on every node")
    print(f"    1 node:  wall {one_wall:.2f} s (suite {one_suite:.2f} s)")
    print(f"    {nodes} nodes: wall {many_wall:.2f} s (suites {', '.join(f'{s:.2f}' for s in per_node)} s) "
          f"-> {many_wall / one_wall:.2f}x one node's wall   [target <= 1.5x]")


def bench_failure(tmp: Path, profile_name: str) -> None:
    outdir = tmp / f"leak-{profile_name}"
    watcher = EventWatcher(outdir / "nrisim", timeout=600)
    (outdir / "nrisim").mkdir(parents=True, exist_ok=True)
    (outdir / "nrisim" / "cluster.json").unlink(missing_ok=True)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="fast-profile runs (median); default 5")
    parser.add_argument("--skip-fast", action="store_true", help="skip (a)")
    parser.add_argument("--skip-realistic", action="store_true", help="skip (b), a few minutes")
    parser.add_argument("--suite", action="append", type=Path,
                        help="suite for (b) (repeat); default every suite in suites/")
    parser.add_argument("--skip-failure", action="store_true", help="skip (c)")
    parser.add_argument("--skip-fleet", action="store_true", help="skip (d)")
    parser.add_argument("--fleet-nodes", type=int, default=4, help="simulated nodes for (d); default 4")
    parser.add_argument("--quiet", action="store_true", help="(b) without the per-wait table")
    parser.add_argument("--keep", metavar="DIR", help="keep the robot outputs under DIR")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    if args.fleet_nodes < 2:
        parser.error(f"--fleet-nodes must be >= 2, got {args.fleet_nodes}")
    suites = [s.resolve() for s in args.suite] if args.suite else sorted((ROOT / "suites").glob("*.robot"))
    for suite in suites:
        if not suite.is_file():
            parser.error(f"--suite {suite}: no such suite file")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; load average "
          f"{os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory(prefix="suite-bench-") as scratch:
        tmp = Path(args.keep).resolve() if args.keep else Path(scratch)
        if not args.skip_fast:
            bench_fast(args.runs, tmp)
        if not args.skip_realistic:
            summary([bench_realistic(tmp, suite, not args.quiet) for suite in suites])
        if not args.skip_failure:
            bench_failure(tmp, "fast")
            if not args.skip_realistic:
                bench_failure(tmp, "realistic")
        if not args.skip_fleet:
            bench_fleet(tmp, args.fleet_nodes)
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
