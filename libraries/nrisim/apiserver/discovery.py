"""Discovery documents: /version, /api, /api/v1, /apis."""
from __future__ import annotations

from typing import Any

VERSION = {"major": "1", "minor": "36", "gitVersion": "v1.36.1+k3s1",
           "gitCommit": "8e8f2a4726fdb4ca628eb62b2a526b64d0e6a763", "gitTreeState": "clean",
           "buildDate": "2025-05-21T17:33:14Z", "goVersion": "go1.23.8", "compiler": "gc",
           "platform": "linux/amd64"}

API_VERSIONS = {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]}

_APPS_VERSION = {"groupVersion": "apps/v1", "version": "v1"}
APPS_GROUP = {"kind": "APIGroup", "apiVersion": "v1", "name": "apps", "versions": [_APPS_VERSION],
              "preferredVersion": _APPS_VERSION}
API_GROUPS = {"kind": "APIGroupList", "apiVersion": "v1",
              "groups": [{"name": "apps", "versions": [_APPS_VERSION], "preferredVersion": _APPS_VERSION}]}


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
        _res("nodes", "Node", False, ["get", "list", "patch", "watch"], ["no"], "node"),
        _res("pods", "Pod", True, _RW, ["po"], "pod"),
        _res("pods/exec", "PodExecOptions", True, ["create", "get"]),
        _res("pods/log", "Pod", True, ["get"]),
        _res("pods/status", "Pod", True, ["get"]),
    ],
}


APPS_V1_RESOURCES = {
    "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1",
    "resources": [
        {**_res("daemonsets", "DaemonSet", True, _RW + ["update"], ["ds"], "daemonset"), "categories": ["all"]},
        _res("daemonsets/status", "DaemonSet", True, ["get"]),
    ],
}


def _patch_path(kind: str, group: str = "", version: str = "v1") -> dict[str, Any]:
    """A path item that tells kubectl the server does field validation (so it skips
    client-side validation, which would need the full OpenAPI v2 document)."""
    params = [{"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True},
               "description": "Strict, Warn or Ignore"},
              {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}}]
    return {
        "patch": {"operationId": f"patch{(group or 'core').capitalize()}V1{kind}", "x-kubernetes-action": "patch",
                  "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
                  "parameters": params, "responses": {"200": {"description": "OK"}}},
    }


OPENAPI_V3_ROOT = {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=5E1D0B7A1F0C"},
                             "apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=A4B1C2D3E4F5"}}}
OPENAPI_V3_APPS = {
    "openapi": "3.0.0",
    "info": {"title": "Kubernetes (nrisim subset)", "version": "v1.36.1+k3s1"},
    "paths": {"/apis/apps/v1/namespaces/{namespace}/daemonsets/{name}": _patch_path("DaemonSet", "apps")},
    "components": {"schemas": {}},
}
OPENAPI_V3_CORE = {
    "openapi": "3.0.0",
    "info": {"title": "Kubernetes (nrisim subset)", "version": "v1.36.1+k3s1"},
    "paths": {
        "/api/v1/namespaces/{name}": _patch_path("Namespace"),
        "/api/v1/namespaces/{namespace}/pods/{name}": _patch_path("Pod"),
        "/api/v1/nodes/{name}": _patch_path("Node"),
        "/api/v1/namespaces/{namespace}/events/{name}": _patch_path("Event"),
    },
    "components": {"schemas": {}},
}
