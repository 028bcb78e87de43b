"""One run per node (issue 11, point 3) and no leftovers (point 4), with real robot runs against
a simulated cluster served over HTTP in this process (so the test sees its API afterwards)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from kubernetes import client, config

from nrisim.config import SimConfig
from nrisim.latency import profile
from nrisim.server import SimulatedCluster

pytestmark = pytest.mark.suite

ROOT = Path(__file__).resolve().parents[2]
SUITE = "suites/annotated_pod_state_corruption.robot"
LEASE = "nri-cpuset-acceptance-sim-node-1"
MANAGED = "app.kubernetes.io/managed-by=nri-cpuset-acceptance"


def micro(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def sim(tmp_path):
    with SimulatedCluster(SimConfig(workdir=tmp_path / "sim")) as cluster:
        yield cluster


@pytest.fixture
def slow_sim(tmp_path):
    """Realistic latencies: a run lasts long enough to be watched and killed mid-procedure."""
    with SimulatedCluster(SimConfig(workdir=tmp_path / "slowsim", latencies=profile("realistic"))) as cluster:
        yield cluster


def apis(sim) -> tuple[client.CoreV1Api, client.CoordinationV1Api]:
    api_client = config.new_client_from_config(str(sim.kubeconfig_path))
    return client.CoreV1Api(api_client), client.CoordinationV1Api(api_client)


def on(sim) -> list[str]:
    return ["-v", f"KUBECONFIG:{sim.kubeconfig_path}", "-v", f"TARGET_NODE:{sim.node_name}",
            "-v", "NODE_ACCESS:daemonset"]


def hold_lease(coordination, holder: str, renewed: datetime, duration: int) -> None:
    coordination.create_namespaced_lease("default", {
        "metadata": {"name": LEASE, "annotations": {
            "nri-cpuset-acceptance/namespaces": f"annotated-state-test-{holder}",
            "nri-cpuset-acceptance/started": "2026-01-02T03:04:05.000000Z",
            "nri-cpuset-acceptance/from": "ci-runner-7 pid 4242"}},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration, "renewTime": micro(renewed),
                 "acquireTime": micro(renewed)}})


def robot_process(outdir: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    return subprocess.Popen(
        [sys.executable, "-m", "robot", "--outputdir", str(outdir), "--console", "dotted", *args,
         str(ROOT / SUITE)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} within {timeout} s")


# -- point 3: the lease ---------------------------------------------------------------------------

def test_a_node_held_by_a_live_run_fails_at_once_naming_the_holder(robot_run, sim):
    _, coordination = apis(sim)
    hold_lease(coordination, "run-other", datetime.now(timezone.utc), 300)
    run = robot_run(*on(sim), suite=SUITE)
    message = run.suite_message
    assert run.rc != 0 and all(s == "FAIL" for s, _ in run.statuses.values())
    for part in ("node sim-node-1 is held by another test run", "run run-other",
                 "namespace annotated-state-test-run-other", "started 2026-01-02T03:04:05", "ci-runner-7 pid 4242",
                 "LEASE_WAIT"):
        assert part in message, (part, message)
    assert coordination.read_namespaced_lease(LEASE, "default").spec.holder_identity == "run-other"


def test_a_run_waits_for_the_holder_and_takes_the_node_when_its_lease_expires(robot_run, sim):
    _, coordination = apis(sim)
    # never renewed: expires in 15 s, long enough for a progress line (first after 3 s) on a busy machine
    hold_lease(coordination, "run-dying", datetime.now(timezone.utc), 15)
    run = robot_run(*on(sim), "-v", "LEASE_WAIT:60 s", "--test", "Step 01*", suite=SUITE)
    assert run.rc == 0, run.suite_message
    assert "waiting for node sim-node-1: held by run run-dying" in run.stdout  # progress while it waits
    assert "took over the expired lease of node sim-node-1 from run run-dying" in run.stdout
    with pytest.raises(client.ApiException) as gone:  # released at the end
        coordination.read_namespaced_lease(LEASE, "default")
    assert gone.value.status == 404


def test_an_expired_lease_is_taken_over_at_once(robot_run, sim):
    _, coordination = apis(sim)
    hold_lease(coordination, "run-dead", datetime.now(timezone.utc) - timedelta(minutes=5), 30)
    run = robot_run(*on(sim), "--test", "Step 01*", suite=SUITE)
    assert run.rc == 0, run.suite_message
    assert "took over the expired lease" in run.stdout


def test_the_lease_names_the_run_and_is_renewed_while_it_runs(slow_sim, tmp_path):
    core, coordination = apis(slow_sim)
    robot = robot_process(tmp_path / "out", *on(slow_sim), "-v", "LEASE_DURATION:1.5 s")
    try:
        lease = wait_for(lambda: coordination.list_namespaced_lease("default").items, 60, "no lease")[0]
        namespace = wait_for(lambda: core.list_namespace(label_selector=MANAGED).items, 60, "no namespace")[0]
        run_id = namespace.metadata.labels["nri-cpuset-acceptance/run"]
        assert lease.spec.holder_identity == run_id
        first = lease.spec.renew_time

        def renewed_with_namespace():
            now = coordination.read_namespaced_lease(LEASE, "default")
            notes = now.metadata.annotations
            return (now.spec.renew_time > first
                    and notes["nri-cpuset-acceptance/namespaces"] == namespace.metadata.name and now)
        lease = wait_for(renewed_with_namespace, 10, "the lease was not renewed with the namespace")
        assert lease.spec.lease_duration_seconds == 2
        kubectl = ROOT / ".venv" / "bin" / "kubectl"
        kubectl = kubectl if kubectl.exists() else Path(sys.executable).parent / "kubectl"
        if kubectl.exists():
            shown = subprocess.run([str(kubectl), "--kubeconfig", str(slow_sim.kubeconfig_path), "get", "lease",
                                    "-n", "default"], capture_output=True, text=True, timeout=30)
            assert LEASE in shown.stdout and run_id in shown.stdout, shown
    finally:
        robot.send_signal(signal.SIGINT)
        robot.wait(180)


def test_two_runs_at_once_one_holds_the_node_the_other_fails_naming_it(slow_sim, tmp_path):
    # the first run holds the node for the whole procedure (realistic latencies: many seconds);
    # the second starts once the first holds it
    sim = slow_sim
    _, coordination = apis(sim)
    first = robot_process(tmp_path / "out1", *on(sim))
    try:
        wait_for(lambda: coordination.list_namespaced_lease("default").items, 60, "the first run took no lease")
        second = robot_process(tmp_path / "out2", *on(sim), "--test", "Step 0[1-3]*")
        loser = second.communicate(timeout=300)[0]
        winner = first.communicate(timeout=300)[0]
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, winner
    assert second.returncode != 0, loser
    assert "node sim-node-1 is held by another test run" in loser, loser


def test_two_runs_at_once_with_a_wait_both_pass_one_after_the_other(sim, tmp_path):
    runs = [robot_process(tmp_path / f"out{i}", *on(sim), "-v", "LEASE_WAIT:2 min") for i in (1, 2)]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs


# -- point 4: no leftovers ------------------------------------------------------------------------

def _killed_run_leftover(slow_sim, tmp_path) -> tuple[str, client.CoreV1Api]:
    """SIGKILL a run once it has pods; returns its namespace, left behind with pods."""
    core, _ = apis(slow_sim)
    robot = robot_process(tmp_path / "killed", *on(slow_sim), "-v", "LEASE_DURATION:2 s")
    try:
        namespace = wait_for(lambda: core.list_namespace(label_selector=MANAGED).items, 60, "no namespace")[0]
        name = namespace.metadata.name
        wait_for(lambda: core.list_namespaced_pod(name).items, 60, "no pod")
        robot.send_signal(signal.SIGKILL)
        robot.wait(30)
    finally:
        if robot.poll() is None:
            robot.kill()
    assert core.list_namespaced_pod(name).items, "the killed run left nothing: the test proves nothing"
    return name, core


def test_the_next_run_removes_what_a_killed_run_left_on_the_node(robot_run, slow_sim, tmp_path):
    leftover, core = _killed_run_leftover(slow_sim, tmp_path)
    run = robot_run(*on(slow_sim), "-v", "LEASE_WAIT:60 s", "--test", "Step 01*", suite=SUITE)
    assert run.rc == 0, (run.suite_message, run.stdout[-2000:])
    assert f"removing namespaces left behind on node sim-node-1 by earlier runs (their lease has expired): " \
           f"{leftover}" in run.stdout
    assert leftover not in {ns.metadata.name for ns in core.list_namespace().items}


def test_leftovers_can_stop_the_run_naming_them_and_the_cleanup_command(robot_run, slow_sim, tmp_path):
    leftover, core = _killed_run_leftover(slow_sim, tmp_path)
    run = robot_run(*on(slow_sim), "-v", "LEASE_WAIT:60 s", "-v", "REMOVE_LEFTOVERS:false", suite=SUITE)
    assert run.rc != 0
    assert leftover in run.suite_message
    assert f"nricpuset-cleanup --kubeconfig {slow_sim.kubeconfig_path} --node sim-node-1" \
        in run.suite_message
    assert leftover in {ns.metadata.name for ns in core.list_namespace().items}
    done = subprocess.run([str(Path(sys.executable).with_name("nricpuset-cleanup")), "--kubeconfig", str(slow_sim.kubeconfig_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"removing namespace {leftover}" in done.stdout
    assert core.list_namespace(label_selector=MANAGED).items == []


def test_the_simulator_dies_with_a_robot_killed_with_sigkill(tmp_path):
    outdir = tmp_path / "out"
    robot = robot_process(outdir, "-v", "LATENCY_PROFILE:realistic")
    try:
        info_file = outdir / "nrisim" / "annotated_pod_state_corruption" / "cluster.json"
        info = wait_for(lambda: info_file.is_file() and json.loads(info_file.read_text() or "{}"), 60,
                        "the simulator did not start")
        api = client.CoreV1Api(config.new_client_from_config(info["kubeconfig"]))
        wait_for(lambda: api.list_namespace(label_selector=MANAGED).items, 60, "no namespace")
        os.kill(info["pid"], 0)  # alive while robot is
        robot.send_signal(signal.SIGKILL)
        robot.wait(30)
    finally:
        if robot.poll() is None:
            robot.kill()

    def simulator_gone() -> bool:
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            return True
        # a zombie (no parent reaps it until init does) counts as gone
        status = Path(f"/proc/{info['pid']}/status")
        return status.exists() and "\nState:\tZ" in status.read_text()
    wait_for(simulator_gone, 20, "the simulator outlived the robot process killed with SIGKILL")


def test_a_run_whose_lease_is_taken_says_so_and_leaves_the_new_holder_alone(slow_sim, tmp_path):
    _, coordination = apis(slow_sim)
    robot = robot_process(tmp_path / "out", *on(slow_sim), "-v", "LEASE_DURATION:1.5 s")
    try:
        lease = wait_for(lambda: coordination.list_namespaced_lease("default").items, 60, "no lease")[0]
        lease.spec.holder_identity = "run-thief"
        lease.spec.lease_duration_seconds = 300
        coordination.replace_namespaced_lease(LEASE, "default", lease)
        output = robot.communicate(timeout=300)[0]
    finally:
        if robot.poll() is None:
            robot.kill()
    assert "lost the lease of node sim-node-1: it is now held by run run-thief" in output, output[-3000:]
    assert coordination.read_namespaced_lease(LEASE, "default").spec.holder_identity == "run-thief"
