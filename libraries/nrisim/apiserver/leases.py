"""``coordination.k8s.io/v1`` Leases: enough of the API group for a test run to hold a node
(create, get, list, replace with optimistic concurrency, merge patch, delete) and for
``kubectl get lease`` (discovery and a server-side table).

Self-contained on purpose: it needs only the object store, so it is wired into the API with
one line (``route``) and does not depend on where the rest of the API server lives.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

GROUP = "coordination.k8s.io"
VERSION = "v1"
GROUP_VERSION = f"{GROUP}/{VERSION}"
KIND = "leases"

API_GROUP = {"name": GROUP, "versions": [{"groupVersion": GROUP_VERSION, "version": VERSION}],
             "preferredVersion": {"groupVersion": GROUP_VERSION, "version": VERSION}}
RESOURCES = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GROUP_VERSION, "resources": [
    {"name": "leases", "singularName": "lease", "namespaced": True, "kind": "Lease",
     "verbs": ["create", "delete", "get", "list", "patch", "update"]}]}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json")


def _status(code: int, reason: str, message: str, name: str = "") -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}
    if name:
        body["details"] = {"name": name, "group": GROUP, "kind": KIND}
    return _json(body, code)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(timestamp: str) -> str:
    try:
        then = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    seconds = max(0, int((datetime.now(timezone.utc) - then).total_seconds()))
    return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m" if seconds < 7200 else f"{seconds // 3600}h"


def _table(items: list[dict[str, Any]], rv: str) -> dict[str, Any]:
    columns = [{"name": n, "type": "string", "format": f, "description": n, "priority": 0}
               for n, f in (("Name", "name"), ("Holder", ""), ("Age", ""))]
    rows = [{"cells": [o["metadata"]["name"], (o.get("spec") or {}).get("holderIdentity") or "",
                       _age(o["metadata"].get("creationTimestamp", ""))],
             "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}}
            for o in items]
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": columns, "rows": rows}


def _list(store: Any, request: web.Request, namespace: str | None) -> web.Response:
    items = store.list(KIND, namespace)
    selector = request.query.get("labelSelector")
    if selector:  # equality terms only (k=v,k2=v2), what our tools use
        terms = [term.split("=", 1) for term in selector.split(",") if "=" in term]
        items = [o for o in items if all((o["metadata"].get("labels") or {}).get(k.strip()) == v.strip().lstrip("=")
                                         for k, v in terms)]
    rv = str(store.rv)
    if "as=Table" in request.headers.get("Accept", ""):
        return _json(_table(items, rv))
    return _json({"kind": "LeaseList", "apiVersion": GROUP_VERSION, "metadata": {"resourceVersion": rv},
                  "items": items})


async def _body(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = json.loads(await request.read() or b"{}")
    except json.JSONDecodeError as err:
        return _status(400, "BadRequest", f"request body is not JSON: {err}")
    if not isinstance(body, dict) or not isinstance(body.get("metadata"), dict):
        return _status(400, "BadRequest", "a Lease needs metadata")
    return body


def _merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict) or not isinstance(target, dict):
        return patch
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge(target.get(key), value)
    return target


async def _one(store: Any, request: web.Request, namespace: str, name: str) -> web.Response:
    current = store.get(KIND, namespace, name)
    if request.method == "GET":
        return _json(current) if current else _status(404, "NotFound", f'leases.{GROUP} "{name}" not found', name)
    if request.method == "DELETE":
        if current is None:
            return _status(404, "NotFound", f'leases.{GROUP} "{name}" not found', name)
        store.delete(KIND, namespace, name)
        return _json({"kind": "Status", "apiVersion": "v1", "status": "Success", "details": {"name": name}})
    if request.method not in ("PUT", "PATCH"):
        return _status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
    if current is None:
        return _status(404, "NotFound", f'leases.{GROUP} "{name}" not found', name)
    body = await _body(request)
    if isinstance(body, web.Response):
        return body
    if request.method == "PUT":
        sent_rv = body["metadata"].get("resourceVersion")
        if sent_rv and sent_rv != current["metadata"]["resourceVersion"]:
            return _status(409, "Conflict", f'Operation cannot be fulfilled on leases.{GROUP} "{name}": the object '
                                            "has been modified; please apply your changes to the latest version "
                                            "and try again", name)
        current["spec"] = body.get("spec") or {}
        current["metadata"]["labels"] = body["metadata"].get("labels") or {}
        current["metadata"]["annotations"] = body["metadata"].get("annotations") or {}
    else:
        _merge(current, {k: v for k, v in body.items() if k in ("spec", "metadata")})
        current["metadata"]["name"], current["metadata"]["namespace"] = name, namespace
    store.update(KIND, current)
    return _json(current)


async def route(store: Any, request: web.Request, parts: list[str]) -> web.StreamResponse | None:
    """Serve this group's paths; None for any other path (``/apis`` lists :data:`API_GROUP`)."""
    if parts[1:2] != [GROUP]:
        return None
    if parts == ["apis", GROUP]:
        return _json({"kind": "APIGroup", "apiVersion": "v1", **API_GROUP})
    if parts == ["apis", GROUP, VERSION]:
        return _json(RESOURCES)
    rest = parts[3:]
    if parts[2:3] != [VERSION]:
        return _status(404, "NotFound", "the server could not find the requested resource")
    if rest == [KIND] and request.method == "GET":
        return _list(store, request, None)
    if len(rest) < 3 or rest[0] != "namespaces" or rest[2] != KIND:
        return _status(404, "NotFound", "the server could not find the requested resource")
    namespace = rest[1]
    if len(rest) == 3:
        if request.method == "GET":
            return _list(store, request, namespace)
        if request.method != "POST":
            return _status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if store.get("namespaces", "", namespace) is None:
            return _status(404, "NotFound", f'namespaces "{namespace}" not found', namespace)
        body = await _body(request)
        if isinstance(body, web.Response):
            return body
        name = body["metadata"].get("name") or ""
        if not name:
            return _status(422, "Invalid", "Lease.coordination.k8s.io is invalid: metadata.name: Required value")
        if store.get(KIND, namespace, name) is not None:
            return _status(409, "AlreadyExists", f'leases.{GROUP} "{name}" already exists', name)
        meta = {k: v for k, v in body["metadata"].items() if k in ("name", "labels", "annotations")}
        obj = {"apiVersion": GROUP_VERSION, "kind": "Lease", "metadata": {**meta, "namespace": namespace,
               "creationTimestamp": _now()}, "spec": body.get("spec") or {}}
        return _json(store.create(KIND, obj), 201)
    if len(rest) == 4:
        return await _one(store, request, namespace, rest[3])
    return _status(404, "NotFound", "the server could not find the requested resource")
