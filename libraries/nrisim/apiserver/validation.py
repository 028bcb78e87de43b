"""API-server-like validation and defaulting of Pod and Namespace bodies."""
from __future__ import annotations

import re
from typing import Any

from ..quantity import QuantityError, parse_quantity
from ..node.podstatus import qos_class
from .status import ApiError, invalid

__all__ = ["check_object_meta", "default_pod", "qos_class", "validate_name", "validate_pod"]

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
             "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
             "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                 "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                 "regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
RESOURCE_NAMES = ("cpu", "memory", "ephemeral-storage")


def _quote(value: Any) -> str:
    return '"' + str(value).replace('"', '\\"') + '"'


def check_object_meta(body: Any, kind: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, f"the body of the request was not a JSON object (expected a {kind})")
    meta = body.get("metadata")
    if meta is None:
        meta = body["metadata"] = {}
    if not isinstance(meta, dict):
        raise invalid(kind, "", [("metadata", "Invalid value: must be an object")])
    for mapname in ("labels", "annotations"):
        value = meta.get(mapname)
        if value is not None and (not isinstance(value, dict)
                                  or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in value.items())):
            raise invalid(kind, str(meta.get("name", "")),
                          [(f"metadata.{mapname}", "Invalid value: must be a map of string to string")])
    return meta


def validate_name(kind: str, name: Any, label: bool) -> None:
    if not isinstance(name, str) or not name:
        raise invalid(kind, "" if not isinstance(name, str) else name,
                      [("metadata.name", "Required value: name or generateName is required")])
    pattern, msg, limit = (DNS1123_LABEL, LABEL_MSG, 63) if label else (DNS1123_SUBDOMAIN, SUBDOMAIN_MSG, 253)
    if len(name) > limit:
        raise invalid(kind, name, [("metadata.name",
                                    f"Invalid value: {_quote(name)}: must be no more than {limit} characters")])
    if not pattern.match(name):
        raise invalid(kind, name, [("metadata.name", f"Invalid value: {_quote(name)}: {msg}")])


def _validate_resources(name: str, path: str, resources: Any, causes: list[tuple[str, str]]) -> None:
    if resources is None:
        return
    if not isinstance(resources, dict):
        causes.append((path, "Invalid value: must be an object"))
        return
    parsed: dict[str, dict[str, Any]] = {}
    for section in ("requests", "limits"):
        values = resources.get(section) or {}
        if not isinstance(values, dict):
            causes.append((f"{path}.{section}", "Invalid value: must be a map of resource name to quantity"))
            continue
        parsed[section] = {}
        for rname, raw in values.items():
            field = f"{path}.{section}[{rname}]"
            if rname not in RESOURCE_NAMES and "/" not in rname and not rname.startswith("hugepages-"):
                causes.append((field, f"Invalid value: {_quote(rname)}: must be a standard resource type "
                                      "or fully qualified"))
                continue
            try:
                q = parse_quantity(raw)
            except QuantityError as err:
                causes.append((field, f"Invalid value: {_quote(raw)}: {err}"))
                continue
            if q < 0:
                causes.append((field, f"Invalid value: {_quote(raw)}: must be greater than or equal to 0"))
                continue
            parsed[section][rname] = q
    for rname, req in parsed.get("requests", {}).items():
        lim = parsed.get("limits", {}).get(rname)
        if lim is not None and req > lim:
            raw_lim = resources["limits"][rname]
            causes.append((f"{path}.requests",
                           f"Invalid value: {_quote(resources['requests'][rname])}: "
                           f"must be less than or equal to {rname} limit of {raw_lim}"))


def validate_pod(body: dict[str, Any]) -> None:
    """Raise a 422 ApiError naming every invalid field of a pod being created."""
    meta = body["metadata"]
    name = meta.get("name", "")
    validate_name("Pod", name, label=False)
    spec = body.get("spec")
    causes: list[tuple[str, str]] = []
    if not isinstance(spec, dict):
        raise invalid("Pod", name, [("spec", "Required value")])
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        raise invalid("Pod", name, [("spec.containers", "Required value")])
    seen: set[str] = set()
    for i, c in enumerate(containers):
        path = f"spec.containers[{i}]"
        if not isinstance(c, dict):
            causes.append((path, "Invalid value: must be an object"))
            continue
        cname = c.get("name")
        if not isinstance(cname, str) or not cname:
            causes.append((f"{path}.name", "Required value"))
        elif not DNS1123_LABEL.match(cname) or len(cname) > 63:
            causes.append((f"{path}.name", f"Invalid value: {_quote(cname)}: {LABEL_MSG}"))
        elif cname in seen:
            causes.append((f"{path}.name", f"Duplicate value: {_quote(cname)}"))
        else:
            seen.add(cname)
        image = c.get("image")
        if not isinstance(image, str) or not image.strip():
            causes.append((f"{path}.image", "Required value"))
        for listname in ("command", "args"):
            value = c.get(listname)
            if value is not None and (not isinstance(value, list) or not all(isinstance(x, str) for x in value)):
                causes.append((f"{path}.{listname}", "Invalid value: must be a list of strings"))
        _validate_resources(name, f"{path}.resources", c.get("resources"), causes)
    selector = spec.get("nodeSelector")
    if selector is not None and (not isinstance(selector, dict)
                                 or not all(isinstance(v, str) for v in selector.values())):
        causes.append(("spec.nodeSelector", "Invalid value: must be a map of string to string"))
    if spec.get("nodeName") is not None and not isinstance(spec.get("nodeName"), str):
        causes.append(("spec.nodeName", "Invalid value: must be a string"))
    policy = spec.get("restartPolicy")
    if policy is not None and policy not in ("Always", "OnFailure", "Never"):
        causes.append(("spec.restartPolicy", f'Unsupported value: {_quote(policy)}: supported values: '
                                              '"Always", "OnFailure", "Never"'))
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool) or grace < 0):
        causes.append(("spec.terminationGracePeriodSeconds", f"Invalid value: {grace!r}: must be >= 0"))
    if causes:
        raise invalid("Pod", name, causes)


def default_pod(body: dict[str, Any]) -> None:
    """Apply the API server's defaults (after validation)."""
    spec = body["spec"]
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    spec.setdefault("securityContext", {})
    spec.setdefault("priority", 0)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("tolerations", [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
    ])
    for c in spec["containers"]:
        image = c["image"]
        tag = image.rsplit("/", 1)[-1]
        latest = ":" not in tag or tag.endswith(":latest")
        c.setdefault("imagePullPolicy", "Always" if latest and "@" not in image else "IfNotPresent")
        c.setdefault("terminationMessagePath", "/dev/termination-log")
        c.setdefault("terminationMessagePolicy", "File")
        resources = c.setdefault("resources", {}) or {}
        c["resources"] = resources
        limits = resources.get("limits") or {}
        if limits:
            requests = resources.setdefault("requests", {})
            for rname, value in limits.items():
                requests.setdefault(rname, value)
