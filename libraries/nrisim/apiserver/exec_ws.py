"""Pod exec over websocket, channel protocol v4/v5 (what ``stream()`` and kubectl speak):
binary frames whose first byte is the channel (1 stdout, 2 stderr, 3 status JSON)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from ..node.execsim import ExecContext, ExecResult, run_command
from .status import ApiError

if TYPE_CHECKING:
    from .cluster import Cluster

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")


def _status_payload(result: ExecResult, argv: list[str]) -> bytes:
    if result.exit_code == 0:
        body = {"metadata": {}, "status": "Success"}
    else:
        body = {"metadata": {}, "status": "Failure",
                "message": f"command terminated with non-zero exit code: error executing command {argv}, "
                           f"exit code {result.exit_code}",
                "reason": "NonZeroExitCode",
                "details": {"causes": [{"reason": "ExitCode", "message": str(result.exit_code)}]}}
    return json.dumps(body).encode()


def _resolve(cluster: "Cluster", ns: str, name: str, container: str | None) -> ExecContext:
    pod = cluster.get_pod(ns, name)
    names = [c["name"] for c in pod["spec"]["containers"]]
    if container is None:
        container = names[0]
    if container not in names:
        raise ApiError(400, f"container {container} is not valid for pod {name}")
    phase = pod["status"].get("phase")
    if phase in ("Succeeded", "Failed"):
        raise ApiError(400, f"cannot exec into a container in a completed pod; current phase is {phase}")
    plugin_host = cluster.plugin_pod_host(ns, name)
    if plugin_host is not None:
        topo = plugin_host.topology
        return ExecContext(frozenset(topo.online), frozenset(topo.memory_nodes), topo.cpus, topo)
    host = cluster.nodes.get(pod["spec"].get("nodeName") or "")
    work = host.kubelet.pods.get(pod["metadata"]["uid"]) if host is not None else None
    cid = work.containers.get(container) if work else None
    state = next((s.get("state", {}) for s in pod["status"].get("containerStatuses", []) or []
                  if s.get("name") == container), {})
    if host is None or cid is None or "running" not in state or cid not in host.runtime.containers:
        reason = state.get("waiting", {}).get("reason") if "waiting" in state else None
        if reason:
            raise ApiError(400, f'container {container} is not running: pod "{name}" container is waiting to '
                                f"start: {reason}")
        raise ApiError(400, f"unable to upgrade connection: container not found (\"{container}\")")
    rt = host.runtime
    return ExecContext(rt.effective_cpus(cid), rt.effective_mems(cid), host.topology.cpus, host.topology)


async def handle_exec(request: web.Request, cluster: "Cluster", ns: str, name: str) -> web.StreamResponse:
    if request.method not in ("GET", "POST"):
        raise ApiError(405, "the server does not allow this method on the requested resource")
    argv = request.query.getall("command", [])
    if not argv:
        raise ApiError(400, "you must specify at least 1 command")
    ctx = _resolve(cluster, ns, name, request.query.get("container"))
    ws = web.WebSocketResponse(protocols=PROTOCOLS)
    if not ws.can_prepare(request).ok:
        raise ApiError(400, "Upgrade request required (exec is served over websocket only: "
                            "v5.channel.k8s.io or v4.channel.k8s.io)")
    await ws.prepare(request)
    result = run_command(list(argv), ctx)
    try:
        if result.stdout and request.query.get("stdout", "true") in ("true", "1"):
            await ws.send_bytes(b"\x01" + result.stdout.encode())
        if result.stderr and request.query.get("stderr", "true") in ("true", "1"):
            await ws.send_bytes(b"\x02" + result.stderr.encode())
        await ws.send_bytes(b"\x03" + _status_payload(result, list(argv)))
        await ws.close()
    except (ConnectionResetError, ConnectionError):
        pass
    return ws
