"""Benchmark the ten-step suite on the simulated cluster (issue 3, "Performance").

Prints figures; asserts nothing about time. Three measurements:

(a) ``fast`` latency profile (every modeled latency zero except the kubelet back-off and
    ``update_apply``): wall time of the whole suite, repeated ``--runs`` times, median.
(b) ``realistic`` profile: wall time against the sum of the waits the cluster itself
    imposes, and the overhead percentage. Method: every wait keyword the run executed is
    found in output.xml, and what the cluster imposed on *that* wait is computed from the
    latency values of the profile and what the run did (the grace period is read from the
    ``Deleted together (grace N s)`` message the delete keyword logged; a refusal's cause
    from the verdict it logged). See ``imposed_wait``. The figure also shows, per wait, how
    long the run actually waited, so a slow wait is seen apart from slow work between waits.
(c) ``-v PLUGIN_MODEL:leak-on-remove`` (its step 05 fails with accounting corruption): the
    time from the pod's CreateContainerError to the failing step's message. The
    CreateContainerError time is the simulator's own record: the kubelet records the
    ``Failed`` event in the same instant it sets the waiting state, and the simulator names
    every event after a nanosecond wall clock (``<pod>.<hex ns>``). A watcher started by this
    script reads the events while robot runs (namespaces and their events are deleted in
    suite teardown). The message time is the end time, in output.xml, of the keyword that
    raised it (and of the step).

Run: ``python benchmarks/suite_bench.py [--runs 5] [--skip-realistic] [--skip-failure]``.
Exits 1 when a run does not end as expected (all pass; step 05 fails for (c)), because its
figures would then mean nothing.
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
                out.append(KeywordRecord(where, child.name, child.start_time, child.end_time, child.status, msgs))
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

WAITS = ("Wait Until Pods Are Ready", "Wait Until Pods Are Gone", "Wait Until Plugin Has Released Pods",
         "Pod Should Be Refused Genuinely", "Restart Plugin", "Delete Test Namespace")
GRACE_RE = re.compile(r"Deleted together \(grace (\d+) s\)")


def stop_time(lat: Latencies, grace: int) -> float:
    """Container stop as the kubelet does it: SIGTERM, then SIGKILL at the grace period."""
    return min(lat.container_stop, float(grace))


def imposed_wait(record: KeywordRecord, lat: Latencies, last_grace: int | None) -> tuple[float, str]:
    """Seconds the cluster itself imposes on this wait, and how that figure was found.

    Pods are started and stopped concurrently by the kubelet, so a wait on many pods costs
    what one pod costs. Every pod of the procedure has one container."""
    name = record.name
    if name == "Wait Until Pods Are Ready":
        return (lat.schedule + lat.sandbox_start + lat.container_start,
                "schedule + sandbox_start + container_start")
    if name == "Wait Until Pods Are Gone":
        if last_grace is None:
            raise SystemExit(f"{record.where}: a pod wait with no 'Deleted together (grace N s)' before it")
        return stop_time(lat, last_grace), f"min(container_stop, grace {last_grace} s)"
    if name == "Wait Until Plugin Has Released Pods":
        return lat.removal_lag, "removal_lag (RemoveContainer after the stop)"
    if name == "Pod Should Be Refused Genuinely":
        text = " ".join(record.messages)
        if "Insufficient cpu" in text or "FailedScheduling" in text:
            return lat.schedule, "schedule (refused by the scheduler)"
        return lat.schedule + lat.sandbox_start, "schedule + sandbox_start (refused by the plugin)"
    if name == "Restart Plugin":
        return lat.plugin_restart, "plugin_restart"
    if name == "Delete Test Namespace":
        # the keyword deletes the pods still there with the step grace period, then the namespace
        if not any(GRACE_RE.search(m) for m in record.messages):
            return 0.0, "no pod left to stop"
        return stop_time(lat, last_grace), f"min(container_stop, grace {last_grace} s)"
    raise ValueError(name)


def imposed_table(run: Run, lat: Latencies) -> list[tuple[KeywordRecord, float, str]]:
    rows = []
    last_grace: int | None = None
    for record in keywords(run):
        for message in record.messages:
            if m := GRACE_RE.search(message):
                last_grace = int(m.group(1))
        if record.name in WAITS:
            seconds, how = imposed_wait(record, lat, last_grace)
            rows.append((record, seconds, how))
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


def bench_realistic(tmp: Path) -> None:
    lat = profile("realistic")
    run = run_suite(tmp / "realistic", {"LATENCY_PROFILE": "realistic"})
    bad = {k: v for k, v in run.statuses.items() if v != "PASS"}
    if bad:
        raise SystemExit(f"realistic run: not every step passed: {bad}")
    rows = imposed_table(run, lat)
    imposed = sum(s for _, s, _ in rows)
    waited = sum(r.seconds for r, _, _ in rows)
    suite_elapsed = run.result.suite.elapsed_time.total_seconds()
    setup = keywords(run)
    sim_start = sum(r.seconds for r in setup if r.name == "Connect To Cluster")
    print("(b) realistic profile, all 10 steps PASS; the waits the run made and what the cluster imposed on each:")
    print(f"    {'where':<44} {'wait keyword':<36} {'waited':>7} {'imposed':>8}  how")
    for record, seconds, how in rows:
        print(f"    {record.where[:44]:<44} {record.name:<36} {record.seconds:7.2f} {seconds:8.2f}  {how}")
    print(f"    sum of imposed waits: {imposed:.2f} s; time spent in those waits: {waited:.2f} s "
          f"(excess {waited - imposed:+.2f} s)")
    print(f"    outside the waits: {suite_elapsed - waited:.2f} s of the suite, of which simulator start "
          f"{sim_start:.2f} s (a real cluster has none)")
    for label, wall in (("robot process wall", run.wall), ("suite elapsed (output.xml)", suite_elapsed)):
        print(f"    {label}: {wall:.2f} s -> overhead {100 * (wall - imposed) / imposed:.1f} % over the imposed "
              f"waits   [target within 20 %]")
    no_teardown = [(r, s) for r, s, _ in rows if r.name != "Delete Test Namespace"]
    teardown = [r for r, _, _ in rows if r.name == "Delete Test Namespace"]
    if teardown:
        imposed_nt = sum(s for _, s in no_teardown)
        wall_nt = suite_elapsed - teardown[0].seconds
        print(f"    without the suite teardown's namespace deletion: suite {wall_nt:.2f} s vs imposed "
              f"{imposed_nt:.2f} s -> overhead {100 * (wall_nt - imposed_nt) / imposed_nt:.1f} %")


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
    parser.add_argument("--skip-realistic", action="store_true", help="skip (b), about a minute")
    parser.add_argument("--skip-failure", action="store_true", help="skip (c)")
    parser.add_argument("--keep", metavar="DIR", help="keep the robot outputs under DIR")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs must be >= 1, got {args.runs}")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; suite {SUITE.relative_to(ROOT)}")
    with tempfile.TemporaryDirectory(prefix="suite-bench-") as scratch:
        tmp = Path(args.keep).resolve() if args.keep else Path(scratch)
        bench_fast(args.runs, tmp)
        if not args.skip_realistic:
            bench_realistic(tmp)
        if not args.skip_failure:
            bench_failure(tmp, "fast")
            if not args.skip_realistic:
                bench_failure(tmp, "realistic")


if __name__ == "__main__":
    main()
