"""Discovery documents: /version, /api, /api/v1, /apis."""
from __future__ import annotations

from typing import Any

VERSION = {"major": "1", "minor": "32", "gitVersion": "v1.32.5+k3s1",
           "gitCommit": "8e8f2a4726fdb4ca628eb62b2a526b64d0e6a763", "gitTreeState": "clean",
           "buildDate": "2025-05-21T17:33:14Z", "goVersion": "go1.23.8", "compiler": "gc",
           "platform": "linux/amd64"}

API_VERSIONS = {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]}

API_GROUPS = {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}


def _res(name: str, kind: str, namespaced: bool, verbs: list[str], short: list[str] | None = None,
         singular: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "singularName": singular, "namespaced": namespaced, "kind": kind,
                           "verbs": verbs}
    if short:
        out["shortNames"] = short
    return out


_RW = ["create", "delete", "get", "list", "patch", "watch"]
API_V1_RESOURCES = {
    "kind": "APIResourceList", "groupVersion": "v1",
    "resources": [
        _res("events", "Event", True, ["get", "list", "watch"], ["ev"], "event"),
        _res("namespaces", "Namespace", False, _RW, ["ns"], "namespace"),
        _res("nodes", "Node", False, ["get", "list", "watch"], ["no"], "node"),
        _res("pods", "Pod", True, _RW, ["po"], "pod"),
        _res("pods/exec", "PodExecOptions", True, ["create", "get"]),
        _res("pods/log", "Pod", True, ["get"]),
        _res("pods/status", "Pod", True, ["get"]),
    ],
}
