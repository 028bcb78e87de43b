"""Waits fail as soon as what they wait for can no longer happen (issue 20, item 5): a plugin
that grants CPUs runc cannot apply (the ``annotation-not-validated`` model admits an offline
CPU) ends the container with ``StartError`` and the pod ``Failed``; the wait says so within
seconds instead of waiting out its timeout. The bound below is a generous ceiling far under
the timeout, not a benchmark."""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from library_caller import Library, start

TIMEOUT = timedelta(minutes=2)  # the suites' POD_READY_TIMEOUT
QUICKLY = 30.0  # seconds: a failure later than this waited for something that could not happen


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Iterator[Library]:
    library = start(tmp_path_factory, sim_cpus=16, sim_offline_cpus="5", plugin_model="annotation-not-validated")
    try:
        yield library
    finally:
        library("Disconnect From Cluster")


@pytest.fixture
def lib(broken: Library) -> Iterator[Library]:
    broken("Create Test Namespace", "ended")
    try:
        yield broken
    finally:
        broken("Delete Test Namespace", grace_period=0)


def _fails_quickly(call) -> str:
    started = time.monotonic()
    with pytest.raises(AssertionError) as failure:
        call()
    took = time.monotonic() - started
    assert took < QUICKLY, f"the wait failed only after {took:.1f} s: {failure.value}"
    return str(failure.value)


def test_ready_wait_fails_at_once_on_a_start_error(lib):
    names = lib("Create Pods Together", lib("Pod Body", "on-offline", cpu="100m", cores="5"),
                lib("Pod Body", "fine", cpu="100m", cores="1"))
    message = _fails_quickly(lambda: lib("Wait Until Pods Are Ready", *names, timeout=TIMEOUT))
    assert message.startswith("pod on-offline can never become Ready ("), message
    assert "phase=Failed, container terminated (StartError, exit code 128): the phase is final; container " \
           "weka-container ended (StartError, exit code 128): " in message, message
    assert "runc create failed" in message and "restartPolicy Never does not start it again" in message, message


def test_waits_despite_errors_and_for_success_fail_at_once_too(lib):
    lib("Create Pods Together", lib("Pod Body", "on-offline", cpu="100m", cores="5"))
    message = _fails_quickly(lambda: lib("Wait Until Pods Are Ready Despite Errors", "on-offline",
                                         pattern="failed to reserve container name", timeout=TIMEOUT))
    assert message.startswith("pod on-offline can never become Ready: on-offline: phase=Failed"), message
    message = _fails_quickly(lambda: lib("Wait Until Pods Have Succeeded", "on-offline", timeout=TIMEOUT))
    assert message.startswith("pod on-offline Failed: "), message
    message = _fails_quickly(lambda: lib("Pod Should Be Refused Genuinely", "on-offline", timeout=TIMEOUT))
    assert "was neither refused nor left waiting: on-offline: phase=Failed" in message, message



def test_ready_wait_fails_quickly_when_kubelet_retries_a_start_runc_keeps_refusing(lib):
    body = lib("Pod Body", "retried", cpu="100m", cores="5")
    body["spec"]["restartPolicy"] = "Always"  # as a DaemonSet's pods: kubelet starts it again and again
    lib("Create Pods Together", body)
    message = _fails_quickly(lambda: lib("Wait Until Pods Are Ready", "retried", timeout=TIMEOUT))
    assert message.startswith("pod retried can never become Ready ("), message
    assert "container weka-container failed to start 2 times (StartError, exit code 128): " in message, message
    assert "cpuset.cpus: invalid argument" in message, message


def test_daemonset_wait_fails_quickly_when_its_pod_cannot_start(lib):
    pod = lib("Pod Body", "ds-offline", cpu="100m", cores="5")
    lib("Create Daemonsets Together", lib("Daemonset Body", "offline-ds", pod, grace_period=0))
    message = _fails_quickly(lambda: lib("Wait Until Daemonsets Are Ready", "offline-ds", timeout=TIMEOUT))
    assert message.startswith("pod offline-ds-"), message
    assert "cannot start: " in message and "failed to start 2 times (StartError, exit code 128): " in message, message
