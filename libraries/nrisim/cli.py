"""``python -m nrisim [serve] [options]`` and ``python -m nrisim restart-runtime --kubeconfig PATH``."""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

from .config import SimConfig
from .kubeconfig import server_from_kubeconfig
from .latency import Latencies, parse_override, profile
from .plugin import MODEL_NAMES
from .server import SimulatedCluster


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nrisim", description=(
        "Run a simulated one-node Kubernetes cluster with the Weka NRI CPUSet plugin model on 127.0.0.1 "
        "until interrupted. Prints one JSON line describing it. Other command: "
        "'python -m nrisim restart-runtime --kubeconfig PATH'."))
    p.add_argument("--cpus", type=int, default=64, help="CPUs of the node (online or not)")
    p.add_argument("--threads-per-core", type=int, default=2,
                   help="hyper-threads per core; CPU c is a thread of core c %% (cpus / threads-per-core)")
    p.add_argument("--numa-nodes", type=int, default=1,
                   help="NUMA nodes (each has memory); must divide the core count")
    p.add_argument("--offline-cpus", default="", metavar="LIST",
                   help="CPUs that exist but are not online, e.g. 5,7 or 60-63: left out of the online "
                        "list, sibling lists, NUMA cpulists and node capacity; a cpuset naming one fails "
                        "container start as runc does")
    p.add_argument("--shuffle-map-order", action="store_true",
                   help="walk the plugin model's Go maps in random order, as a real node does "
                        "(default: a fixed order)")
    p.add_argument("--map-order-seed", type=int, default=None, metavar="N",
                   help="seed for --shuffle-map-order (default: random, printed in the JSON line)")
    p.add_argument("--reserved-cpu", default="0", help="CPU quantity subtracted for allocatable (e.g. 2, 500m)")
    p.add_argument("--memory", default="256Gi")
    p.add_argument("--node-name", default="sim-node-1")
    p.add_argument("--plugin-model", default="head",
                   help=f"built-in name ({', '.join(MODEL_NAMES)}) or module:Class")
    p.add_argument("--kubeconfig", type=Path)
    p.add_argument("--log-file", type=Path)
    p.add_argument("--workdir", type=Path)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency-profile", default="fast", choices=["fast", "realistic"])
    p.add_argument("--latency", action="append", default=[], metavar="NAME=SECONDS",
                   help=f"override one latency; names: {', '.join(Latencies.names())}")
    return p


async def _serve(sim: SimulatedCluster) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await sim.start_async()
    sys.stdout.write(json.dumps(sim.info()) + "\n")
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        await sim.stop_async()


def serve(argv: list[str]) -> int:
    args = _serve_parser().parse_args(argv)
    try:
        latencies = profile(args.latency_profile, dict(parse_override(t) for t in args.latency))
        config = SimConfig(cpus=args.cpus, threads_per_core=args.threads_per_core, numa_nodes=args.numa_nodes,
                           offline_cpus=args.offline_cpus, shuffle_map_order=args.shuffle_map_order,
                           map_order_seed=args.map_order_seed,
                           reserved_cpu=args.reserved_cpu, memory=args.memory, node_name=args.node_name,
                           plugin_model=args.plugin_model, workdir=args.workdir, kubeconfig=args.kubeconfig,
                           log_file=args.log_file, port=args.port, latencies=latencies)
        sim = SimulatedCluster(config)
        asyncio.run(_serve(sim))
    except (ValueError, OSError) as err:
        print(f"nrisim: error: {err}", file=sys.stderr)
        return 2
    return 0


def restart_runtime(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m nrisim restart-runtime",
                                description="Restart the simulated node's runtime (plugin restarts and "
                                            "synchronizes); exits 0 once it is back.")
    p.add_argument("--kubeconfig", type=Path, required=True)
    p.add_argument("--timeout", type=float, default=120.0)
    args = p.parse_args(argv)
    try:
        url = server_from_kubeconfig(args.kubeconfig) + "/nrisim/v1/restart-runtime"
        req = urllib.request.Request(url, data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=args.timeout) as resp:
            print(resp.read().decode())
    except (ValueError, OSError, urllib.error.URLError) as err:
        print(f"nrisim restart-runtime: failed: {err}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["restart-runtime"]:
        return restart_runtime(argv[1:])
    if argv[:1] == ["serve"]:
        argv = argv[1:]
    return serve(argv)
