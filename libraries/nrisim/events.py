"""core/v1 Events recorded by the scheduler and kubelet."""
from __future__ import annotations

import secrets
from typing import Any

from .store import Store, now_rfc3339


def record_event(store: Store, obj: dict[str, Any], type_: str, reason: str, message: str,
                 component: str, host: str | None = None, field_path: str | None = None) -> dict[str, Any]:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    now = now_rfc3339()
    involved = {"kind": obj.get("kind", "Pod"), "namespace": meta.get("namespace", ""),
                "name": meta["name"], "uid": meta.get("uid", ""), "apiVersion": "v1",
                "resourceVersion": meta.get("resourceVersion", "")}
    if field_path:
        involved["fieldPath"] = field_path
    if not involved["namespace"]:
        del involved["namespace"]
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}", "namespace": namespace},
        "involvedObject": involved, "reason": reason, "message": message,
        "source": {"component": component, **({"host": host} if host else {})},
        "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": type_,
        "eventTime": None, "reportingComponent": component, "reportingInstance": host or "",
    }
    return store.create("events", event)
