"""Fixtures: a simulated cluster per test (fast latency profile) and a real kubernetes client."""
from __future__ import annotations

import time
from typing import Any, Callable

import pytest
from kubernetes import client, config

from nrisim.config import SimConfig
from nrisim.latency import profile
from nrisim.server import SimulatedCluster


def make_sim(tmp_path, **kwargs: Any) -> SimulatedCluster:
    latencies = kwargs.pop("latencies", None) or profile("fast")
    return SimulatedCluster(SimConfig(workdir=tmp_path / "sim", latencies=latencies, **kwargs))


@pytest.fixture
def sim(tmp_path):
    with make_sim(tmp_path) as cluster:
        yield cluster


@pytest.fixture
def api(sim) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll ``check`` until it returns a truthy value; fail with the last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s; last value: {last!r}")


def pod_body(name: str, cpu: str | None = "1", annotations: dict | None = None, memory: str = "64Mi",
             node_selector: dict | None = None, **spec: Any) -> dict[str, Any]:
    resources = {} if cpu is None else {"requests": {"cpu": cpu, "memory": memory},
                                        "limits": {"cpu": cpu, "memory": memory}}
    body: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "t", "tier": name.split("-")[0]},
                     "annotations": annotations or {}},
        "spec": {"containers": [{"name": "weka-container", "image": "busybox:latest",
                                 "command": ["sleep", "3600"], "resources": resources}],
                 "restartPolicy": "Never", **spec},
    }
    if node_selector:
        body["spec"]["nodeSelector"] = node_selector
    return body


def wait_running(api: client.CoreV1Api, name: str, namespace: str = "default", timeout: float = 10.0):
    return eventually(lambda: (p := api.read_namespaced_pod(name, namespace)).status.phase == "Running" and p,
                      timeout)


def exec_cpus(api: client.CoreV1Api, name: str, namespace: str = "default") -> str:
    from kubernetes.stream import stream
    out = stream(api.connect_get_namespaced_pod_exec, name, namespace, command=["cat", "/proc/1/status"],
                 stdout=True, stderr=True, stdin=False, tty=False)
    return next(line.split("\t", 1)[1] for line in out.splitlines() if line.startswith("Cpus_allowed_list"))


class Helpers:
    """Test helpers, handed out as a fixture (tests cannot import conftest safely)."""

    eventually = staticmethod(eventually)
    pod_body = staticmethod(pod_body)
    wait_running = staticmethod(wait_running)
    exec_cpus = staticmethod(exec_cpus)
    make_sim = staticmethod(make_sim)


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers
