"""Waiting for the Kubernetes API to answer again after the node's runtime restarted under the run.

On a k3s node, ``systemctl restart k3s`` restarts the API server, the kubelet and containerd
together: for a while every API call is refused. The plugin's log is a local file (or read over
SSH), so the restart wait itself does not notice; the next keyword that talks to the API would
fail with "connection refused". Restart Plugin therefore waits here, within what is left of its
own timeout, until the API answers and the target node is Ready again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from .cluster import ClusterError

POLL_INTERVAL = 0.25  # seconds between attempts while the API is down (a bounded wait on state)


@dataclass(frozen=True)
class ApiWait:
    seconds: float
    failures: int  # attempts that found the API unreachable or the node not Ready
    last_problem: str


def wait_until_api_answers(cluster, node_name: str, timeout: float,
                           clock: Callable[[], float] = time.monotonic,
                           sleep: Callable[[float], None] = time.sleep) -> ApiWait:
    """Poll the API server's version and the node until both answer and the node is Ready.
    Raises :class:`ClusterError` naming the server, the bound and the last problem when that does
    not happen within ``timeout`` seconds."""
    start = clock()
    deadline = start + max(timeout, 0.0)
    failures = 0
    problem = ""
    while True:
        try:
            cluster.version()
            if cluster.node(node_name).ready:
                return ApiWait(clock() - start, failures, problem)
            problem = f"node '{node_name}' is not Ready"
        except ClusterError as err:
            problem = str(err)
        except Exception as err:  # noqa: BLE001 - any transport error while the server restarts
            problem = f"{type(err).__name__}: {err}"
        failures += 1
        if clock() >= deadline:
            raise ClusterError(
                f"the API server {cluster.server} did not answer with node '{node_name}' Ready within "
                f"{timeout:g} s after the plugin restart (RESTART_TIMEOUT); last problem: {problem}")
        sleep(min(POLL_INTERVAL, max(deadline - clock(), 0.0)))
