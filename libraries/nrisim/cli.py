"""``python -m nrisim [serve] [options]`` and ``python -m nrisim restart-runtime --kubeconfig PATH``."""
from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .apiserver import faults
from .config import SimConfig
from .kubeconfig import server_from_kubeconfig
from .latency import Latencies, parse_override, profile
from .plugin import MODEL_NAMES
from .server import SimulatedCluster


EPILOG = """what the API serves besides pods, namespaces, nodes and events:
  apps/v1 DaemonSets      one pod per node matching nodeSelector/affinity, named <ds>-xxxxx,
                          cascading delete, status counts, `kubectl rollout restart|status`;
                          the plugin itself runs as kube-system/weka-nri-cpuset (rollout restart
                          replaces every node's plugin pod; the new processes synchronize)
  node labels             `kubectl label node NODE key=value` (PATCH); DaemonSets follow them
  containers that end     sleep N / true / false / sh -c '...; exit N': pods go Succeeded or
                          Failed (restartPolicy Never) or restart (Always); the plugin keeps an
                          exited container's CPUs until the pod is deleted
  SIGTERM                 `trap 'exit 0' TERM; sleep 3600 & wait` stops at once; `sleep` as PID 1
                          ignores SIGTERM and is killed at the grace period (the fast profile
                          shortens that to container_stop=0; use --latency container_stop=inf)
  force deletion          --grace-period=0 --force: object gone at once, containers killed after
                          kubelet's 2 s minimum and removed after removal_lag
  plugin restarts         `stall-plugin`: containerd closes the silent plugin after
                          plugin_request_timeout, it exits 0, kubelet restarts it (restartCount)
  name reservation        a CreateContainer outliving runtime_request_timeout makes kubelet's
                          retry fail with `failed to reserve container name ...` (needs e.g.
                          --latency plugin_shutdown=1.5 --latency runtime_request_timeout=0.4
                          --latency image_pull=0.5 while the plugin pod is deleted)
"""


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nrisim", formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=EPILOG, description=(
        "Run a simulated Kubernetes cluster (one node, or --nodes N) with the Weka NRI CPUSet plugin model on 127.0.0.1 "
        "until interrupted. Prints one JSON line describing it (every node's plugin log and restart "
        "command under \"nodes\"). Other commands: 'python -m nrisim restart-runtime --kubeconfig PATH "
        "[--node NODE]' and 'python -m nrisim stall-plugin --kubeconfig PATH [--node NODE] [--seconds S]' "
        "(the plugin stops answering, containerd closes it, it exits 0 and kubelet restarts it)."))
    p.add_argument("--cpus", type=int, default=64, help="CPUs of each node (online or not)")
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
    p.add_argument("--memory", default="256Gi", help="each node's memory capacity (quantity, e.g. 128Gi)")
    p.add_argument("--reserved-memory", default="0",
                   help="memory quantity subtracted for allocatable (e.g. 100Mi, k3s's eviction threshold); "
                        "the scheduler refuses pods whose requests exceed it ('Insufficient memory')")
    p.add_argument("--node-name", default="sim-node-1",
                   help="name of the node (with --nodes N > 1: the names are <name without -N>-1..N)")
    p.add_argument("--nodes", type=int, default=1,
                   help="number of nodes, each with its own topology, kubelet, runtime, plugin process, "
                        "plugin log (<workdir>/nodes/<node>/weka-cpuset.log) and restart command "
                        "(<workdir>/bin/restart-k3s-<node>); N=1 keeps <workdir>/weka-cpuset.log and "
                        "<workdir>/bin/restart-k3s")
    p.add_argument("--plugin-model", default="head",
                   help=f"built-in name ({', '.join(MODEL_NAMES)}) or module:Class")
    p.add_argument("--plugin-binary", default=None, metavar="PATH",
                   help="host this NRI plugin binary on every node instead of a model (needs root and "
                        "Linux mount namespaces)")
    p.add_argument("--shadow-model", default=None, metavar="MODEL",
                   help="with --plugin-binary: run this model beside the binary on the same events and report "
                        "the first decision where they differ (plugin log, shadow-divergence.json)")
    p.add_argument("--kubeconfig", type=Path)
    p.add_argument("--log-file", type=Path)
    p.add_argument("--workdir", type=Path,
                   help="where its files go (kubeconfig, plugin logs, restart commands); default a new "
                        "temporary directory, removed when the simulator stops (SIGTERM, Ctrl-C)")
    p.add_argument("--keep-workdir", action="store_true",
                   help="keep the temporary work directory after the stop (its path is printed on stderr)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--latency-profile", default="fast", choices=["fast", "realistic"])
    p.add_argument("--latency", action="append", default=[], metavar="NAME=SECONDS",
                   help=f"override one latency; names: {', '.join(Latencies.names())}")
    p.add_argument("--fault", action="append", default=[], metavar="NAME=VALUE",
                   help="inject API faults (see nrisim/apiserver/faults.py): error_rate, throttle_rate, slow, reset_rate, "
                        "lost_reply_rate, watch_drop, down, seed")
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


def _leave_workdir(workdir: Path, temporary: bool, keep: bool) -> None:
    """A temporary work directory (no --workdir) is removed on a normal stop (SIGTERM, Ctrl-C)
    unless --keep-workdir; a kept one, or one the user named, is said on stderr."""
    if temporary and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    elif temporary:
        print(f"nrisim: work directory kept (--keep-workdir): {workdir}", file=sys.stderr)


def serve(argv: list[str]) -> int:
    args = _serve_parser().parse_args(argv)
    try:
        latencies = profile(args.latency_profile, dict(parse_override(t) for t in args.latency))
        faults.DEFAULTS.update(faults.parse(args.fault))
        config = SimConfig(cpus=args.cpus, threads_per_core=args.threads_per_core, numa_nodes=args.numa_nodes,
                           offline_cpus=args.offline_cpus, shuffle_map_order=args.shuffle_map_order,
                           map_order_seed=args.map_order_seed,
                           reserved_cpu=args.reserved_cpu, memory=args.memory, node_name=args.node_name,
                           reserved_memory=args.reserved_memory,
                           nodes=args.nodes,
                           plugin_model=args.plugin_model, workdir=args.workdir, kubeconfig=args.kubeconfig,
                           plugin_binary=args.plugin_binary, shadow_model=args.shadow_model,
                           log_file=args.log_file, port=args.port, latencies=latencies)
        sim = SimulatedCluster(config)
        try:
            asyncio.run(_serve(sim))
        finally:
            _leave_workdir(sim.workdir, temporary=args.workdir is None, keep=args.keep_workdir)
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
    p.add_argument("--node", default="", help="the node whose runtime restarts (default: the first)")
    args = p.parse_args(argv)
    try:
        url = server_from_kubeconfig(args.kubeconfig) + "/nrisim/v1/restart-runtime"
        if args.node:
            url += "?node=" + urllib.parse.quote(args.node)
        req = urllib.request.Request(url, data=b"", method="POST")
        with urllib.request.urlopen(req, timeout=args.timeout) as resp:
            print(resp.read().decode())
    except (ValueError, OSError, urllib.error.URLError) as err:
        print(f"nrisim restart-runtime: failed: {err}", file=sys.stderr)
        return 1
    return 0


def stall_plugin(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m nrisim stall-plugin", description=(
        "Make a node's plugin stop answering NRI requests. The next request waits containerd's "
        "plugin_request_timeout, then containerd closes the connection, the plugin process exits 0 "
        "(as the NRI stub does) and kubelet restarts its container: the plugin pod's restartCount grows "
        "and the new process synchronizes. The container being created goes on without the plugin."))
    p.add_argument("--kubeconfig", type=Path, required=True)
    p.add_argument("--node", default="", help="the node (default: the first)")
    p.add_argument("--seconds", type=float, default=float("inf"),
                   help="how long the plugin stays silent (default: until containerd closes it)")
    args = p.parse_args(argv)
    query = {"seconds": str(args.seconds)}
    if args.node:
        query["node"] = args.node
    try:
        url = server_from_kubeconfig(args.kubeconfig) + "/nrisim/v1/stall-plugin?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=30) as resp:
            print(resp.read().decode())
    except (ValueError, OSError, urllib.error.URLError) as err:
        print(f"nrisim stall-plugin: failed: {err}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["restart-runtime"]:
        return restart_runtime(argv[1:])
    if argv[:1] == ["stall-plugin"]:
        return stall_plugin(argv[1:])
    if argv[:1] == ["serve"]:
        argv = argv[1:]
    return serve(argv)
