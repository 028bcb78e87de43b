"""Whole robot runs under API faults (issue 11, point 7): every suite of suites/ keeps its verdict
when the simulated API server fails at a rate (head passes every test; a broken plugin still fails
where and as the verdict table says), a run fails naming the cause when the API always fails, and a
cluster that goes away mid-run gives one clear failure whose step the suite teardown's failure
still names."""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kubernetes import client, config
from robot.api import ExecutionResult

from CpusetLibrary.apiretry import RETRIES
from nrisim.config import SimConfig
from nrisim.latency import profile
from nrisim.server import SimulatedCluster
from robot_runner import ROOT, RobotRun, run_robot, simulator_dir

import verdicts as V

pytestmark = pytest.mark.suite

SUITE = "suites/annotated_pod_state_corruption.robot"
MANAGED = "app.kubernetes.io/managed-by=nri-cpuset-acceptance"

#: every kind of fault at once, at rates a loaded control plane can reach; every suite meets each
FAULTS = "error_rate=0.1,throttle_rate=0.05,reset_rate=0.05,lost_reply_rate=0.05,watch_drop=1,seed=7"
#: the kinds that must have fired in the runs (watch_drop only fires on a watch that lasts 1 s)
FIRED = ("error", "throttle", "reset", "lost_reply")
#: broken plugins whose failure must be the same under faults as without (the verdict table's)
BROKEN = (("leak-on-remove", "ten-step"), ("integer-one-too-many", "relocate"))
#: runs at once: most of a run under faults is waiting out back-offs, not CPU
WORKERS = 3
#: the suites that take longest under faults (most API requests), started first
SLOWEST = ("contract", "impossible", "ds-state")


def _key(model: str, suite: str) -> str:
    return f"{model}-{suite}"


def _run(base: Path, model: str, suite: str) -> tuple[str, RobotRun, float]:
    verdict = V.verdict(model, suite)
    variables = (*V.SUITES[suite].variables, *verdict.variables, f"PLUGIN_MODEL:{model}", f"SIM_FAULTS:{FAULTS}")
    started = time.monotonic()
    run = run_robot(base / _key(model, suite), *(arg for v in variables for arg in ("-v", v)),
                    suite=V.SUITES[suite].path, timeout=900)
    return _key(model, suite), run, time.monotonic() - started


@pytest.fixture(scope="module")
def fault_runs(tmp_path_factory) -> dict[str, RobotRun]:
    """Every suite on head and the broken pairs, each in its own robot process, WORKERS at once."""
    base = tmp_path_factory.mktemp("faults")
    pairs = [("head", suite) for suite in V.SUITES] + list(BROKEN)
    pairs.sort(key=lambda pair: pair[1] not in SLOWEST)  # the longest first: a shorter wall time
    started = time.monotonic()
    with ThreadPoolExecutor(WORKERS) as pool:
        done = list(pool.map(lambda pair: _run(base, *pair), pairs))
    seconds = ", ".join(f"{key} {took:.0f} s" for key, _, took in done)
    print(f"\nruns under faults: {time.monotonic() - started:.0f} s wall ({seconds})")
    return {key: run for key, run, _ in done}


def injected(run: RobotRun) -> dict[str, int]:
    """How often each fault fired, as the simulator reported at its exit."""
    text = (simulator_dir(run.outdir) / "nrisim.stderr").read_text()
    found = re.findall(r"^nrisim: API faults injected: (\{.*\})$", text, re.M)
    return json.loads(found[-1]) if found else {}


def test_every_suite_is_run_under_faults():
    on_disk = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "suites").glob("*.robot"))
    assert sorted(s.path for s in V.SUITES.values()) == on_disk


@pytest.mark.timeout(1800)  # the first test waits for every run of the module
@pytest.mark.parametrize("model, suite", [("head", suite) for suite in V.SUITES] + list(BROKEN),
                         ids=lambda value: value)
def test_every_verdict_holds_while_the_api_fails_at_a_rate(fault_runs, model, suite):
    run = fault_runs[_key(model, suite)]
    expected = V.expected_results(V.verdict(model, suite))
    got = [(name, status) for name, (status, _) in run.statuses.items()]
    assert got == [(e.test, e.status) for e in expected], (run.suite_message, run.statuses)
    problems = [p for e in expected for p in V.problems(e, run.message(e.test))]
    assert not problems, problems
    assert run.rc == sum(e.status == "FAIL" for e in expected), run.stdout[-3000:]
    warnings = [line for line in run.stdout.splitlines() if line.startswith("[ WARN ]")]
    assert not [w for w in warnings if "API server" in w or "retr" in w], warnings  # retries are routine
    assert sum(injected(run).values()) > 0, "no fault was injected"


def test_every_kind_of_fault_was_injected(fault_runs):
    total: dict[str, int] = {}
    for run in fault_runs.values():
        for kind, count in injected(run).items():
            total[kind] = total.get(kind, 0) + count
    assert all(total.get(kind, 0) > 0 for kind in FIRED), total


def test_an_api_that_always_fails_stops_the_run_naming_the_cause(robot_run):
    run = robot_run("-v", "SIM_FAULTS:error_rate=1", suite=SUITE)
    message = run.suite_message
    assert run.rc != 0
    assert "answered 503 the server is currently unable to handle the request" in message, message
    assert f"after {RETRIES} retries with back-off, outside a procedure step (suite setup/teardown)" in message, \
        message


def test_a_cluster_that_goes_away_mid_run_fails_once_naming_the_step(robot_run, tmp_path):
    with SimulatedCluster(SimConfig(workdir=tmp_path / "sim", latencies=profile("realistic"))) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))

        def take_the_api_away() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                # not the suite setup's own (the topology probe's namespace, before the plan)
                namespaces = [n for n in api.list_namespace(label_selector=MANAGED).items
                              if not n.metadata.name.startswith("node-topology-")]
                if namespaces and api.list_namespaced_pod(namespaces[0].metadata.name).items:
                    request = urllib.request.Request(f"{sim.api_url}/nrisim/v1/faults", method="POST",
                                                     data=json.dumps({"down": True}).encode())
                    urllib.request.urlopen(request, timeout=10).close()
                    return
                time.sleep(0.05)

        saboteur = threading.Thread(target=take_the_api_away, daemon=True)
        saboteur.start()
        run = robot_run("-v", f"KUBECONFIG:{sim.kubeconfig_path}", "-v", f"TARGET_NODE:{sim.node_name}",
                        "-v", "NODE_ACCESS:daemonset", suite=SUITE, timeout=300)
        saboteur.join(5)
    # robot fails the steps that passed when the suite teardown fails ("Parent suite teardown
    # failed"); exactly one step failed of its own
    failed = [name for name, (status, message) in run.statuses.items()
              if status == "FAIL" and not message.startswith("Parent suite teardown failed")]
    assert len(failed) == 1, run.statuses
    step = failed[0]
    message = run.message(step)
    assert f"API server {sim.api_url} is unreachable" in message and f"while running '{step}'" in message, message
    later = [name for name in run.statuses if name > step]
    assert later and all(run.status(name) == "SKIP" for name in later), run.statuses
    teardown = ExecutionResult(str(run.outdir / "output.xml")).suite.teardown
    assert teardown.status == "FAIL"
    # the teardown's failure names the step during which the API server was first found gone: the
    # failed step, or the one before it when the loss was first seen in that step's teardown
    since = re.search(r"it has been unreachable since '([^']+)'", teardown.message)
    assert since and since.group(1) in (step, max([name for name in run.statuses if name < step], default=step)), \
        teardown.message
