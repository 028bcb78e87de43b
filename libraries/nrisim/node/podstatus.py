"""Pod status helpers the kubelet and scheduler share: conditions and QoS class."""
from __future__ import annotations

from typing import Any

from ..clock import now_rfc3339
from ..quantity import parse_quantity


def set_condition(pod: dict[str, Any], type_: str, status: str, reason: str | None = None,
                  message: str | None = None) -> None:
    conds = pod["status"].setdefault("conditions", [])
    now = now_rfc3339()
    for c in conds:
        if c["type"] == type_:
            if c["status"] != status:
                c["lastTransitionTime"] = now
            c["status"] = status
            break
    else:
        c = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": now}
        conds.append(c)
    for k, v in (("reason", reason), ("message", message)):
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v


def qos_class(pod: dict[str, Any]) -> str:
    """Guaranteed / Burstable / BestEffort as kubelet computes it (cpu and memory)."""
    any_set = False
    guaranteed = True
    for c in pod["spec"]["containers"]:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if any(k in req or k in lim for k in ("cpu", "memory")):
            any_set = True
        for k in ("cpu", "memory"):
            if k not in lim or k not in req or parse_quantity(req[k]) != parse_quantity(lim[k]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
