"""Which nodes a pod (or pod template) may run on: nodeSelector and required node affinity."""
from __future__ import annotations

from typing import Any


def node_matches(template_spec: dict[str, Any], node: dict[str, Any]) -> bool:
    """nodeSelector and required node affinity (In/NotIn/Exists/DoesNotExist on labels,
    metadata.name in matchFields) of a pod template against a node."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (template_spec.get("nodeSelector") or {}).items()):
        return False
    required = (((template_spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    fields = {"metadata.name": node["metadata"]["name"]}
    return any(_term_matches(t, labels, fields) for t in terms)


def _term_matches(term: dict[str, Any], labels: dict[str, str], fields: dict[str, str]) -> bool:
    for source, reqs in ((labels, term.get("matchExpressions") or []), (fields, term.get("matchFields") or [])):
        for r in reqs:
            key, op, values = r.get("key"), r.get("operator"), r.get("values") or []
            present, value = key in source, source.get(key)
            ok = {"In": present and value in values, "NotIn": not present or value not in values,
                  "Exists": present, "DoesNotExist": not present}.get(op, False)
            if not ok:
                return False
    return True
