"""core/v1 Events recorded by the scheduler and kubelet."""
from __future__ import annotations

import time
from typing import Any

from ..clock import now_rfc3339
from .store import Store


_last_ns = 0


def _event_suffix() -> str:
    """Hex of a strictly increasing nanosecond clock, as the real event recorder names events."""
    global _last_ns
    _last_ns = max(time.time_ns(), _last_ns + 1)
    return format(_last_ns, "x")


def record_event(store: Store, obj: dict[str, Any], type_: str, reason: str, message: str,
                 component: str, host: str | None = None, field_path: str | None = None) -> dict[str, Any]:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    now = now_rfc3339()
    involved = {"kind": obj.get("kind", "Pod"), "namespace": meta.get("namespace", ""),
                "name": meta["name"], "uid": meta.get("uid", ""), "apiVersion": obj.get("apiVersion", "v1"),
                "resourceVersion": meta.get("resourceVersion", "")}
    if field_path:
        involved["fieldPath"] = field_path
    if not involved["namespace"]:
        del involved["namespace"]
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{_event_suffix()}", "namespace": namespace},
        "involvedObject": involved, "reason": reason, "message": message,
        "source": {"component": component, **({"host": host} if host else {})},
        "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": type_,
        "eventTime": None, "reportingComponent": component, "reportingInstance": host or "",
    }
    return store.create("events", event)
