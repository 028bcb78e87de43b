"""Benchmark the simulated cluster: start-up of a 1- and a 3-node cluster, then create, run and
delete N pods on a big node.

Prints figures (start-up s, pods/s, API calls/s, median and p95 API latency); asserts nothing.
Run: ``PYTHONPATH=libraries python benchmarks/sim_bench.py [--pods 200] [--cpus 1024]``
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path


from kubernetes import client, config

from nrisim.config import SimConfig
from nrisim.latency import profile
from nrisim.server import SimulatedCluster


def pod(name: str, kind: int, cpus: int) -> dict:
    """kind 0: integer (2 CPUs), 1: shared, 2: annotated on the node's last CPU."""
    cpu = "2" if kind == 0 else "500m"
    annotations = {"weka.io/cores-ids": f"{cpus - 1}"} if kind == 2 else {}
    return {"metadata": {"name": name, "labels": {"bench": "1"}, "annotations": annotations},
            "spec": {"restartPolicy": "Never", "containers": [{
                "name": "c", "image": "busybox:latest", "command": ["sleep", "3600"],
                "resources": {"requests": {"cpu": cpu, "memory": "16Mi"}, "limits": {"cpu": cpu, "memory": "16Mi"}}}]}}


async def raw_throughput(url: str, node: str, calls: int = 3000, concurrency: int = 32) -> tuple[float, float]:
    """Calls/s the server sustains without the (slow) python client's deserialization."""
    import aiohttp
    times: list[float] = []
    async with aiohttp.ClientSession() as session:
        async def worker(n: int) -> None:
            for _ in range(n):
                t0 = time.perf_counter()
                async with session.get(f"{url}/api/v1/nodes/{node}") as resp:
                    await resp.read()
                times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(calls // concurrency) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    return len(times) / elapsed, statistics.median(times)


def startup_seconds(nodes: int, cpus: int) -> float:
    """From start() to every node's plugin pod Ready as the API reports it."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        sim = SimulatedCluster(SimConfig(cpus=cpus, nodes=nodes, workdir=Path(tmp))).start()
        try:
            api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
            while True:
                pods = api.list_namespaced_pod("kube-system", label_selector="app=weka-nri-cpuset").items
                if len(pods) == nodes and all(c.status == "True" for p in pods for c in p.status.conditions
                                              if c.type == "Ready"):
                    return time.perf_counter() - t0
        finally:
            sim.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--pods", type=int, default=200)
    p.add_argument("--cpus", type=int, default=1024)
    p.add_argument("--model", default="head")
    args = p.parse_args()
    startup_seconds(1, 64)  # warm-up: first client and module loads
    for nodes in (1, 3):
        print(f"start-up, {nodes} node(s) of 64 CPUs, until every plugin pod is Ready: "
              f"{startup_seconds(nodes, 64):.3f} s")
    latencies: list[float] = []

    def timed(fn, *a, **kw):
        t0 = time.perf_counter()
        out = fn(*a, **kw)
        latencies.append(time.perf_counter() - t0)
        return out

    lat = profile("fast").with_overrides({"update_apply": 0.0})
    with tempfile.TemporaryDirectory() as tmp, SimulatedCluster(
            SimConfig(cpus=args.cpus, plugin_model=args.model, workdir=Path(tmp), latencies=lat)) as sim:
        api = client.CoreV1Api(config.new_client_from_config(str(sim.kubeconfig_path)))
        names = [f"bench-{i}" for i in range(args.pods)]
        t0 = time.perf_counter()
        for i, name in enumerate(names):
            timed(api.create_namespaced_pod, "default", pod(name, i % 3, args.cpus))
        t_created = time.perf_counter()
        while True:
            items = timed(api.list_namespaced_pod, "default", label_selector="bench=1").items
            if sum(1 for x in items if x.status.phase == "Running") == args.pods:
                break
        t_running = time.perf_counter()
        for name in names:
            timed(api.read_namespaced_pod, name, "default")
        for name in names:
            timed(api.delete_namespaced_pod, name, "default", grace_period_seconds=0)
        while timed(api.list_namespaced_pod, "default", label_selector="bench=1").items:
            pass
        t_done = time.perf_counter()
        raw_rate, raw_median = asyncio.run(raw_throughput(sim.api_url, sim.node_name))
    total = t_done - t0
    print(f"pods: {args.pods} on a {args.cpus}-CPU node (model {args.model})")
    print(f"create: {t_created - t0:.3f} s; all running after {t_running - t0:.3f} s; all gone after {total:.3f} s")
    print(f"pods/s (create+run+delete): {args.pods / total:.1f}")
    print(f"API calls: {len(latencies)} ({len(latencies) / total:.0f} calls/s, one synchronous client)")
    print(f"server throughput (raw HTTP GET node, 32 concurrent): {raw_rate:.0f} calls/s, "
          f"median {raw_median * 1000:.2f} ms")
    q = statistics.quantiles(latencies, n=20)
    print(f"API latency: median {statistics.median(latencies) * 1000:.2f} ms, p95 {q[18] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
