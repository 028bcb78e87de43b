"""A run right after a killed run (issue 20, item 9): it takes the lease of a holder that is
provably dead at once, waits (bounded, with progress) for the lease of a holder it cannot judge,
and waits for the plugin's release of every container the killed run left before its first step,
so a correct plugin passes."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from CpusetLibrary.nodelease import Holder
from test_one_run_per_node import (LEASE, MANAGED, SUITE, apis, hold_lease, on, robot_process,  # noqa: F401
                                   slow_sim, sim, wait_for)

pytestmark = pytest.mark.suite


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_holder_on_this_host_whose_process_is_gone_is_provably_dead():
    now = datetime.now(timezone.utc)
    here = socket.gethostname()

    def holder(origin: str) -> Holder:
        return Holder("run-x", "", "", origin, now, 30)
    assert holder(f"{here} pid {_dead_pid()}").provably_dead
    assert not holder(f"{here} pid {os.getpid()}").provably_dead  # this very process
    assert not holder(f"{here} pid {os.getppid()}").provably_dead  # alive
    assert not holder(f"elsewhere-host pid {_dead_pid()}").provably_dead  # cannot be judged from here
    assert not holder("").provably_dead


def test_a_retry_right_after_a_kill_takes_over_and_waits_for_the_release(robot_run, slow_sim, tmp_path):
    core, coordination = apis(slow_sim)
    killed = robot_process(tmp_path / "killed", *on(slow_sim))  # the default 30 s lease
    try:
        namespace = wait_for(lambda: core.list_namespace(label_selector=MANAGED).items, 60, "no namespace")[0]
        name = namespace.metadata.name
        wait_for(lambda: [p for p in core.list_namespaced_pod(name).items
                          if p.status.phase == "Running"], 90, "no running pod")
        killed.send_signal(signal.SIGKILL)
        killed.wait(30)
    finally:
        if killed.poll() is None:
            killed.kill()
    lease = coordination.read_namespaced_lease(LEASE, "default")
    renewed = lease.spec.renew_time
    assert renewed + timedelta(seconds=lease.spec.lease_duration_seconds) > datetime.now(timezone.utc), \
        "the killed run's lease expired already: the test proves nothing"
    run = robot_run(*on(slow_sim), "-v", "LATENCY_PROFILE:realistic", suite=SUITE)
    assert run.rc == 0, (run.suite_message, run.statuses, run.stdout[-3000:])
    assert "that run's process is gone from this host" in run.stdout, run.stdout[:3000]
    assert "removing namespaces left behind on node sim-node-1 by earlier runs" in run.stdout
    assert "left behind by earlier runs; waited" in run.stdout and "before the first step" in run.stdout


def test_a_holder_that_cannot_be_judged_is_waited_for_until_its_lease_expires(robot_run, sim):
    _, coordination = apis(sim)
    # from another machine, never renewed: it may be a killed run; its lease expires in 20 s
    # (long enough that robot has started and looked before it does, on a busy machine)
    hold_lease(coordination, "run-elsewhere", datetime.now(timezone.utc), 20)
    run = robot_run(*on(sim), "-v", "LEASE_WAIT:0", "--test", "Step 01*", suite=SUITE)
    assert run.rc == 0, run.suite_message
    assert "held by run run-elsewhere" in run.stdout and "not renewed since this run started looking" in run.stdout
    assert "took over the expired lease of node sim-node-1 from run run-elsewhere" in run.stdout


def test_a_long_lease_of_a_holder_that_cannot_be_judged_still_blocks(robot_run, sim):
    _, coordination = apis(sim)
    hold_lease(coordination, "run-other", datetime.now(timezone.utc), 300)
    run = robot_run(*on(sim), "--test", "Step 01*", suite=SUITE)
    assert run.rc != 0 and "node sim-node-1 is held by another test run" in run.suite_message
    assert coordination.read_namespaced_lease(LEASE, "default").spec.holder_identity == "run-other"
