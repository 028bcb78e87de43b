"""Pods over their whole life and the plugin's own pod: pods that run to completion, force
deletion, transient runtime errors counted on the way to Running, and the DaemonSet plugin
pod's restarts and readiness."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..cpuscaling import scale_cpus
from ..cpusets import format_cpu_list, parse_cpu_list
from ..podstate import ended_for_good, view
from .tables import table as _table

DEFAULT_PLUGIN_NAMESPACE = "kube-system"
DEFAULT_PLUGIN_LABEL = "app=weka-nri-cpuset"
POLL_INTERVAL = 0.1  # seconds between reads of the plugin pod while waiting on it

#: what a Go program writes when it dies (panic, runtime fatal error, a goroutine dump)
CRASH_PATTERN = re.compile(r"^(?:panic: |fatal error: |goroutine \d+ \[)|SIGSEGV: segmentation violation")


def _pod_status(pod: Any) -> dict:
    """Restart count, readiness and last termination of a plugin pod, as plain values."""
    statuses = (pod.status.container_statuses if pod.status else None) or []
    last = ""
    for status in statuses:
        ended = status.last_state.terminated if status.last_state else None
        if ended is not None:
            last = f"terminated with exit code {ended.exit_code} ({ended.reason or 'no reason'})"
    conditions = {c.type: c.status for c in ((pod.status.conditions if pod.status else None) or [])}
    return {
        "name": pod.metadata.name,
        "uid": pod.metadata.uid,
        "restart_count": sum(s.restart_count or 0 for s in statuses),
        "ready": conditions.get("Ready") == "True" and pod.metadata.deletion_timestamp is None,
        "phase": (pod.status.phase if pod.status else "") or "",
        "last_state": last,
    }


def _describe(status: dict) -> str:
    text = (f"{status['name']}: {status['phase'] or 'Unknown'}, {'Ready' if status['ready'] else 'not Ready'}, "
            f"restartCount {status['restart_count']}")
    return text + (f", last state {status['last_state']}" if status["last_state"] else "")


class WorkloadKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    # ---- the plugin's own pod (DaemonSet mode) -------------------------------------------

    def _plugin_selector(self, namespace: str, label: str) -> tuple[str, str]:
        access = self.ctx.node_access
        namespace = namespace or getattr(access, "namespace", "") or DEFAULT_PLUGIN_NAMESPACE
        label = label or getattr(access, "label", "") or DEFAULT_PLUGIN_LABEL
        return namespace, label

    def _plugin_pods(self, namespace: str, label: str) -> list[Any]:
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        return cluster.core.list_namespaced_pod(
            namespace, label_selector=label, field_selector=f"spec.nodeName={node.name}",
            _request_timeout=cluster.request_timeout).items

    @keyword
    def plugin_pod_status(self, namespace: str = "", label: str = "") -> dict:
        """The target node's plugin pod (DaemonSet mode): ``name``, ``uid``, ``restart_count``
        (``status.containerStatuses[].restartCount`` summed), ``ready``, ``phase`` and
        ``last_state`` (how its container last ended, empty when it never did). The namespace
        and label default to those of ``Connect To Plugin    daemonset``, else ``kube-system``
        and ``app=weka-nri-cpuset``. Fails when the node has no live plugin pod.

        Example:
        | ${before} = | Plugin Pod Status |
        | Should Be Equal As Integers | ${before}[restart_count] | 0 |
        """
        namespace, label = self._plugin_selector(namespace, label)
        pods = [p for p in self._plugin_pods(namespace, label) if p.metadata.deletion_timestamp is None]
        if not pods:
            raise AssertionError(f"no plugin pod with label '{label}' in namespace '{namespace}' on node "
                                 f"{self.ctx.require_node().name}")
        pod = max(pods, key=lambda p: p.metadata.creation_timestamp or 0)
        status = _pod_status(pod)
        logger.info(f"Plugin pod {_describe(status)}")
        return status

    @keyword
    def plugin_pod_should_not_have_restarted(self, before: dict, namespace: str = "", label: str = "") -> dict:
        """The plugin pod is the one ``before`` describes (from ``Plugin Pod Status``), its
        container's restart count is unchanged and it is Ready. The failure names both counts and
        how the container last ended (a plugin that exits 0 when its NRI connection closes shows
        ``exit code 0 (Completed)``). Returns the current status.

        Example:
        | ${before} = | Plugin Pod Status |
        | Force Delete Pods Together | stress-1 | stress-2 |
        | Plugin Pod Should Not Have Restarted | ${before} |
        """
        now = self.plugin_pod_status(namespace, label)
        if now["uid"] != before["uid"]:
            raise AssertionError(f"the plugin pod was replaced: {before['name']} is gone, now {_describe(now)}")
        if now["restart_count"] != before["restart_count"]:
            raise AssertionError(f"the plugin restarted: pod {now['name']} restartCount {before['restart_count']} "
                                 f"-> {now['restart_count']}, last state {now['last_state'] or 'unknown'}")
        if not now["ready"]:
            raise AssertionError(f"the plugin pod is not Ready: {_describe(now)}")
        return now

    @keyword
    def delete_plugin_pod(self, namespace: str = "", label: str = "") -> dict:
        """Delete the target node's plugin pod (as ``kubectl delete pod``, its own grace period)
        and return its status from before, without waiting: the DaemonSet replaces it. Pair with
        ``Wait Until Plugin Pod Is Ready``.

        Example:
        | ${old} = | Delete Plugin Pod |
        | Create Pods Together | @{bodies} |
        | ${new} = | Wait Until Plugin Pod Is Ready | replacing=${old} |
        """
        namespace, label = self._plugin_selector(namespace, label)
        old = self.plugin_pod_status(namespace, label)
        cluster = self.ctx.require_cluster()
        self.ctx.requested_plugin_restarts += 1
        cluster.core.delete_namespaced_pod(old["name"], namespace, _request_timeout=cluster.request_timeout)
        logger.info(f"Deleted plugin pod {namespace}/{old['name']}")
        return old

    @keyword
    def wait_until_plugin_pod_is_ready(self, replacing: dict | None = None, namespace: str = "", label: str = "",
                                       timeout: timedelta = timedelta(minutes=2)) -> dict:
        """Wait (bounded) until the node's plugin pod is Ready; with ``replacing`` (a status
        from ``Delete Plugin Pod``) a pod other than that one. Returns its status; the failure
        names the last state seen.

        Example:
        | ${new} = | Wait Until Plugin Pod Is Ready | replacing=${old} | timeout=2 min |
        """
        namespace, label = self._plugin_selector(namespace, label)
        old_uid = (replacing or {}).get("uid")
        deadline = time.monotonic() + timeout.total_seconds()
        last = "no plugin pod on the node"
        while True:
            live = [p for p in self._plugin_pods(namespace, label)
                    if p.metadata.deletion_timestamp is None and p.metadata.uid != old_uid]
            for pod in live:
                status = _pod_status(pod)
                last = _describe(status)
                if status["ready"]:
                    logger.info(f"Plugin pod Ready: {last}")
                    return status
            if time.monotonic() >= deadline:
                raise AssertionError(f"no {'new ' if old_uid else ''}Ready plugin pod within "
                                     f"{timeout.total_seconds():g} s: {last}")
            time.sleep(POLL_INTERVAL)  # polling the API: a bounded wait on state

    @keyword
    def wait_until_plugin_has_released_pods_without_restarting(self, *pods: str, before: dict,
                                                               timeout: timedelta = timedelta(minutes=2)) -> float:
        """``Wait Until Plugin Has Released Pods``, failing at once when the plugin pod restarts
        or stops being Ready meanwhile (``before`` from ``Plugin Pod Status``): a restarted
        plugin's log starts afresh, so its removals would never show up. Returns seconds.

        Example:
        | ${before} = | Plugin Pod Status |
        | Force Delete Pods Together | stress-1 | stress-2 |
        | Wait Until Plugin Has Released Pods Without Restarting | stress-1 | stress-2 | before=${before} |
        """
        from .plugin import PluginKeywords

        plugin = PluginKeywords(self.ctx)
        start = time.monotonic()
        deadline = start + timeout.total_seconds()
        while True:
            self.plugin_pod_should_not_have_restarted(before)
            try:
                plugin.wait_until_plugin_has_released_pods(*pods, timeout=timedelta(seconds=0.5))
                # a restart during that wait also releases (nothing recorded again): judge it
                self.plugin_pod_should_not_have_restarted(before)
                return time.monotonic() - start
            except AssertionError:
                if time.monotonic() >= deadline:
                    raise

    @keyword
    def plugin_log_should_not_report_a_crash(self, since: str = "run") -> None:
        """No line of a dying Go program (``panic:``, ``fatal error:``, a goroutine dump,
        ``SIGSEGV``) in the plugin log since ``since`` (``run``, ``step``/``test`` or a
        ``Mark Plugin Log`` name).

        Example:
        | Plugin Log Should Not Report A Crash | since=run |
        """
        from .plugin import PluginKeywords

        lines = PluginKeywords(self.ctx)._lines_since(since)
        bad = [line for line in lines if CRASH_PATTERN.search(line)]
        if bad:
            raise AssertionError(f"plugin log shows a crash since {since}: " + " | ".join(bad[:5]))

    # ---- a manual's CPU numbers on this node ---------------------------------------------------

    @keyword
    def manual_cpus_on_this_node(self, manual: str, manual_size: int = 64) -> str:
        """The CPUs a manual procedure names for a ``manual_size``-CPU node (e.g. ``15,16``),
        moved onto the target node: scaled to its online CPUs and placed on CPUs no annotated
        or integer pod holds now (``Shared Pool Now``), keeping the manual's count. Returns a
        CPU list text for an annotation; fails naming the numbers when too few are free.

        Example:
        | ${cores} = | Manual Cpus On This Node | 15,16 |
        | ${body} = | Pod Body | annotated | cpu=100m | cores=${cores} |
        """
        from .topology import TopologyKeywords

        topology = TopologyKeywords(self.ctx)
        wanted = sorted(parse_cpu_list(str(manual)))
        chosen = scale_cpus(wanted, int(manual_size), topology.online_cpus(), topology.shared_pool_now())
        text = format_cpu_list(frozenset(chosen))
        logger.info(f"Manual CPUs {manual} (of {manual_size}) on this node: {text}")
        return text

    # ---- pods that end, force deletion ----------------------------------------------------

    @keyword
    def force_delete_pods_together(self, *names: str) -> None:
        """Delete the pods at once with grace period 0, as ``kubectl delete pod --grace-period=0
        --force`` does: the API objects go at once, without waiting for the kubelet; the kubelet
        still stops the containers (after its minimum grace) and removes them, and only then
        does the plugin hear of it. Their container IDs are remembered for the release checks.

        Example:
        | Force Delete Pods Together | stress-race-1 | stress-race-2 | stress-race-3 |
        """
        from .pods import PodKeywords

        PodKeywords(self.ctx).delete_pods_together(*names, grace_period=0)

    @keyword
    def wait_until_pods_have_succeeded(self, *names: str, timeout: timedelta = timedelta(minutes=2)) -> float:
        """Wait (watch, bounded) until every pod's phase is ``Succeeded`` (all containers ended
        with exit code 0; ``restartPolicy: Never`` or ``OnFailure``). Fails at once when one
        ends ``Failed``, is gone or is being deleted, naming how its containers ended. Returns seconds.

        Example:
        | Wait Until Pods Have Succeeded | short-lived-1 | short-lived-2 | timeout=1 min |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        start = time.monotonic()
        from .pods import PodKeywords

        remember = PodKeywords(self.ctx)._remember

        def judge(state) -> bool:
            for name, pod in state.items():
                if pod is None:
                    raise AssertionError(f"pod '{namespace}/{name}' does not exist (deleted?)")
                remember(view(pod))
                if pod.status and pod.status.phase == "Failed":
                    raise AssertionError(f"pod {name} Failed: {_terminations(pod)}")
                if pod.metadata.deletion_timestamp is not None:
                    raise AssertionError(f"pod {name} can never succeed: {ended_for_good(pod)}")
            return all(p.status and p.status.phase == "Succeeded" for p in state.values())

        state, done = cluster.watch_pods(namespace, names, judge, timeout.total_seconds())
        if not done:
            raise AssertionError(f"pods not Succeeded within {timeout.total_seconds():g} s: " + "; ".join(
                view(p).describe() for p in state.values() if p is not None and p.status.phase != "Succeeded"))
        took = time.monotonic() - start
        logger.info(f"Succeeded in {took:.2f} s: " + "; ".join(f"{n}: {_terminations(p)}" for n, p in state.items()))
        return took

    @keyword
    def wait_until_pods_are_ready_despite_errors(self, *names: str, pattern: str,
                                                 timeout: timedelta = timedelta(minutes=2)) -> dict:
        """Wait (watch, bounded) until every pod is Ready, tolerating on the way container
        errors (``CreateContainerError``) whose message matches the regular expression
        ``pattern`` (``re.search``); any other container error, and a pod that can never become
        Ready (deleted, a final phase, a container ended for good), fails at once. Returns pod ->
        number of distinct tolerated errors seen (each logged as a warning): transient errors
        are reported, not hidden.

        Example:
        | ${seen} = | Wait Until Pods Are Ready Despite Errors | pinned-0 | pinned-1 |
        | ... | pattern=failed to reserve container name | timeout=2 min |
        """
        try:
            regex = re.compile(pattern)
        except re.error as err:
            raise ValueError(f"pattern '{pattern}' is not a regular expression: {err}") from None
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        from .pods import PodKeywords

        remember = PodKeywords(self.ctx)._remember
        seen: dict[str, set[str]] = {name: set() for name in names}

        def judge(state) -> bool:
            for name, pod in state.items():
                if pod is None:
                    raise AssertionError(f"pod '{namespace}/{name}' does not exist (deleted?)")
                pod_view = view(pod)
                remember(pod_view)
                if pod_view.ready:
                    continue
                final = ended_for_good(pod)
                if final:
                    raise AssertionError(f"pod {name} can never become Ready: {final}")
                if not pod_view.waiting_reason.endswith("Error"):
                    continue
                if not regex.search(pod_view.waiting_message):
                    raise AssertionError(f"pod {name} cannot start: {pod_view.describe()}")
                seen[name].add(pod_view.waiting_message)
            return all(p is not None and view(p).ready for p in state.values())

        state, done = cluster.watch_pods(namespace, names, judge, timeout.total_seconds())
        for name, messages in seen.items():
            for message in sorted(messages):
                logger.warn(f"Transient error of pod {name} on the way to Ready: {message}")
        if not done:
            raise AssertionError(f"pods not Ready within {timeout.total_seconds():g} s: " + "; ".join(
                view(p).describe() if p else f"{n}: gone" for n, p in sorted(state.items())
                if p is None or not view(p).ready))
        return {name: len(messages) for name, messages in seen.items()}

    @keyword
    def count_pod_events(self, pattern: str, reason: str = "", namespace: str = "") -> int:
        """How many times events of pods in ``namespace`` (default: the test namespace) with
        ``reason`` (any when empty) had a message matching the regular expression ``pattern``
        (``re.search``); an event repeated N times counts N. The matching events are logged.

        Example:
        | ${count} = | Count Pod Events | failed to reserve container name | reason=Failed |
        | ${plugin} = | Count Pod Events | failed to reserve container name | namespace=kube-system |
        """
        try:
            regex = re.compile(pattern)
        except re.error as err:
            raise ValueError(f"pattern '{pattern}' is not a regular expression: {err}") from None
        cluster = self.ctx.require_cluster()
        namespace = namespace or self.ctx.require_namespace()
        events = cluster.core.list_namespaced_event(
            namespace, field_selector="involvedObject.kind=Pod", _request_timeout=cluster.request_timeout).items
        rows = [(e.involved_object.name or "", e.reason or "", str(e.count or 1), e.message or "")
                for e in events if (not reason or e.reason == reason) and regex.search(e.message or "")]
        total = sum(int(count) for _, _, count, _ in rows)
        logger.info(f"{total} events in {namespace} match '{pattern}'" + (f" (reason {reason})" if reason else ""))
        if rows:
            logger.info(_table(["pod", "reason", "count", "message"], rows), html=True)
        return total


def _terminations(pod: Any) -> str:
    parts = []
    for status in (pod.status.container_statuses or []) if pod.status else []:
        ended = status.state.terminated if status.state else None
        parts.append(f"{status.name} exit code {ended.exit_code} ({ended.reason})" if ended
                     else f"{status.name} not terminated")
    return ", ".join(parts) or "no container status"
