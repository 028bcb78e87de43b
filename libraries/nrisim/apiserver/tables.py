"""Server-side printing (``as=Table``) for kubectl get."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def human_age(ts: str | None) -> str:
    if not ts:
        return "<unknown>"
    try:
        then = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return "<unknown>"
    s = int((datetime.now(timezone.utc) - then).total_seconds())
    if s < 0:
        s = 0
    if s < 120:
        return f"{s}s"
    m = s // 60
    if m < 10:
        return f"{m}m{s % 60}s" if s % 60 else f"{m}m"
    if m < 180:
        return f"{m}m"
    h = m // 60
    if h < 48:
        return f"{h}h"
    return f"{h // 24}d"


def _col(name: str, type_: str = "string", priority: int = 0, fmt: str = "") -> dict[str, Any]:
    return {"name": name, "type": type_, "format": fmt, "description": name, "priority": priority}


def pod_status_text(pod: dict[str, Any]) -> str:
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    reason = pod["status"].get("phase", "Pending")
    for st in pod["status"].get("containerStatuses", []) or []:
        state = st.get("state", {})
        if "waiting" in state and state["waiting"].get("reason"):
            reason = state["waiting"]["reason"]
        elif "terminated" in state:
            reason = state["terminated"].get("reason") or reason
    return reason


def _pod_row(pod: dict[str, Any]) -> list[Any]:
    statuses = pod["status"].get("containerStatuses", []) or []
    total = len(pod["spec"]["containers"])
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(int(s.get("restartCount", 0)) for s in statuses)
    return [pod["metadata"]["name"], f"{ready}/{total}", pod_status_text(pod), restarts,
            human_age(pod["metadata"].get("creationTimestamp")), pod["status"].get("podIP") or "<none>",
            pod["spec"].get("nodeName") or "<none>", "<none>", "<none>"]


def _node_row(node: dict[str, Any]) -> list[Any]:
    ready = next((c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready"), "Unknown")
    info = node["status"]["nodeInfo"]
    roles = ",".join(sorted(k.split("/", 1)[1] for k in node["metadata"].get("labels", {})
                            if k.startswith("node-role.kubernetes.io/"))) or "<none>"
    return [node["metadata"]["name"], "Ready" if ready == "True" else "NotReady", roles,
            human_age(node["metadata"].get("creationTimestamp")), info["kubeletVersion"], "127.0.0.1", "<none>",
            info["osImage"], info["kernelVersion"], info["containerRuntimeVersion"]]


def _ds_row(ds: dict[str, Any]) -> list[Any]:
    st = ds.get("status") or {}
    selector = ",".join(f"{k}={v}" for k, v in
                        ((ds["spec"]["template"].get("spec") or {}).get("nodeSelector") or {}).items()) or "<none>"
    return [ds["metadata"]["name"], st.get("desiredNumberScheduled", 0), st.get("currentNumberScheduled", 0),
            st.get("numberReady", 0), st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0), selector,
            human_age(ds["metadata"].get("creationTimestamp"))]


TABLES = {
    "daemonsets": ([_col("Name", fmt="name"), _col("Desired", "integer"), _col("Current", "integer"),
                    _col("Ready", "integer"), _col("Up-to-date", "integer"), _col("Available", "integer"),
                    _col("Node Selector"), _col("Age")], _ds_row),
    "pods": ([_col("Name", fmt="name"), _col("Ready"), _col("Status"), _col("Restarts", "string"), _col("Age"),
              _col("IP", priority=1), _col("Node", priority=1), _col("Nominated Node", priority=1),
              _col("Readiness Gates", priority=1)], _pod_row),
    "nodes": ([_col("Name", fmt="name"), _col("Status"), _col("Roles"), _col("Age"), _col("Version"),
               _col("Internal-IP", priority=1), _col("External-IP", priority=1), _col("OS-Image", priority=1),
               _col("Kernel-Version", priority=1), _col("Container-Runtime", priority=1)], _node_row),
    "namespaces": ([_col("Name", fmt="name"), _col("Status"), _col("Age")],
                   lambda o: [o["metadata"]["name"], o["status"]["phase"],
                              human_age(o["metadata"].get("creationTimestamp"))]),
    "events": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")],
               lambda e: [human_age(e.get("lastTimestamp")), e.get("type", ""), e.get("reason", ""),
                          f"{e['involvedObject'].get('kind', '').lower()}/{e['involvedObject'].get('name', '')}",
                          e.get("message", "")]),
}


def wants_table(accept: str) -> bool:
    return "as=Table" in (accept or "")


def to_table(kind: str, items: list[dict[str, Any]], rv: str, include_object: str | None) -> dict[str, Any]:
    columns, row_fn = TABLES.get(kind, ([_col("Name", fmt="name"), _col("Age")],
                                        lambda o: [o["metadata"]["name"],
                                                   human_age(o["metadata"].get("creationTimestamp"))]))
    rows = []
    for obj in items:
        if include_object == "Object":
            row_obj: Any = obj
        elif include_object == "None":
            row_obj = None
        else:
            row_obj = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
        rows.append({"cells": row_fn(obj), "object": row_obj})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
            "columnDefinitions": columns, "rows": rows}
