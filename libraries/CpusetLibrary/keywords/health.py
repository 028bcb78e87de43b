"""Per-test checks of the plugin itself: it stayed up (no restart or exit the test did not ask
for) and it released every CPU of the pods the test deleted (no leak). Each names what happened
and leaves the plugin clean (running, nothing leaked) for the next test."""
from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from kubernetes.client.exceptions import ApiException
from robot.api import logger
from robot.api.deco import keyword

from .. import pluginlog
from ..context import LibraryContext
from ..cpusets import format_cpu_list
from ..grantlog import latest_words
from ..nodeaccess.daemonset import DaemonSetNodeAccess
from ..pluginhealth import Baseline, PluginPodState, pod_state, unrequested_restarts

POLL_INTERVAL = 0.2  # seconds between looks at the plugin pod while it comes back


def _plugin_pod(ctx: LibraryContext) -> tuple[PluginPodState | None, Any]:
    """The newest live plugin pod of the target node and its API object; (None, None) when the
    plugin runs in no pod there (a native plugin) or the pods cannot be listed."""
    from .workloads import WorkloadKeywords

    if ctx.cluster is None or ctx.node is None:
        return None, None
    workloads = WorkloadKeywords(ctx)
    try:
        pods = [p for p in workloads._plugin_pods(*workloads._plugin_selector("", ""))
                if p.metadata.deletion_timestamp is None]
    except (ApiException, OSError):
        return None, None
    if not pods:
        return None, None
    pod = max(pods, key=lambda p: p.metadata.creation_timestamp or 0)
    return pod_state(pod), pod


def take_baseline(ctx: LibraryContext) -> None:
    """Remember the plugin pod and the restarts asked for so far, where a test starts."""
    ctx.plugin_baseline = Baseline(_plugin_pod(ctx)[0], ctx.requested_plugin_restarts)


class PluginHealthKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    def _previous_log(self, pod: Any) -> list[str]:
        if pod is None or not isinstance(self.ctx.node_access, DaemonSetNodeAccess):
            return []
        cluster = self.ctx.require_cluster()
        try:
            text = cluster.core.read_namespaced_pod_log(pod.metadata.name, pod.metadata.namespace, previous=True,
                                                        tail_lines=10, _request_timeout=cluster.request_timeout)
        except ApiException:
            return []  # no earlier container
        return [line for line in str(text).splitlines() if line.strip()]

    @keyword
    def plugin_should_have_stayed_up_during_the_test(self, timeout: timedelta = timedelta(minutes=3)) -> None:
        """The plugin process neither restarted nor exited since the test started (``Mark Plugin
        Log For Step``), beyond the restarts the test asked for (``Restart Plugin``, ``Restart
        Plugins On Nodes``, ``Delete Plugin Pod``, ``Rollout Restart Daemonset`` of the plugin's
        DaemonSet). Counted from the plugin's Synchronize lines and its pod's ``restartCount``.
        The failure names the restarts, the exit code (from the plugin pod; a native plugin's
        wrapper does not log it) and the last log lines before the restart. Before it fails it
        waits, at most ``timeout``, until the plugin runs again, so the next test starts with one.

        Example:
        | Test Teardown | Plugin Should Have Stayed Up During The Test |
        """
        baseline = self.ctx.plugin_baseline
        access = self.ctx.node_access
        if not isinstance(baseline, Baseline) or access is None or self.ctx.step_mark is None:
            logger.info("No plugin baseline for this test (Mark Plugin Log For Step was not called): not checked")
            return
        now, pod = _plugin_pod(self.ctx)
        lines = access.read_since(self.ctx.step_mark)
        problem = unrequested_restarts(baseline, now, self.ctx.requested_plugin_restarts, lines,
                                       self._previous_log(pod) if now and baseline.pod and now != baseline.pod
                                       else [])
        if not problem:
            logger.info(f"The plugin stayed up during the test ({pluginlog.SYNC_START!r} lines: "
                        f"{sum(pluginlog.SYNC_START in line for line in lines)}, restarts asked for: "
                        f"{self.ctx.requested_plugin_restarts - baseline.requested})")
            return
        self._wait_until_running(timeout)
        raise AssertionError(problem)

    def _wait_until_running(self, timeout: timedelta) -> None:
        """Until the plugin pod's container runs and its last process logged the end of its
        Synchronize (so the next test's log holds none of this restart), at most ``timeout``."""
        access = self.ctx.require_node_access()
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            now, _ = _plugin_pod(self.ctx)
            lines = access.read_since(self.ctx.step_mark) if self.ctx.step_mark else []
            starts = [i for i, line in enumerate(lines) if pluginlog.SYNC_START in line]
            synced = not starts or any(access.sync_line in line for line in lines[starts[-1]:])
            if (now is None or now.running) and synced:
                return
            if time.monotonic() >= deadline:
                logger.warn(f"The plugin is not running and synchronized {timeout.total_seconds():g} s after "
                            f"the test ({now.name if now else 'no plugin pod'}): the next test may start without it")
                return
            time.sleep(POLL_INTERVAL)  # the API: a bounded wait on state

    @keyword
    def plugin_should_reserve_no_cpu_of_deleted_pods(self, timeout: timedelta = timedelta(minutes=3)) -> None:
        """After the test's pods were deleted and released (``Clean Up Test Pods``): the plugin
        reserves no CPU that no pod holds (``Cpus Reserved For No Pod``). A leak fails, naming
        the CPUs and the deleted pods the plugin had granted them to (from its log of the test),
        after restarting the plugin (``Restart Plugin``, within ``timeout``): Synchronize rebuilds
        its state from the running containers, so the next test starts clean.

        Example:
        | Clean Up Test Pods |
        | Plugin Should Reserve No Cpu Of Deleted Pods |
        """
        from .plugin import PluginKeywords
        from .topology import TopologyKeywords

        leaked = TopologyKeywords(self.ctx).cpus_reserved_for_no_pod()
        if not leaked:
            return
        owners = self._owners(leaked)
        PluginKeywords(self.ctx).restart_plugin(timeout)
        raise AssertionError(f"the plugin leaked CPUs {format_cpu_list(leaked)}: it still reserved them after the "
                             f"test's pods were deleted and released ({owners}); restarted it for the next test")

    def _owners(self, leaked: frozenset[int]) -> str:
        """Which deleted pods the plugin had granted the leaked CPUs to, from its log of the test."""
        access = self.ctx.require_node_access()
        lines = access.read_since(self.ctx.step_mark or access.mark())
        grants = latest_words(lines)
        found = []
        for pod, ids in sorted(self.ctx.cleaned_up_ids.items()):
            held = [grants[pluginlog.short_id(cid)] for cid in ids if pluginlog.short_id(cid) in grants]
            cpus = frozenset().union(*(grant.cpus - grant.left for grant in held)) & leaked  # not what it left
            if cpus:
                found.append(f"{format_cpu_list(cpus)} of pod {pod}")
        return "granted to " + ", ".join(found) if found else "no grant of this test's pods names them"
