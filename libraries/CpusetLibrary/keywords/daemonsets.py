"""DaemonSets of the run (apps/v1): a body from a pod body, creation, the wait until every node
has a Ready pod of the current template, their pods by node, deletion with the plugin's release
of their containers on every node, and ``kubectl rollout restart``."""
from __future__ import annotations

import copy
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException
from robot.api import logger
from robot.api.deco import keyword
from urllib3.exceptions import HTTPError as Urllib3Error

from .. import pluginlog
from ..apiretry import WATCH_PAUSE, status_message
from ..cluster import ClusterError
from ..context import LibraryContext
from ..coregrants import broken_cores_message, daemonset_key, is_integer_body, record_baseline, whole_core_verdicts
from ..nodeplugins import access_for_node
from ..cpusets import format_cpu_list
from ..nodeusage import read_node_usage, read_pod_cpus
from ..oracle import AccountingCorruption, judge_refusal, overlaps, overlaps_between
from ..podstate import is_integer_pod, start_keeps_failing, view
from .tables import table as _table

RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
DAEMONSET_LABEL = "nri-cpuset-acceptance/daemonset"
POLL_INTERVAL = 0.05  # seconds between reads of the plugin logs while waiting on them
RECHECK = 1  # seconds: the longest a DaemonSet wait goes without looking at the DaemonSet again


def _reason(err: ApiException) -> str:
    return status_message(err.status, err.reason, err.body)


def pod_node(pod: Any) -> str:
    """The node a pod runs on, or the node a DaemonSet pinned it to (before it is bound)."""
    if pod.spec.node_name:
        return pod.spec.node_name
    affinity = pod.spec.affinity.node_affinity if pod.spec.affinity and pod.spec.affinity.node_affinity else None
    required = affinity.required_during_scheduling_ignored_during_execution if affinity else None
    for term in (required.node_selector_terms or []) if required else []:
        for field_ in term.match_fields or []:
            if field_.key == "metadata.name" and field_.operator == "In" and field_.values:
                return field_.values[0]
    return ""


def selector_text(match_labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(match_labels.items()))


def daemonset_body(name: str, pod: dict, namespace: str, node_selector: str = "", grace_period: int = 5) -> dict:
    """A DaemonSet whose pods are ``pod`` (see the keyword ``Daemonset Body``)."""
    if not name:
        raise ValueError("DaemonSet name is empty")
    if not isinstance(pod, dict) or not isinstance(pod.get("spec"), dict):
        raise ValueError(f"DaemonSet '{name}': pod must be a pod body (from 'Pod Body'), got {pod!r}")
    template = copy.deepcopy(pod)
    meta = template.get("metadata") or {}
    spec = template["spec"]
    spec.pop("nodeName", None)
    spec.pop("nodeSelector", None)
    if node_selector:
        key, sep, value = str(node_selector).partition("=")
        if not sep or not key:
            raise ValueError(f"node_selector '{node_selector}' is not key=value")
        spec["nodeSelector"] = {key: value}
    spec["restartPolicy"] = "Always"
    spec["terminationGracePeriodSeconds"] = int(grace_period)
    labels = {**(meta.get("labels") or {}), DAEMONSET_LABEL: name}
    namespace = meta.get("namespace") or namespace
    template_meta = {"labels": labels}
    if meta.get("annotations"):
        template_meta["annotations"] = dict(meta["annotations"])
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"selector": {"matchLabels": {DAEMONSET_LABEL: name}},
                     "template": {"metadata": template_meta, "spec": spec}}}


class DaemonSetKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context
        self._before_restart: dict[tuple[str, str], set[str]] = {}  # (ns, name) -> pod uids

    def _apps(self) -> client.AppsV1Api:
        return self.ctx.require_cluster().apps

    def _namespace(self, namespace: str) -> str:
        return namespace or self.ctx.require_namespace()

    def _read(self, name: str, namespace: str) -> Any:
        try:
            return self._apps().read_namespaced_daemon_set(name, namespace)
        except ApiException as err:
            raise ClusterError(f"reading DaemonSet '{namespace}/{name}': {_reason(err)}") from err

    def _pods(self, ds: Any) -> list[Any]:
        selector = selector_text(ds.spec.selector.match_labels or {})
        pods = self.ctx.require_cluster().list_pods(ds.metadata.namespace, selector)
        uid = ds.metadata.uid
        return [p for p in pods if any(r.uid == uid for r in (p.metadata.owner_references or []))]

    def _remember(self, pod: Any) -> None:
        pod_view = view(pod)
        if pod_view.container_ids:
            self.ctx.container_ids[pod_view.name] = pod_view.container_ids
        self.ctx.container_names[pod_view.name] = pod_view.container_names

    # ---- bodies and creation ------------------------------------------------------------

    @keyword
    def daemonset_body(self, name: str, pod: dict, node_selector: str = "", grace_period: int = 5) -> dict:
        """A DaemonSet body whose pods are ``pod`` (a body from ``Pod Body``): the pod's node
        pinning is replaced by ``node_selector`` (``key=value``; empty: every node), its pods
        restart as a DaemonSet's do (``Always``), and they stop with ``grace_period`` seconds
        (busybox ``sleep`` ignores SIGTERM, so the default 30 s would be waited out in full).

        Example:
        | ${pod} = | Pod Body | integer-test | cpu=2 | memory=512Mi |
        | ${ds} = | Daemonset Body | integer-test-ds | ${pod} | node_selector=nri-cpuset-acceptance/node=abc |
        | Create Daemonsets Together | ${ds} |
        """
        return daemonset_body(name, pod, self.ctx.require_namespace(), node_selector, grace_period)

    @keyword
    def create_daemonsets_together(self, *bodies: dict) -> list[str]:
        """Create the DaemonSets one after the other at once (as one ``kubectl apply -f``).
        Returns their names.

        Example:
        | ${names} = | Create Daemonsets Together | ${client} | ${compute} | ${drive} |
        """
        apps = self._apps()
        self._record_baselines(bodies)  # what integer grants are judged against, on each node
        names = []
        for body in bodies:
            namespace = body["metadata"].get("namespace") or self.ctx.require_namespace()
            try:
                apps.create_namespaced_daemon_set(namespace, body)
            except ApiException as err:
                raise ClusterError(f"creating DaemonSet '{namespace}/{body['metadata'].get('name')}': "
                                   f"{_reason(err)}") from err
            names.append(body["metadata"]["name"])
        logger.info(f"Created together: DaemonSets {', '.join(names)}")
        return names

    def _record_baselines(self, bodies: tuple[dict, ...]) -> None:
        """Each node the DaemonSets will run on (their templates' node selector), as it is before
        they are created."""
        templates = [body["spec"]["template"] for body in bodies]
        if not any(is_integer_body(template) for template in templates):
            return
        selectors = {f"{key}={value}" for template in templates
                     for key, value in ((template.get("spec") or {}).get("nodeSelector") or {}).items()}
        core = self.ctx.require_cluster().core
        nodes = {node.metadata.name for node in core.list_node(label_selector=",".join(sorted(selectors))).items}
        for node in sorted(nodes):
            record_baseline(self.ctx, templates, node, [daemonset_key(body["metadata"]["name"], node)
                                                        for body in bodies])

    # ---- waiting ------------------------------------------------------------------------

    def _watch(self, namespace: str, judge: Callable[[], bool], timeout: float) -> bool:
        """Call ``judge`` after a list and after every pod event of ``namespace`` until it is
        True or ``timeout`` passes; ``judge`` may raise to fail fast."""
        core = self.ctx.require_cluster().core
        deadline = time.monotonic() + timeout
        while True:
            if judge():
                return True
            listing = core.list_namespaced_pod(namespace)
            version = listing.metadata.resource_version
            if judge():
                return True
            try:
                while (remaining := deadline - time.monotonic()) > 0:
                    # a DaemonSet's status changes without a pod event: look again at least every RECHECK s
                    window = max(1, min(RECHECK, int(remaining + 0.999)))
                    for event in watch.Watch().stream(core.list_namespaced_pod, namespace, resource_version=version,
                                                      timeout_seconds=window, _request_timeout=window + 5):
                        version = event["object"].metadata.resource_version
                        if judge():
                            return True
                        if time.monotonic() >= deadline:
                            break
                    if judge():
                        return True
                return judge()
            except ApiException as err:
                if err.status != 410:
                    raise ClusterError(f"watching pods in '{namespace}': {_reason(err)}") from err
            except (Urllib3Error, OSError):  # the watch broke: judge, list (retried) and watch again
                time.sleep(WATCH_PAUSE)

    def _state_on_nodes(self, name: str, namespace: str, nodes: list[str] | None,
                        not_before: set[str] | None = None) -> tuple[dict[str, Any], list[str], Any]:
        """(node -> its live Ready pod of the current template, what is missing, the DaemonSet)."""
        ds = self._read(name, namespace)
        status = ds.status
        pods = self._pods(ds)
        live = [p for p in pods if p.metadata.deletion_timestamp is None]
        for pod in live:
            self._remember(pod)
        wanted = list(nodes) if nodes else sorted({pod_node(p) for p in live})
        missing: list[str] = []
        generation = ds.metadata.generation or 0
        if (status.observed_generation or 0) < generation:
            missing.append(f"generation {generation} not yet observed")
        desired = status.desired_number_scheduled or 0
        if nodes is not None and (status.observed_generation or 0) >= generation and desired != len(nodes):
            raise AssertionError(f"DaemonSet {name} runs on {desired} nodes, expected {len(nodes)} "
                                 f"({', '.join(nodes)}): check its node selector and the nodes' labels")
        ready: dict[str, Any] = {}
        for node in wanted:
            here = [p for p in live if pod_node(p) == node and (not not_before or p.metadata.uid not in not_before)]
            fresh = [p for p in here if view(p).ready]
            if fresh:
                ready[node] = fresh[-1]
            else:
                missing.append(f"node {node}: " + ("; ".join(view(p).describe() for p in here) or "no pod yet"))
                for pod in here:
                    self._judge(pod)
        if (status.updated_number_scheduled or 0) < desired:
            missing.append(f"{status.updated_number_scheduled or 0} of {desired} pods updated")
        if (status.number_ready or 0) < desired or len(ready) < desired:
            missing.append(f"{min(status.number_ready or 0, len(ready))} of {desired} nodes with a Ready pod")
        return ready, missing, ds

    def _judge(self, pod: Any) -> None:
        """Fail at once when a pod is refused for a reason that will not pass; a genuine CPU
        shortage on its node is waited out. The refusal is judged against the pod's own node. A
        container whose start runc refused again after kubelet's restart fails at once too."""
        failing = start_keeps_failing(pod)
        if failing:
            raise AssertionError(f"pod {view(pod).name} on node {pod_node(pod)} cannot start: {failing}")
        pod_view = view(pod)
        if not (pod_view.unschedulable or pod_view.waiting_reason == "CreateContainerError"):
            return
        verdict = judge_refusal(pod_view, read_node_usage(self.ctx, node_name=pod_node(pod)))
        if verdict is None or verdict.kind == "shortage":
            return
        if verdict.kind == "corruption":
            raise AccountingCorruption(verdict.reason)
        raise AssertionError(f"pod {pod_view.name} on node {pod_node(pod)} cannot start: {verdict.reason}")

    @keyword
    def wait_until_daemonsets_are_ready(self, *names: str, nodes: list[str] | None = None,
                                        timeout: timedelta = timedelta(minutes=2),
                                        namespace: str = "") -> dict[str, dict[str, str]]:
        """Wait (watch, bounded) until every DaemonSet has a Ready pod of its current template
        on every node (``nodes``: exactly these, and the DaemonSet must want no other; empty:
        wherever it runs), as ``kubectl rollout status`` does. A pod refused for a reason that
        will not pass fails at once (the scheduler, the runtime, or the plugin refusing CPUs
        that are really free on that pod's node: accounting corruption). Returns DaemonSet ->
        node -> pod name.

        Example:
        | ${pods} = | Wait Until Daemonsets Are Ready | integer-test-ds | nodes=${NODES} | timeout=2 min |
        | Log | ${pods}[integer-test-ds][sim-node-1] |
        """
        namespace = self._namespace(namespace)
        node_list = list(nodes) if nodes else None
        result: dict[str, dict[str, str]] = {}
        missing: dict[str, list[str]] = {}

        def judge() -> bool:
            for name in names:
                ready, gaps, _ = self._state_on_nodes(name, namespace, node_list,
                                                      self._before_restart.get((namespace, name)))
                result[name] = {node: pod.metadata.name for node, pod in ready.items()}
                missing[name] = gaps
            return not any(missing.values())

        start = time.monotonic()
        if not self._watch(namespace, judge, timeout.total_seconds()):
            raise AssertionError(f"DaemonSets not Ready within {timeout.total_seconds():g} s: " + "; ".join(
                f"{name}: {', '.join(gaps)}" for name, gaps in missing.items() if gaps))
        for name in names:
            self._before_restart.pop((namespace, name), None)
        rows = [(name, node, pod) for name, by_node in result.items() for node, pod in sorted(by_node.items())]
        logger.info(f"Ready in {time.monotonic() - start:.2f} s:<br>" + _table(["DaemonSet", "node", "pod"], rows),
                    html=True)
        return result

    @keyword
    def pods_of_daemonset_by_node(self, name: str, namespace: str = "") -> dict[str, str]:
        """Node -> name of the DaemonSet's live pod there (one per node; a node with a pod
        being replaced gives the newest).

        Example:
        | ${pods} = | Pods Of Daemonset By Node | integer-test-ds |
        | ${cpus} = | Get Pod Cpus | ${pods}[sim-node-2] |
        """
        ds = self._read(name, self._namespace(namespace))
        found: dict[str, Any] = {}
        for pod in self._pods(ds):
            if pod.metadata.deletion_timestamp is None:
                self._remember(pod)
                node = pod_node(pod)
                if node not in found or (pod.metadata.creation_timestamp or 0) > (
                        found[node].metadata.creation_timestamp or 0):
                    found[node] = pod
        return {node: pod.metadata.name for node, pod in sorted(found.items())}

    @keyword
    def pods_of_daemonsets(self, *names: str, namespace: str = "", node: str = "") -> list[str]:
        """The live pods of the DaemonSets, by DaemonSet then node (only those on ``node`` when given).

        Example:
        | ${pods} = | Pods Of Daemonsets | client-integer | compute-integer |
        | ${sets} = | Get Cpus Of Pods | @{pods} |
        | ${here} = | Pods Of Daemonsets | client-integer | node=sim-node-1 |
        """
        return [pod for name in names for on, pod in self.pods_of_daemonset_by_node(name, namespace).items()
                if not node or on == node]

    @keyword
    def daemonset_pods_should_have_exactly_their_requested_cpus(self, *names: str) -> dict[str, frozenset[int]]:
        """On every node, each integer pod of the DaemonSets has exactly as many CPUs as its CPU
        limit, and no two of them, nor any running annotated pod on that node, share a CPU
        (pods on different nodes are not compared). Returns pod -> CPUs.

        Whole cores, as ``Pods Should Have Exactly Their Requested Cpus`` judges them: each
        grant, against its node just before it (recorded by ``Create Daemonsets Together``, plus
        the grants that node's plugin logged before it), breaks no whole free core it did not
        have to (free threads of partly taken cores first, then whole cores, then at most one
        broken core for an odd remainder).

        Example:
        | ${sets} = | Daemonset Pods Should Have Exactly Their Requested Cpus | client-integer | drive-integer |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        by_node: dict[str, dict[str, frozenset[int]]] = {}
        problems, rows = [], []
        for name in names:
            for node, pod in self.pods_of_daemonset_by_node(name).items():
                obj = cluster.get_pod(namespace, pod)
                cpus = frozenset(read_pod_cpus(cluster, namespace, pod))
                by_node.setdefault(node, {})[pod] = cpus
                want = int(view(obj).cpu_limit)
                rows.append((node, pod, format_cpu_list(cpus), str(len(cpus)), str(want)))
                if not is_integer_pod(obj):
                    problems.append(f"{pod} on {node} is not an integer pod")
                elif len(cpus) != want:
                    problems.append(f"{pod} on {node} has {len(cpus)} CPUs ({format_cpu_list(cpus)}), "
                                    f"requested {want}")
        for node, sets in sorted(by_node.items()):
            usage = read_node_usage(self.ctx, read_sets=False, node_name=node)
            annotated = {f"{key} (annotated)": cpus for key, cpus in usage.annotated.items()}
            problems += [f"on {node}: {p}" for p in overlaps(sets) + overlaps_between(sets, annotated)]
        logger.info(_table(["node", "pod", "CPUs", "count", "requested"], rows), html=True)
        if problems:
            raise AssertionError("integer CPUs wrong: " + "; ".join(problems))
        judged = [(view(cluster.get_pod(namespace, pod)), by_node[node][pod], node, daemonset_key(name, node))
                  for name in names for node, pod in self.pods_of_daemonset_by_node(name).items()]
        core_rows, broken = whole_core_verdicts(self.ctx, judged)
        if core_rows:
            logger.info(_table(["pod", "grant", "whole cores (against its node just before the grant)"], core_rows),
                        html=True)
        if broken:
            raise AssertionError(broken_cores_message(broken))
        return {pod: cpus for sets in by_node.values() for pod, cpus in sets.items()}

    # ---- deletion and release -----------------------------------------------------------

    @keyword
    def delete_daemonsets_and_wait_released(self, *names: str, timeout: timedelta = timedelta(minutes=2),
                                            namespace: str = "") -> float:
        """Delete the DaemonSets at once (their pods go with them, each with its grace period),
        wait (bounded) until their pods are gone, and until the plugin on each pod's node has
        logged RemoveContainer for every container of them (the plugin frees CPUs only then).
        Returns the seconds from the deletion to the last release.

        Example:
        | Delete Daemonsets And Wait Released | client-annotated | compute-annotated | timeout=2 min |
        """
        namespace = self._namespace(namespace)
        pods: dict[str, tuple[str, tuple[str, ...]]] = {}  # pod -> (node, container names)
        for name in names:
            for pod in self._pods(self._read(name, namespace)):
                self._remember(pod)
                pods[pod.metadata.name] = (pod_node(pod), view(pod).container_names)
        marks = {node: access_for_node(self.ctx, node).mark() for node, _ in set(
            (n, None) for n, _ in pods.values())}
        start = time.monotonic()
        apps = self._apps()
        for name in names:
            try:
                apps.delete_namespaced_daemon_set(name, namespace, propagation_policy="Background")
            except ApiException as err:
                if err.status != 404:
                    raise ClusterError(f"deleting DaemonSet '{namespace}/{name}': {_reason(err)}") from err
        logger.info(f"Deleted together: DaemonSets {', '.join(names)} ({len(pods)} pods)")
        cluster = self.ctx.require_cluster()

        def gone() -> bool:
            return not any(p.metadata.name in pods for p in cluster.list_pods(namespace))

        deadline = time.monotonic() + timeout.total_seconds()
        if not self._watch(namespace, gone, timeout.total_seconds()):
            left = [p.metadata.name for p in cluster.list_pods(namespace) if p.metadata.name in pods]
            raise AssertionError(f"pods of DaemonSets {', '.join(names)} still exist after "
                                 f"{timeout.total_seconds():g} s: {', '.join(sorted(left))}")
        wanted = {(f"{namespace}/{pod}", container): node for pod, (node, containers) in pods.items()
                  for container in containers}
        while True:
            released: set[tuple[str, str]] = set()
            for node, mark in marks.items():
                released |= pluginlog.removed_pod_containers(access_for_node(self.ctx, node).read_since(mark))
            pending = sorted(set(wanted) - released)
            if not pending:
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"plugin did not release within {timeout.total_seconds():g} s (no RemoveContainer in the "
                    "log of the pod's node): " + "; ".join(f"{pod} container {c} on {wanted[(pod, c)]}"
                                                           for pod, c in pending))
            time.sleep(POLL_INTERVAL)  # polling the plugin logs: a bounded wait on state
        took = time.monotonic() - start
        logger.info(f"The plugin released {len(wanted)} containers on {len(marks)} nodes {took:.2f} s after "
                    "the deletion")
        return took

    # ---- rollout restart ----------------------------------------------------------------

    def _runs_the_plugin(self, ds: Any) -> bool:
        """The DaemonSet's pods carry the plugin's label (that of ``Connect To Plugin``)."""
        label = getattr(self.ctx.node_access, "label", "") or "app=weka-nri-cpuset"
        labels = ((ds.spec.template.metadata.labels if ds.spec and ds.spec.template.metadata else None) or {})
        wanted = dict(part.split("=", 1) for part in label.split(",") if "=" in part)
        return bool(wanted) and all(labels.get(key) == value for key, value in wanted.items())

    @keyword
    def rollout_restart_daemonset(self, name: str, namespace: str = "") -> str:
        """What ``kubectl rollout restart daemonset/<name>`` does: stamp the pod template with
        the annotation ``kubectl.kubernetes.io/restartedAt``, so the DaemonSet replaces every
        pod. The next ``Wait Until Daemonsets Are Ready`` of it waits for pods created after
        this call. Returns the timestamp.

        Example:
        | Rollout Restart Daemonset | weka-nri-cpuset | namespace=kube-system |
        | Wait Until Daemonsets Are Ready | weka-nri-cpuset | namespace=kube-system |
        """
        namespace = self._namespace(namespace)
        ds = self._read(name, namespace)
        self._before_restart[(namespace, name)] = {p.metadata.uid for p in self._pods(ds)}
        if self._runs_the_plugin(ds):
            self.ctx.requested_plugin_restarts += 1  # the test asks for the plugin's restart
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        patch = {"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: stamp}}}}}
        try:
            self._apps().patch_namespaced_daemon_set(name, namespace, patch)
        except ApiException as err:
            raise ClusterError(f"restarting DaemonSet '{namespace}/{name}': {_reason(err)}") from err
        logger.info(f"DaemonSet {namespace}/{name} restarted at {stamp}")
        return stamp
