"""Named, configurable model latencies (seconds) and the two built-in profiles.

``fast`` (tests): everything zero except the kubelet retry back-off (kubelet never
retries instantly) and ``update_apply``, the time a background UpdateContainers call
needs to reach a container. ``update_apply`` stays 0.3 s even in ``fast`` because it is
the window of the pre-fix defect: a second pod created back-to-back must land in it.

``realistic`` (demos), roughly what a k3s node shows. ``fast`` keeps the two timeouts, the
kill grace and ``plugin_shutdown`` (0) of this table: they only matter when something stalls.

=======================  =======  ======================================================================
name                     seconds  meaning
=======================  =======  ======================================================================
schedule                 0.02     pod created -> bound by the scheduler
sandbox_start            0.5      bound -> RunPodSandbox (pause container, CNI)
image_pull               0.1      sandbox ready -> CreateContainer (kubelet checks the image; present)
container_start          0.3      per container: CreateContainer returned -> running
container_stop           inf      SIGTERM -> exit of a container that ignores SIGTERM (``sleep`` as PID
                                  1): it is killed at the grace period, so its stop time is
                                  ``min(container_stop, grace period)``; SIGTERM-honouring commands stop
                                  at once
removal_lag              2.0      container exit -> kubelet's RemoveContainer (keeps CPUs until then)
plugin_restart           1.0      plugin process gone -> new process registered and synchronized
update_apply             0.3      background UpdateContainers queued -> applied to the container
api                      0.0      added to every API request
backoff_initial          10.0     first CreateContainer retry delay (doubles each attempt)
backoff_max              300.0    cap of the retry delay
plugin_request_timeout   2.0      containerd's NRI ``plugin_request_timeout``: a plugin silent that long
                                  is closed (its process then exits 0)
runtime_request_timeout  120.0    kubelet's ``--runtime-request-timeout``: a CRI call still running then
                                  fails with ``context deadline exceeded`` (containerd goes on)
plugin_shutdown          0.0      plugin pod deleted -> its process exits; until then it stays connected
                                  and answers nothing
min_kill_grace           2.0      kubelet's minimum grace when killing a container (force-deleted pods
                                  too)
=======================  =======  ======================================================================
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Latencies:
    schedule: float = 0.0
    sandbox_start: float = 0.0
    container_start: float = 0.0
    container_stop: float = 0.0
    removal_lag: float = 0.0
    plugin_restart: float = 0.0
    update_apply: float = 0.3
    api: float = 0.0
    backoff_initial: float = 0.05
    backoff_max: float = 0.5
    plugin_request_timeout: float = 2.0
    runtime_request_timeout: float = 120.0
    plugin_shutdown: float = 0.0
    min_kill_grace: float = 2.0
    image_pull: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
                raise ValueError(f"latency {f.name} must be a number >= 0, got {value!r}")
        if self.backoff_initial <= 0 or self.backoff_max < self.backoff_initial:
            raise ValueError("backoff_initial must be > 0 and backoff_max >= backoff_initial")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_overrides(self, overrides: dict[str, float]) -> "Latencies":
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise ValueError(f"unknown latency name(s) {unknown}; expected one of {self.names()}")
        return replace(self, **overrides)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number ``attempt`` (1-based), doubling up to the cap."""
        return min(self.backoff_max, self.backoff_initial * 2 ** max(0, attempt - 1))


PROFILES: dict[str, Latencies] = {
    "fast": Latencies(),
    "realistic": Latencies(
        schedule=0.02,
        sandbox_start=0.5,
        container_start=0.3,
        container_stop=math.inf,
        removal_lag=2.0,
        plugin_restart=1.0,
        update_apply=0.3,
        api=0.0,
        backoff_initial=10.0,
        backoff_max=300.0,
        plugin_request_timeout=2.0,
        runtime_request_timeout=120.0,
        plugin_shutdown=0.0,
        min_kill_grace=2.0,
        image_pull=0.1,
    ),
}


def profile(name: str, overrides: dict[str, float] | None = None) -> Latencies:
    if name not in PROFILES:
        raise ValueError(f"unknown latency profile {name!r}; expected one of {sorted(PROFILES)}")
    return PROFILES[name].with_overrides(overrides or {})


def parse_override(text: str) -> tuple[str, float]:
    """``NAME=SECONDS`` from the command line."""
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"latency override {text!r} must look like NAME=SECONDS")
    try:
        seconds = float(value)
    except ValueError as err:
        raise ValueError(f"latency override {text!r}: {value!r} is not a number") from err
    return name.strip(), seconds
