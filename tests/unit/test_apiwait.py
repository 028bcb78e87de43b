"""After a restart of the node's runtime, the library waits for the API instead of failing."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from CpusetLibrary.apiwait import wait_until_api_answers
from CpusetLibrary.cluster import ClusterError


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class RestartingApi:
    """Refuses connections until ``up_at``, then reports the node NotReady until ``ready_at``."""

    server = "https://127.0.0.1:6443"

    def __init__(self, clock: FakeClock, up_at: float, ready_at: float) -> None:
        self.clock, self.up_at, self.ready_at = clock, up_at, ready_at

    def version(self) -> str:
        if self.clock() < self.up_at:
            raise ClusterError(f"API server {self.server} is unreachable: connection refused")
        return "v1.31.0+k3s1"

    def node(self, name: str):
        return SimpleNamespace(ready=self.clock() >= self.ready_at)


def test_waits_through_the_outage_and_the_node_becoming_ready():
    clock = FakeClock()
    api = RestartingApi(clock, up_at=4.0, ready_at=6.0)
    waited = wait_until_api_answers(api, "k3s-node-1", timeout=60, clock=clock, sleep=clock.sleep)
    assert 6.0 <= waited.seconds < 6.5
    assert waited.failures > 0 and "not Ready" in waited.last_problem


def test_answers_at_once_when_the_api_never_went_away():
    clock = FakeClock()
    waited = wait_until_api_answers(RestartingApi(clock, 0, 0), "n", timeout=5, clock=clock, sleep=clock.sleep)
    assert waited.seconds == 0 and waited.failures == 0


def test_fails_within_the_bound_naming_the_last_problem():
    clock = FakeClock()
    api = RestartingApi(clock, up_at=1000, ready_at=1000)
    with pytest.raises(ClusterError, match=r"did not answer .* within 10 s .*RESTART_TIMEOUT.*connection refused"):
        wait_until_api_answers(api, "n", timeout=10, clock=clock, sleep=clock.sleep)
    assert 10 <= clock.now < 10.5


def test_a_transport_error_of_the_client_counts_as_down():
    clock = FakeClock()
    calls = []

    class Flaky(RestartingApi):
        def version(self) -> str:
            calls.append(clock())
            if len(calls) < 3:
                raise ConnectionResetError("reset by peer")
            return "v1"

    waited = wait_until_api_answers(Flaky(clock, 0, 0), "n", timeout=10, clock=clock, sleep=clock.sleep)
    assert waited.failures == 2 and "ConnectionResetError" in waited.last_problem
