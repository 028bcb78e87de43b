"""apps/v1 DaemonSets: validation and defaulting, and the DaemonSet controller (one pod per
matching node, named ``<daemonset>-<5 chars>``, owned through ownerReferences; rolling
replacement, one node at a time, when the pod template changes, e.g. ``kubectl rollout
restart``; status counts; cascading delete).

The plugin's own DaemonSet (kube-system/weka-nri-cpuset) is a DaemonSet object like the
others, but its pods are the nodes' plugin pods: the controller replaces an outdated one by
deleting it (the node then starts a new plugin process, which synchronizes)."""
from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import logging
import secrets
from typing import Any, Protocol

from ..clock import now_rfc3339
from ..node.affinity import node_matches
from ..node.host import NodeHost
from ..node.plugin_pod import NAMESPACE as PLUGIN_NAMESPACE
from .selectors import labels_match, parse_label_selector, SelectorError
from .status import ApiError, already_exists, invalid, not_found
from .store import Store
from .validation import check_object_meta, default_pod, validate_name, validate_pod


class ControlPlane(Protocol):
    """What the controller uses of the cluster registry (which creates the controller)."""

    store: Store
    nodes: dict[str, NodeHost]

    @property
    def first_node(self) -> NodeHost: ...

    def create_pod(self, namespace: str, body: Any) -> dict[str, Any]: ...

    def delete_pod(self, namespace: str, name: str, grace: int | None) -> dict[str, Any]: ...

    def record_event(self, obj: dict[str, Any], type_: str, reason: str, message: str, component: str,
                     host: str | None = None, field_path: str | None = None) -> None: ...

log = logging.getLogger("nrisim.daemonsets")

PLUGIN_DS = "weka-nri-cpuset"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def _suffix() -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))


def template_hash(template: dict[str, Any]) -> str:
    """A stable short hash of the pod template (the controller-revision-hash label)."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(alphabet[int(digest[i:i + 2], 16) % len(alphabet)] for i in range(0, 20, 2))


def validate_daemonset(namespace: str, body: Any) -> dict[str, Any]:
    """Check and default a DaemonSet body (422 naming every bad field)."""
    meta = check_object_meta(body, "DaemonSet")
    if meta.get("namespace") not in (None, "", namespace):
        raise ApiError(400, "the namespace of the provided object does not match the namespace sent on the request")
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + _suffix()
    validate_name("DaemonSet", meta.get("name"), label=False)
    name = meta["name"]
    spec = body.get("spec")
    if not isinstance(spec, dict):
        raise invalid("DaemonSet", name, [("spec", "Required value")])
    causes: list[tuple[str, str]] = []
    selector = spec.get("selector")
    template = spec.get("template")
    if not isinstance(template, dict):
        raise invalid("DaemonSet", name, [("spec.template", "Required value")])
    tmeta = template.setdefault("metadata", {}) or {}
    template["metadata"] = tmeta
    tlabels = tmeta.get("labels") or {}
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        causes.append(("spec.selector", "Required value"))
    else:
        try:
            reqs = parse_label_selector(",".join(f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()))
        except SelectorError as err:
            raise invalid("DaemonSet", name, [("spec.selector", f"Invalid value: {err}")]) from err
        if not labels_match(reqs, tlabels):
            causes.append(("spec.template.metadata.labels",
                           f"Invalid value: {json.dumps(tlabels)}: `selector` does not match template `labels`"))
    tspec = template.get("spec")
    if isinstance(tspec, dict):
        tspec.setdefault("restartPolicy", "Always")
        if tspec["restartPolicy"] != "Always":
            causes.append(("spec.template.spec.restartPolicy",
                           f'Unsupported value: "{tspec["restartPolicy"]}": supported values: "Always"'))
    if causes:
        raise invalid("DaemonSet", name, causes)
    probe = {"metadata": {"name": f"{name}-probe", **{k: v for k, v in tmeta.items() if k != "name"}},
             "spec": tspec}
    try:
        validate_pod(probe)
    except ApiError as err:
        raise ApiError(422, err.message.replace(f'Pod "{name}-probe" is invalid', f'DaemonSet.apps "{name}" is '
                                                "invalid (spec.template)"), "Invalid", err.details) from err
    default_pod(probe)
    template["spec"] = probe["spec"]
    spec.setdefault("updateStrategy", {"type": "RollingUpdate",
                                       "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}})
    spec.setdefault("revisionHistoryLimit", 10)
    return body


class DaemonSetController:
    def __init__(self, cluster: ControlPlane) -> None:
        self.cluster = cluster
        self.store = cluster.store

    # -- API operations ---------------------------------------------------------------
    def create(self, namespace: str, body: Any, system: bool = False) -> dict[str, Any]:
        if self.store.get("namespaces", "", namespace) is None:
            raise not_found("namespaces", namespace)
        body = validate_daemonset(namespace, body)
        meta = body["metadata"]
        if self.store.get("daemonsets", namespace, meta["name"]) is not None:
            raise already_exists("daemonsets.apps", meta["name"])
        obj = {"apiVersion": "apps/v1", "kind": "DaemonSet",
               "metadata": {k: v for k, v in meta.items() if k in ("name", "labels", "annotations")},
               "spec": body["spec"],
               "status": {"currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0,
                          "numberReady": 0, "observedGeneration": 0}}
        obj["metadata"]["namespace"] = namespace
        obj["metadata"]["generation"] = 1
        self.store.create("daemonsets", obj)
        self.wake()
        return obj

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        obj = self.store.get("daemonsets", namespace, name)
        if obj is None:
            raise not_found("daemonsets.apps", name)
        return obj

    def apply_patch(self, namespace: str, name: str, patched: Any) -> dict[str, Any]:
        """Accept a patched DaemonSet: labels, annotations and spec (template, selector fixed)."""
        obj = self.get(namespace, name)
        if not isinstance(patched, dict) or not isinstance(patched.get("spec"), dict):
            raise ApiError(400, "the patched DaemonSet must be an object with a spec")
        if patched["spec"].get("selector") != obj["spec"].get("selector"):
            raise invalid("DaemonSet", name, [("spec.selector", "Invalid value: field is immutable")])
        candidate = {"metadata": {**copy.deepcopy(patched.get("metadata") or {}), "name": name},
                     "spec": copy.deepcopy(patched["spec"])}
        validate_daemonset(namespace, candidate)
        meta = patched.get("metadata") or {}
        for key in ("labels", "annotations"):
            if meta.get(key):
                obj["metadata"][key] = meta[key]
            else:
                obj["metadata"].pop(key, None)
        if candidate["spec"] != obj["spec"]:
            obj["spec"] = candidate["spec"]
            obj["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
        self.store.update("daemonsets", obj)
        self.wake()
        return obj

    def delete(self, namespace: str, name: str, propagation: str | None) -> dict[str, Any]:
        obj = self.get(namespace, name)
        if namespace == PLUGIN_NAMESPACE and name == PLUGIN_DS:
            raise ApiError(403, f'daemonsets.apps "{name}" is forbidden: the simulated plugin DaemonSet cannot be '
                                "deleted (the simulator models a node with the plugin installed)")
        self.store.delete("daemonsets", namespace, name)
        uid = obj["metadata"]["uid"]
        for pod in self.owned_pods(namespace, uid):
            if propagation == "Orphan":
                pod["metadata"].pop("ownerReferences", None)
                self.store.update("pods", pod)
            else:  # Background (the default) and Foreground: the garbage collector deletes them
                self.cluster.delete_pod(namespace, pod["metadata"]["name"], None)
        return obj

    def owned_pods(self, namespace: str, uid: str) -> list[dict[str, Any]]:
        return [p for p in self.store.list("pods", namespace)
                if any(r.get("uid") == uid and r.get("controller") for r in p["metadata"].get("ownerReferences") or [])]

    # -- the plugin's DaemonSet ---------------------------------------------------------
    def create_plugin_daemonset(self) -> None:
        host = self.cluster.first_node
        pod = host.plugin_pod.current_pod()
        assert pod is not None
        spec = {k: copy.deepcopy(v) for k, v in pod["spec"].items() if k != "nodeName"}
        body = {"metadata": {"name": PLUGIN_DS, "labels": {"app": PLUGIN_DS}},
                "spec": {"selector": {"matchLabels": {"app": PLUGIN_DS}},
                         "template": {"metadata": {"labels": {"app": PLUGIN_DS}}, "spec": spec},
                         "updateStrategy": {"type": "RollingUpdate",
                                            "rollingUpdate": {"maxUnavailable": "100%", "maxSurge": 0}}}}
        ds = self.create(PLUGIN_NAMESPACE, body)
        self._sync_plugin_pod_identity(ds)
        for h in self.cluster.nodes.values():  # the pods already running carry the revision too
            current = h.plugin_pod.current_pod()
            if current is not None:
                current["metadata"]["labels"] = dict(h.plugin_pod.pod_labels)
                current["metadata"]["ownerReferences"][0]["uid"] = ds["metadata"]["uid"]
                self.store.update("pods", current)

    def _revision_labels(self, ds: dict[str, Any]) -> dict[str, str]:
        template = ds["spec"]["template"]
        return {**(template["metadata"].get("labels") or {}),
                "controller-revision-hash": template_hash(template),
                "pod-template-generation": str(ds["metadata"].get("generation", 1))}

    def _sync_plugin_pod_identity(self, ds: dict[str, Any]) -> None:
        for h in self.cluster.nodes.values():
            h.plugin_pod.pod_labels = self._revision_labels(ds)
            h.plugin_pod.owner_uid = ds["metadata"]["uid"]

    # -- controller loop ------------------------------------------------------------------
    def wake(self) -> None:
        """Nothing to do: every API write changes the store, which wakes the loop."""

    async def run(self) -> None:
        """Reconcile every DaemonSet after each change of the store (pods, nodes, daemonsets)."""
        while True:
            changed = self.store.changed
            try:
                self.reconcile_all()
            except Exception:
                log.exception("daemonset reconcile failed")
            await changed.wait()

    def reconcile_all(self) -> None:
        for ds in self.store.list("daemonsets"):
            self.reconcile(ds)

    def reconcile(self, ds: dict[str, Any]) -> None:
        namespace, uid = ds["metadata"]["namespace"], ds["metadata"]["uid"]
        plugin = namespace == PLUGIN_NAMESPACE and ds["metadata"]["name"] == PLUGIN_DS
        labels = self._revision_labels(ds)
        revision = labels["controller-revision-hash"]
        if plugin:
            self._sync_plugin_pod_identity(ds)
        pods = self.owned_pods(namespace, uid)
        by_node: dict[str, list[dict[str, Any]]] = {}
        for p in pods:
            by_node.setdefault(p["spec"].get("nodeName") or _pinned_node(p) or "", []).append(p)
        nodes = [h.node for h in self.cluster.nodes.values()]
        wanted = [n for n in nodes if node_matches(ds["spec"]["template"]["spec"], n)]
        wanted_names = {n["metadata"]["name"] for n in wanted}
        # pods on nodes that no longer match
        if not plugin:
            for node_name, node_pods in by_node.items():
                if node_name not in wanted_names:
                    for p in node_pods:
                        if not p["metadata"].get("deletionTimestamp"):
                            self.cluster.delete_pod(namespace, p["metadata"]["name"], None)
        # rolling replacement: at most maxUnavailable nodes without a ready pod of this revision
        max_unavailable = _max_unavailable(ds, len(wanted))
        unavailable = sum(1 for n in wanted if not any(
            _ready(p) and not p["metadata"].get("deletionTimestamp") for p in by_node.get(n["metadata"]["name"], [])))
        for node in wanted:
            name = node["metadata"]["name"]
            live = [p for p in by_node.get(name, []) if not p["metadata"].get("deletionTimestamp")]
            if not live and not by_node.get(name):
                if not plugin:
                    self._create_pod(ds, name, labels)
                continue
            outdated = [p for p in live if (p["metadata"].get("labels") or {}).get("controller-revision-hash")
                        != revision]
            if outdated and unavailable < max_unavailable:
                for p in outdated:
                    if _ready(p):
                        unavailable += 1
                    self.cluster.delete_pod(namespace, p["metadata"]["name"], None)
        self._update_status(ds, wanted_names, revision)

    def _create_pod(self, ds: dict[str, Any], node_name: str, labels: dict[str, str]) -> None:
        template = copy.deepcopy(ds["spec"]["template"])
        spec = template["spec"]
        # the DaemonSet controller pins the pod to its node with a required node affinity
        spec["affinity"] = {**(spec.get("affinity") or {}), "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]}}}
        tolerations = spec.setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable",
                    "node.kubernetes.io/disk-pressure", "node.kubernetes.io/memory-pressure",
                    "node.kubernetes.io/pid-pressure", "node.kubernetes.io/unschedulable"):
            if not any(t.get("key") == key for t in tolerations):
                effect = "NoExecute" if key.endswith(("not-ready", "unreachable")) else "NoSchedule"
                tolerations.append({"key": key, "operator": "Exists", "effect": effect})
        meta = ds["metadata"]
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"generateName": meta["name"] + "-", "labels": dict(labels),
                             "annotations": dict(template["metadata"].get("annotations") or {}),
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": meta["name"],
                                                  "uid": meta["uid"], "controller": True,
                                                  "blockOwnerDeletion": True}]},
                "spec": spec}
        try:
            pod = self.cluster.create_pod(meta["namespace"], body)
        except ApiError as err:
            self.cluster.record_event(ds, "Warning", "FailedCreate", f"Error creating: {err.message}",
                                      "daemonset-controller")
            return
        self.cluster.record_event(ds, "Normal", "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}",
                                  "daemonset-controller")

    def _update_status(self, ds: dict[str, Any], wanted: set[str], revision: str) -> None:
        pods = [p for p in self.owned_pods(ds["metadata"]["namespace"], ds["metadata"]["uid"])
                if not p["metadata"].get("deletionTimestamp")]
        scheduled = [p for p in pods if (p["spec"].get("nodeName") or _pinned_node(p)) in wanted]
        ready = [p for p in scheduled if _ready(p)]
        updated = [p for p in scheduled if (p["metadata"].get("labels") or {}).get("controller-revision-hash")
                   == revision]
        status = {"currentNumberScheduled": len({p["spec"].get("nodeName") or _pinned_node(p) for p in scheduled}),
                  "desiredNumberScheduled": len(wanted),
                  "numberMisscheduled": len([p for p in pods if p not in scheduled]),
                  "numberReady": len(ready), "numberAvailable": len(ready),
                  "numberUnavailable": max(0, len(wanted) - len(ready)),
                  "updatedNumberScheduled": len(updated),
                  "observedGeneration": ds["metadata"].get("generation", 1)}
        if status["numberUnavailable"] == 0:
            del status["numberUnavailable"]
        if status != ds.get("status"):
            ds["status"] = status
            self.store.update("daemonsets", ds)


def _ready(pod: dict[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions") or [])


def _pinned_node(pod: dict[str, Any]) -> str | None:
    terms = ((((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
              .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or [])
    for t in terms:
        for f in t.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("operator") == "In" and f.get("values"):
                return f["values"][0]
    return None


def _max_unavailable(ds: dict[str, Any], desired: int) -> int:
    value = ((ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}).get("maxUnavailable", 1)
    if isinstance(value, str) and value.endswith("%"):
        return max(1, desired * int(value[:-1]) // 100)
    return max(1, int(value))
