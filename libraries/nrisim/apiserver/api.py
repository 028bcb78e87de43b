"""The Kubernetes REST subset over aiohttp: routing, lists, watches, patches, logs."""
from __future__ import annotations

import asyncio
import copy
import json
import logging

from datetime import datetime, timezone
from typing import Any, Callable

from aiohttp import web

from . import faults, leases, protobuf
from .cluster import Cluster
from .discovery import (API_GROUPS, API_V1_RESOURCES, API_VERSIONS, APPS_GROUP, APPS_V1_RESOURCES, OPENAPI_V3_APPS,
                        OPENAPI_V3_CORE, OPENAPI_V3_ROOT, VERSION)
from .exec_ws import handle_exec
from .selectors import SelectorError, make_filter
from .status import ApiError, not_found, success
from .store import Watcher
from .tables import to_table, wants_table

log = logging.getLogger("nrisim.api")

KINDS = {"pods": "Pod", "namespaces": "Namespace", "nodes": "Node", "events": "Event", "daemonsets": "DaemonSet"}
GROUP_VERSIONS = {"daemonsets": "apps/v1"}  # the others are core/v1
FIELDS = {
    "pods": frozenset({"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase",
                       "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                       "status.podIP", "status.nominatedNodeName", "spec.hostNetwork"}),
    "events": frozenset({"metadata.name", "metadata.namespace", "involvedObject.kind",
                         "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                         "involvedObject.apiVersion", "involvedObject.resourceVersion",
                         "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}),
    "nodes": frozenset({"metadata.name", "spec.unschedulable"}),
    "namespaces": frozenset({"metadata.name", "status.phase"}),
    "daemonsets": frozenset({"metadata.name", "metadata.namespace"}),
}
POD_MUTABLE_META = ("labels", "annotations")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


class Api:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.store = cluster.store
        self.requests = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024, middlewares=[faults.middleware()])
        app.router.add_route("*", "/{tail:.*}", self.dispatch)
        return app

    # -- dispatch ----------------------------------------------------------------------
    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        self.requests += 1
        try:
            if self.cluster.latencies.api:
                await asyncio.sleep(self.cluster.latencies.api)
            return await self._route(request)
        except ApiError as err:
            return _json(err.body(), err.code)
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as err:  # never let a request take the server down
            log.exception("internal error on %s %s", request.method, request.path)
            return _json(ApiError(500, f"internal error: {type(err).__name__}: {err}").body(), 500)

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        method = request.method
        parts = [p for p in path.split("/") if p]
        if path == "/version":
            return _json(VERSION)
        if path in ("/healthz", "/livez", "/readyz"):
            return web.Response(text="ok")
        if path == "/api":
            return _json(API_VERSIONS)
        if path == "/apis":
            return _json({**API_GROUPS, "groups": [*API_GROUPS["groups"], leases.API_GROUP]})
        if parts[:1] == ["apis"] and (served := await leases.route(self.store, request, parts)) is not None:
            return served  # coordination.k8s.io (apiserver/leases.py)
        if path == "/api/v1":
            return _json(API_V1_RESOURCES)
        if path == "/openapi/v3":
            return _json(OPENAPI_V3_ROOT)
        if path == "/openapi/v3/api/v1":
            return _json(OPENAPI_V3_CORE)
        if path == "/openapi/v3/apis/apps/v1":
            return _json(OPENAPI_V3_APPS)
        if path == "/apis/apps":
            return _json(APPS_GROUP)
        if path == "/apis/apps/v1":
            return _json(APPS_V1_RESOURCES)
        if parts[:3] == ["apis", "apps", "v1"]:
            return await self._apps(request, method, parts[3:])
        if parts[:2] == ["nrisim", "v1"]:
            return await self._control(request, parts[2:])
        if parts[:1] == ["apis"] and len(parts) >= 2 and parts[1] == "metrics.k8s.io":
            raise ApiError(404, "the server could not find the requested resource (the metrics API "
                                "(metrics.k8s.io) is not served by the nrisim simulated cluster)")
        if parts[:2] != ["api", "v1"]:
            raise ApiError(404, "the server could not find the requested resource")
        rest = parts[2:]
        # /api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]]
        if len(rest) >= 3 and rest[0] == "namespaces":
            ns, resource, tail = rest[1], rest[2], rest[3:]
            if resource == "pods":
                return await self._pods(request, method, ns, tail)
            if resource == "events" and not tail:
                return await self._collection(request, "events", ns)
            if resource == "events" and len(tail) == 1 and method == "GET":
                obj = self.store.get("events", ns, tail[0])
                if obj is None:
                    raise not_found("events", tail[0])
                return _json(obj)
            if resource in ("finalize", "status") and not tail and method == "GET":
                return _json(self.cluster.get_namespace(ns))
            raise ApiError(404, "the server could not find the requested resource")
        if len(rest) == 1 and rest[0] in ("pods", "events"):
            if method != "GET":
                raise ApiError(405, f"the server does not allow this method on the requested resource")
            return await self._collection(request, rest[0], None)
        if rest[:1] == ["namespaces"]:
            return await self._namespaces(request, method, rest[1:])
        if rest[:1] == ["nodes"]:
            if method == "PATCH" and len(rest) == 2:
                node = self.store.get("nodes", "", rest[1])
                if node is None:
                    raise not_found("nodes", rest[1])
                return _json(self.cluster.patch_node(rest[1], await _patched(request, node)))
            if method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested resource")
            if len(rest) == 1:
                return await self._collection(request, "nodes", None)
            if len(rest) in (2, 3) and (len(rest) == 2 or rest[2] == "status"):
                obj = self.store.get("nodes", "", rest[1])
                if obj is None:
                    raise not_found("nodes", rest[1])
                return _json(obj)
        raise ApiError(404, "the server could not find the requested resource")

    # -- control endpoints (node-side actions) ----------------------------------------------
    async def _control(self, request: web.Request, parts: list[str]) -> web.StreamResponse:
        if parts == ["restart-runtime"] and request.method == "POST":
            host = self.cluster.node_host(request.query.get("node"))
            await host.restart_runtime()
            return _json({"status": "ok", "node": host.name,
                          "message": f"runtime restarted on {host.name}; plugin synchronized"})
        if parts == ["stall-plugin"] and request.method == "POST":
            host = self.cluster.node_host(request.query.get("node"))
            try:
                seconds = float(request.query.get("seconds", "inf"))
            except ValueError as err:
                raise ApiError(400, f"seconds must be a number, got {request.query.get('seconds')!r}") from err
            if not seconds > 0:
                raise ApiError(400, f"seconds must be > 0, got {seconds:g}")
            host.stall_plugin(seconds)
            return _json({"status": "ok", "node": host.name,
                          "message": f"the plugin on {host.name} stops answering NRI requests for {seconds:g} s"})
        if parts == ["info"] and request.method == "GET":
            first = self.cluster.first_node
            return _json({"node": first.name, "plugin_model": self.cluster.config.plugin_model,
                          "plugin_pod": first.plugin_pod.pod_name, "requests": self.requests,
                          "nodes": [{"name": h.name, "plugin_pod": h.plugin_pod.pod_name}
                                    for h in self.cluster.nodes.values()]})
        raise ApiError(404, "unknown nrisim control endpoint")

    # -- generic list / watch ------------------------------------------------------------
    async def _collection(self, request: web.Request, kind: str, ns: str | None) -> web.StreamResponse:
        q = request.query
        try:
            predicate = make_filter(q.get("labelSelector"), q.get("fieldSelector"), FIELDS.get(kind))
        except SelectorError as err:
            raise ApiError(400, str(err)) from err
        if kind in ("pods", "events") and ns is not None and kind == "pods" and \
                self.store.get("namespaces", "", ns) is None:
            pass  # listing in a missing namespace returns an empty list, as the API does
        store_ns = None if kind in ("namespaces", "nodes") else ns
        if q.get("watch") in ("1", "true", "True"):
            return await self._watch(request, kind, store_ns, predicate)
        items = self.store.list(kind, store_ns, predicate)
        rv = str(self.store.rv)
        if wants_table(request.headers.get("Accept", "")):
            return _json(to_table(kind, items, rv, q.get("includeObject")))
        limit = q.get("limit")
        body = {"kind": KINDS[kind] + "List", "apiVersion": GROUP_VERSIONS.get(kind, "v1"),
                "metadata": {"resourceVersion": rv},
                "items": items}
        if limit is not None:
            try:
                n = int(limit)
            except ValueError as err:
                raise ApiError(400, f"limit must be an integer, got {limit!r}") from err
            if n > 0:
                body["items"] = items[:n]
        return _json(body)

    async def _watch(self, request: web.Request, kind: str, ns: str | None,
                     predicate: Callable[[dict[str, Any]], bool]) -> web.StreamResponse:
        q = request.query
        rv_text = q.get("resourceVersion", "")
        try:
            timeout = float(q["timeoutSeconds"]) if q.get("timeoutSeconds") else None
            since = int(rv_text) if rv_text not in ("", "0") else None
        except ValueError as err:
            raise ApiError(400, f"invalid resourceVersion or timeoutSeconds: {err}") from err
        watcher = Watcher(kind, ns, lambda o: True)
        self.store.add_watcher(watcher)
        resp = web.StreamResponse(headers={"Content-Type": "application/json",
                                           "Transfer-Encoding": "chunked"})
        visible: set[tuple[str, str]] = set()
        backlog: list[tuple[str, dict[str, Any]]] = []
        initial_events = q.get("sendInitialEvents") in ("true", "1")
        if since is None or initial_events:
            for obj in self.store.list(kind, ns, predicate):
                backlog.append(("ADDED", copy.deepcopy(obj)))
            if initial_events:  # the WatchList protocol: a bookmark ends the initial state
                backlog.append(("BOOKMARK", {
                    "kind": KINDS[kind], "apiVersion": GROUP_VERSIONS.get(kind, "v1"),
                    "metadata": {"resourceVersion": str(self.store.rv),
                                 "annotations": {"k8s.io/initial-events-end": "true"}}}))
        elif since < self.store.oldest_rv() - 1:
            gone = ApiError(410, f"too old resource version: {since} ({self.store.oldest_rv() - 1})", "Expired")
            backlog.append(("ERROR", gone.body()))
        else:
            for ev in self.store.events_since(kind, ns, since):
                backlog.append((ev.type, ev.obj))
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        try:
            await resp.prepare(request)
            for type_, obj in backlog:
                await self._send_event(resp, type_, obj, predicate, visible)
            if backlog and backlog[0][0] == "ERROR":
                return resp
            while True:
                remaining = 5.0 if deadline is None else deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    ev = await asyncio.wait_for(watcher.queue.get(), min(remaining, 5.0))
                except asyncio.TimeoutError:
                    if request.transport is None or request.transport.is_closing():
                        break
                    continue
                if ev is None:  # server shutting down
                    break
                await self._send_event(resp, ev.type, ev.obj, predicate, visible)
            await resp.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass
        finally:
            self.store.remove_watcher(watcher)
        return resp

    @staticmethod
    async def _send_event(resp: web.StreamResponse, type_: str, obj: dict[str, Any],
                          predicate: Callable[[dict[str, Any]], bool], visible: set) -> None:
        if type_ not in ("ERROR", "BOOKMARK"):
            key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            matches = predicate(obj)
            if type_ == "DELETED":
                if key not in visible and not matches:
                    return
                visible.discard(key)
            elif matches:
                if key not in visible:
                    type_ = "ADDED"
                visible.add(key)
            elif key in visible:
                visible.discard(key)
                type_ = "DELETED"
            else:
                return
        await resp.write(json.dumps({"type": type_, "object": obj}).encode() + b"\n")

    # -- apps/v1 daemonsets -------------------------------------------------------------------
    async def _apps(self, request: web.Request, method: str, rest: list[str]) -> web.StreamResponse:
        controller = self.cluster.daemonsets
        if rest == ["daemonsets"]:
            if method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested resource")
            return await self._collection(request, "daemonsets", None)
        if len(rest) < 3 or rest[0] != "namespaces" or rest[2] != "daemonsets" or len(rest) > 5:
            raise ApiError(404, "the server could not find the requested resource")
        ns, tail = rest[1], rest[3:]
        if not tail:
            if method == "GET":
                return await self._collection(request, "daemonsets", ns)
            if method == "POST":
                body = await _body(request)
                if _dry_run(request):
                    return _json(body, 201)
                return _json(controller.create(ns, body), 201)
            raise ApiError(405, "the server does not allow this method on the requested resource")
        name = tail[0]
        sub = tail[1] if len(tail) > 1 else None
        if sub not in (None, "status"):
            raise ApiError(404, "the server could not find the requested resource")
        if method == "GET":
            obj = controller.get(ns, name)
            if wants_table(request.headers.get("Accept", "")):
                return _json(to_table("daemonsets", [obj], str(self.store.rv), request.query.get("includeObject")))
            return _json(obj)
        if method == "PATCH" and sub is None:
            obj = controller.get(ns, name)
            patched = await _patched(request, obj)
            if _dry_run(request):
                return _json(patched)
            return _json(controller.apply_patch(ns, name, patched))
        if method == "PUT" and sub is None:
            body = await _body(request)
            return _json(controller.apply_patch(ns, name, body))
        if method == "DELETE" and sub is None:
            propagation = await _propagation(request)
            if _dry_run(request):
                return _json(controller.get(ns, name))
            return _json(controller.delete(ns, name, propagation))
        raise ApiError(405, "the server does not allow this method on the requested resource")

    # -- namespaces -------------------------------------------------------------------------
    async def _namespaces(self, request: web.Request, method: str, rest: list[str]) -> web.StreamResponse:
        if not rest:
            if method == "GET":
                return await self._collection(request, "namespaces", None)
            if method == "POST":
                body = await _body(request)
                if _dry_run(request):
                    return _json(body, 201)
                return _json(self.cluster.create_namespace(body), 201)
            raise ApiError(405, "the server does not allow this method on the requested resource")
        name = rest[0]
        if len(rest) > 1:
            raise ApiError(404, "the server could not find the requested resource")
        if method == "GET":
            return _json(self.cluster.get_namespace(name))
        if method == "DELETE":
            return _json(self.cluster.delete_namespace(name))
        if method == "PATCH":
            ns = self.cluster.get_namespace(name)
            patched = await _patched(request, ns)
            _apply_meta(ns, patched)
            self.store.update("namespaces", ns)
            return _json(ns)
        if method == "PUT":
            ns = self.cluster.get_namespace(name)
            _apply_meta(ns, await _body(request))
            self.store.update("namespaces", ns)
            return _json(ns)
        raise ApiError(405, "the server does not allow this method on the requested resource")

    # -- pods -----------------------------------------------------------------------------
    async def _pods(self, request: web.Request, method: str, ns: str, tail: list[str]) -> web.StreamResponse:
        if not tail:
            if method == "GET":
                return await self._collection(request, "pods", ns)
            if method == "POST":
                body = await _body(request)
                if _dry_run(request):
                    return _json(body, 201)
                return _json(self.cluster.create_pod(ns, body), 201)
            if method == "DELETE":
                items = self.store.list("pods", ns)
                for pod in items:
                    self.cluster.delete_pod(ns, pod["metadata"]["name"], None)
                return _json({"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": items})
            raise ApiError(405, "the server does not allow this method on the requested resource")
        name = tail[0]
        sub = tail[1] if len(tail) > 1 else None
        if len(tail) > 2:
            raise ApiError(404, "the server could not find the requested resource")
        if sub == "exec":
            return await handle_exec(request, self.cluster, ns, name)
        if sub == "log":
            if method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested resource")
            return self._log(request, ns, name)
        if sub not in (None, "status"):
            raise ApiError(404, "the server could not find the requested resource")
        if method == "GET":
            pod = self.cluster.get_pod(ns, name)
            if wants_table(request.headers.get("Accept", "")):
                return _json(to_table("pods", [pod], str(self.store.rv), request.query.get("includeObject")))
            return _json(pod)
        if method == "DELETE":
            grace = await _grace(request)
            if _dry_run(request):
                return _json(self.cluster.get_pod(ns, name))
            return _json(self.cluster.delete_pod(ns, name, grace))
        if method == "PATCH" and sub is None:
            pod = self.cluster.get_pod(ns, name)
            patched = await _patched(request, pod)
            if patched.get("spec") != pod["spec"]:
                raise ApiError(422, f'Pod "{name}" is invalid: spec: Forbidden: pod updates may not change '
                                    "fields other than `spec.containers[*].image`, `spec.initContainers[*].image`,"
                                    "`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing "
                                    "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if "
                                    "it was previously negative)", "Invalid",
                               {"name": name, "kind": "Pod", "causes": [{"reason": "FieldValueForbidden",
                                                                         "field": "spec"}]})
            _apply_meta(pod, patched)
            self.store.update("pods", pod)
            return _json(pod)
        raise ApiError(405, "the server does not allow this method on the requested resource")

    def _log(self, request: web.Request, ns: str, name: str) -> web.Response:
        pod = self.cluster.get_pod(ns, name)
        q = request.query
        names = [c["name"] for c in pod["spec"]["containers"]]
        container = q.get("container") or names[0]
        if container not in names:
            raise ApiError(400, f"container {container} is not valid for pod {name}")
        plugin_host = self.cluster.plugin_pod_host(ns, name)
        if plugin_host is not None:
            plugin = plugin_host.plugin_pod
            inst = plugin.previous if q.get("previous") in ("true", "1") else plugin.instance
            if inst is None:
                raise ApiError(400, f'container "{container}" in pod "{name}" is waiting to start: '
                                    "ContainerCreating")
            lines = list(inst.lines)
        else:
            statuses = {s["name"]: s for s in pod["status"].get("containerStatuses", []) or []}
            state = statuses.get(container, {}).get("state", {})
            if "waiting" in state or not state:
                reason = state.get("waiting", {}).get("reason", "ContainerCreating")
                raise ApiError(400, f'container "{container}" in pod "{name}" is waiting to start: {reason}')
            lines = []  # busybox sleep prints nothing
        try:
            if q.get("sinceTime"):
                since = datetime.strptime(q["sinceTime"].replace("Z", "+0000").split(".")[0].replace("+0000", ""),
                                          "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
                lines = [(t, s) for t, s in lines if t >= since]
            if q.get("sinceSeconds"):
                cutoff = datetime.now(timezone.utc).timestamp() - int(q["sinceSeconds"])
                lines = [(t, s) for t, s in lines if t.timestamp() >= cutoff]
            if q.get("tailLines"):
                n = int(q["tailLines"])
                if n < 0:
                    raise ValueError("tailLines must be >= 0")
                lines = lines[-n:] if n else []
        except ValueError as err:
            raise ApiError(400, f"invalid log options: {err}") from err
        stamps = q.get("timestamps") in ("true", "1")
        text = "".join((t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") + " " if stamps else "") + s + "\n"
                       for t, s in lines)
        return web.Response(text=text, content_type="text/plain")


# -- request helpers ------------------------------------------------------------------------------
#: the request body encodings this server decodes (a real API server also serves protobuf)
_DECODED_MEDIA_TYPES = ("application/json", "application/yaml", "application/merge-patch+json",
                        "application/strategic-merge-patch+json", "application/json-patch+json",
                        "application/apply-patch+yaml")

async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        raise ApiError(400, "the request body is empty (expected a JSON object)")
    ctype = request.headers.get("Content-Type", "application/json")
    media = ctype.split(";")[0].strip().lower()
    if media == protobuf.MEDIA_TYPE:  # kubectl's typed commands (create namespace)
        return protobuf.decode(raw)
    if media not in _DECODED_MEDIA_TYPES:
        # as an API server answers a content type it does not serve: 415, naming what it accepts
        raise ApiError(415, f"the body of the request was in an unknown format - accepted media types "
                            f"include: {', '.join((*_DECODED_MEDIA_TYPES, protobuf.MEDIA_TYPE))}",
                       reason="UnsupportedMediaType")
    try:
        if "yaml" in media:
            import yaml
            return yaml.safe_load(raw)
        return json.loads(raw)
    except Exception as err:
        raise ApiError(400, f"the request body could not be decoded: {err}") from err


async def _propagation(request: web.Request) -> str | None:
    """DeleteOptions.propagationPolicy from the query or the body (Orphan, Background, Foreground)."""
    policy = request.query.get("propagationPolicy")
    raw = await request.read()
    if raw:
        try:
            opts = json.loads(raw)
        except ValueError as err:
            raise ApiError(400, f"DeleteOptions body could not be decoded: {err}") from err
        if isinstance(opts, dict):
            policy = opts.get("propagationPolicy") or ("Orphan" if opts.get("orphanDependents") else policy)
    if policy not in (None, "Orphan", "Background", "Foreground"):
        raise ApiError(400, f'propagationPolicy must be Orphan, Background or Foreground, got "{policy}"')
    return policy


def _dry_run(request: web.Request) -> bool:
    return bool(request.query.get("dryRun"))


async def _grace(request: web.Request) -> int | None:
    text = request.query.get("gracePeriodSeconds")
    grace: Any = None
    if text is not None:
        try:
            grace = int(text)
        except ValueError as err:
            raise ApiError(400, f"gracePeriodSeconds must be an integer, got {text!r}") from err
    raw = await request.read()
    if raw:
        try:
            opts = json.loads(raw)
        except ValueError as err:
            raise ApiError(400, f"DeleteOptions body could not be decoded: {err}") from err
        if isinstance(opts, dict) and opts.get("gracePeriodSeconds") is not None:
            grace = opts["gracePeriodSeconds"]
    if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
        raise ApiError(400, f"gracePeriodSeconds must be an integer, got {grace!r}")
    if grace is not None and grace < 0:
        grace = 0
    return grace


async def _patched(request: web.Request, obj: dict[str, Any]) -> dict[str, Any]:
    ctype = request.headers.get("Content-Type", "").split(";")[0].strip()
    patch = await _body(request) if ctype != "application/apply-patch+yaml" else None
    if ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
        if not isinstance(patch, dict):
            raise ApiError(400, "a merge patch must be a JSON object")
        return _merge(copy.deepcopy(obj), patch)
    if ctype == "application/json-patch+json":
        return _json_patch(copy.deepcopy(obj), patch)
    raise ApiError(415, f"the patch content type {ctype!r} is not supported (use merge-patch, "
                        "strategic-merge-patch or json-patch)")


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge(target.get(key), value)
    return target


def _json_patch(doc: dict[str, Any], ops: Any) -> dict[str, Any]:
    if not isinstance(ops, list):
        raise ApiError(400, "a json patch must be a list of operations")
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove", "test"):
            raise ApiError(400, f"unsupported json patch operation {op!r}")
        path = [p.replace("~1", "/").replace("~0", "~") for p in str(op.get("path", "")).split("/")[1:]]
        if not path:
            raise ApiError(400, "json patch path must not be empty")
        parent: Any = doc
        for p in path[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent.setdefault(p, {})
        last = path[-1]
        if op["op"] == "remove":
            if isinstance(parent, dict):
                parent.pop(last, None)
        elif op["op"] == "test":
            if (parent.get(last) if isinstance(parent, dict) else None) != op.get("value"):
                raise ApiError(422, f"json patch test failed at {op.get('path')}")
        elif isinstance(parent, dict):
            parent[last] = op.get("value")
        else:
            raise ApiError(422, f"json patch path {op.get('path')} is not supported")
    return doc


def _apply_meta(obj: dict[str, Any], patched: Any) -> None:
    """Only labels and annotations change through PATCH/PUT (the rest is server-owned)."""
    if not isinstance(patched, dict) or not isinstance(patched.get("metadata", {}), dict):
        raise ApiError(400, "the patched object must be a JSON object with a metadata object")
    meta = patched.get("metadata", {})
    for key in POD_MUTABLE_META:
        value = meta.get(key)
        if value is None:
            obj["metadata"].pop(key, None)
        elif isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            obj["metadata"][key] = value
        else:
            raise ApiError(422, f"metadata.{key}: Invalid value: must be a map of string to string")


