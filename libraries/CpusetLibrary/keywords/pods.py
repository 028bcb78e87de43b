"""Namespaces and pods: create and delete many at once, wait on their state (watch, bounded),
and judge why a pod does not run."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

from robot.api import logger
from robot.api.deco import keyword

from ..cluster import ClusterError
from ..context import LibraryContext
from ..coregrants import record_baseline
from ..manifests import MANIFEST_DIR, render_manifest
from ..nodeaccess.base import NodeAccess
from ..nodeplugins import NodeAccessUnavailable, access_for_node
from ..nodeusage import read_node_usage
from ..oracle import AccountingCorruption, judge_refusal
from ..podstate import PodView, ended_for_good, view
from ..releases import delete_daemonsets, started_containers, unseen_pods, wait_until_released
from .tables import table as _table

MANAGED_BY = "nri-cpuset-acceptance"


class PodKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    # ---- namespace ----------------------------------------------------------------------

    @keyword
    def create_test_namespace(self, procedure: str) -> str:
        """Create a namespace for this run: ``<procedure>-<run id>``, labelled as ours.

        Example:
        | ${namespace} = | Create Test Namespace | plugin-contract |
        """
        cluster = self.ctx.require_cluster()
        self.ctx.run_id = self.ctx.run_id or uuid.uuid4().hex[:8]
        name = f"{procedure}-{self.ctx.run_id}"[:63].rstrip("-")
        cluster.create_namespace(name, {
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "nri-cpuset-acceptance/run": self.ctx.run_id,
            "nri-cpuset-acceptance/node": self.ctx.require_node().name[:63],  # leftovers are found by node
        })
        self.ctx.created_namespaces.add(name)
        self.ctx.namespace = name
        logger.info(f"Test namespace: {name}")
        return name

    @keyword
    def delete_test_namespace(self, timeout: timedelta = timedelta(minutes=2), grace_period: int = 5,
                              release_timeout: timedelta = timedelta(minutes=2)) -> None:
        """Delete the run's DaemonSets (so none recreates a pod), its pods with ``grace_period``
        seconds, then the namespace, and wait until it is gone; then wait, at most
        ``release_timeout``, until the plugin on each node has released every container those
        pods had, so the node is idle for whatever runs next. The test pods' command stops on
        SIGTERM at once; the grace period bounds pods that do not (a container that ignores
        SIGTERM, such as ``sleep`` as PID 1, is killed only when it runs out, and the
        namespace's deletion would give it the pod's default 30 s).

        A release not seen within ``release_timeout`` is a warning naming the containers (the
        procedure's verdict is already made; the next procedure's own leak checks judge it).
        Nodes whose plugin this run cannot read are named and not waited for.

        Example:
        | Suite Teardown | Delete Test Namespace | grace_period=5 |
        """
        if not self.ctx.namespace:
            return
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.namespace
        # listed and marked before anything is deleted: the garbage collector may delete the
        # DaemonSets' pods, and the plugin release them, at once
        seen = cluster.list_pods(namespace)
        started = started_containers(seen)
        unseen = unseen_pods(seen)
        accesses, unread = self._plugin_accesses({item.node for item in started} | {item.node for item in unseen})
        marks = {node: access.mark() for node, access in accesses.items()}
        stopped = delete_daemonsets(cluster, namespace)
        if stopped:
            logger.info(f"Deleted DaemonSets (no pod of theirs is recreated): {', '.join(stopped)}")
        pods = cluster.list_pods(namespace)
        late = started_containers(pods) - started  # created by a DaemonSet since the first listing
        late_unseen = unseen_pods(pods) - unseen
        if late or late_unseen:
            nodes = {item.node for item in late} | {item.node for item in late_unseen}
            more, more_unread = self._plugin_accesses(nodes - set(accesses) - set(unread))
            marks.update({node: access.mark() for node, access in more.items()})
            accesses.update(more)
            unread.update(more_unread)
            started |= late
            unseen |= late_unseen
        remaining = [pod.metadata.name for pod in pods]
        if remaining:
            cluster.delete_pods(namespace, remaining, int(grace_period))
            logger.info(f"Deleted together (grace {grace_period} s): {', '.join(remaining)}")
        took = cluster.delete_namespace(namespace, timeout.total_seconds())
        self.ctx.created_namespaces.discard(namespace)
        logger.info(f"Namespace {namespace} deleted in {took:.2f} s")
        self.ctx.namespace = ""
        for node, why in sorted(unread.items()):
            logger.info(f"Release of the containers on node {node} not waited for: {why}")
        waited, pending = wait_until_released(started, accesses, marks, release_timeout.total_seconds(),
                                              cluster.progress, unseen)
        released = len([item for item in started if item.node in accesses and item not in pending])
        if pending:
            logger.warn(f"The plugin did not release within {release_timeout.total_seconds():g} s (no "
                        f"RemoveContainer in its log): {'; '.join(sorted(item.describe() for item in pending))}. "
                        "Their CPUs may still be reserved for the next procedure on the node.")
        elif released:
            logger.info(f"The plugin released all {released} containers of the deleted pods {waited:.2f} s "
                        "after the namespace was gone: the node is idle for the next procedure")

    def _plugin_accesses(self, nodes: set[str]) -> tuple[dict[str, NodeAccess], dict[str, str]]:
        """The plugin access of each node, and why a node has none (no ``Connect To Plugin``,
        or a node access that reaches the target node only)."""
        if self.ctx.node_access is None:
            return {}, {node: "no plugin access (Connect To Plugin was not called)" for node in nodes}
        accesses, unread = {}, {}
        for node in sorted(nodes):
            try:
                accesses[node] = access_for_node(self.ctx, node)
            except NodeAccessUnavailable as err:
                unread[node] = str(err)
        return accesses, unread

    # ---- manifests and creation ---------------------------------------------------------

    @keyword
    def render_pods(self, manifest: str, **variables: str) -> list[dict]:
        """Render a manifest from ``manifests/`` (or a path) into pod bodies for this run:
        NAMESPACE, NODE and RUN_ID are filled in; the other variables are given.

        Example:
        | ${bodies} = | Render Pods | integer-pod.yaml | NAME=integer-x | CPU=4 | IMAGE=busybox:latest | MEMORY=1Gi |
        """
        path = Path(manifest)
        if not path.is_absolute() and not path.exists():
            path = MANIFEST_DIR / manifest
        values = {"NAMESPACE": self.ctx.require_namespace(), "NODE": self.ctx.require_node().name,
                  "RUN_ID": self.ctx.run_id, **{k: str(v) for k, v in variables.items()}}
        return render_manifest(path, values)

    @keyword
    def create_pods_together(self, *bodies: dict) -> list[str]:
        """Create all pods at once, as ``kubectl apply -f`` of one file does.

        Example:
        | ${a} = | Pod Body | int-a | cpu=2 | memory=64Mi |
        | ${names} = | Create Pods Together | ${a} | @{more} |
        """
        record_baseline(self.ctx, list(bodies))  # what integer grants are judged against
        names = self.ctx.require_cluster().create_pods(self.ctx.require_namespace(), list(bodies))
        logger.info(f"Created together: {', '.join(names)}")
        return names

    @keyword
    def delete_pods_together(self, *names: str, grace_period: int = 5) -> None:
        """Delete the pods at once with the given grace period (seconds). Their container IDs
        are remembered so their release by the plugin can be checked afterwards.

        Example:
        | Delete Pods Together | int-a | int-b | grace_period=0 |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        for pod in cluster.list_pods(namespace):
            if pod.metadata.name in names:
                self._remember(view(pod))
        if self.ctx.node_access is not None:
            taken = (time.monotonic(), self.ctx.node_access.mark())
            for name in names:
                self.ctx.deletion_marks[name] = taken
        cluster.delete_pods(namespace, names, int(grace_period))
        logger.info(f"Deleted together (grace {grace_period} s): {', '.join(names)}")

    def _remember(self, pod_view: PodView) -> None:
        if pod_view.container_ids:
            self.ctx.container_ids[pod_view.name] = pod_view.container_ids
        self.ctx.container_names[pod_view.name] = pod_view.container_names

    @keyword
    def container_ids_of(self, *names: str) -> list[str]:
        """Container IDs (64 hex) of the pods, from their status or remembered from earlier.

        Example:
        | ${ids} = | Container Ids Of | integer-a |
        | Should Match Regexp | ${ids}[0] | ^[0-9a-f]{64}$ |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        ids: list[str] = []
        for name in names:
            if name not in self.ctx.container_ids:
                self._remember(view(cluster.get_pod(namespace, name)))
            found = self.ctx.container_ids.get(name)
            if not found:
                raise ClusterError(f"pod '{namespace}/{name}' has no container ID yet")
            ids.extend(found)
        return ids

    # ---- waiting -------------------------------------------------------------------------

    @keyword
    def wait_until_pods_are_ready(self, *names: str, timeout: timedelta = timedelta(minutes=2)) -> float:
        """Wait (watch, bounded) until every pod is Ready; returns the seconds it took.

        Fails at once when a pod is refused for a reason that will not pass: the scheduler's
        ``FailedScheduling``, a runtime error other than a CPU shortage, or a plugin refusal
        ``insufficient free CPUs: need N, have M`` while at least N CPUs are really free
        (accounting corruption: the message gives both figures and the CPU lists). A genuine
        shortage is waited out (it passes when CPUs are released) and reported in the log.
        Fails at once, too, when a pod can never become Ready: it is deleted or being deleted,
        its phase is ``Failed`` or ``Succeeded`` (e.g. runc's ``StartError`` when it cannot apply
        the cpuset the plugin granted), or a container ended that its ``restartPolicy`` does not
        start again; the message says which, with the runtime's reason.

        Example:
        | ${took} = | Wait Until Pods Are Ready | int-a | int-b | timeout=2 min |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        start = time.monotonic()
        transient: dict[str, str] = {}

        def judge(state) -> bool:
            for name, pod in state.items():
                if pod is None:
                    raise AssertionError(f"pod '{namespace}/{name}' does not exist (deleted?)")
                pod_view = view(pod)
                self._remember(pod_view)
                if pod_view.ready:
                    continue
                verdict = judge_refusal(pod_view, read_node_usage(self.ctx)) if (
                    pod_view.unschedulable or pod_view.waiting_reason == "CreateContainerError") else None
                if verdict is None:
                    final = ended_for_good(pod)
                    if final:
                        raise AssertionError(f"pod {name} can never become Ready "
                                             f"({time.monotonic() - start:.1f} s after the wait began): {final}")
                    continue
                if verdict.kind == "corruption":
                    raise AccountingCorruption(verdict.reason)
                if verdict.kind != "shortage":  # the scheduler or the runtime will not change its mind
                    raise AssertionError(f"pod {name} cannot start: {verdict.reason}")
                transient.setdefault(name, verdict.reason)
            return all(pod is not None and view(pod).ready for pod in state.values())

        state, done = cluster.watch_pods(namespace, names, judge, timeout.total_seconds())
        took = time.monotonic() - start
        for name, reason in transient.items():
            logger.warn(f"Transient refusal seen on the way to Ready: {reason}")
        if not done:
            raise AssertionError(
                f"pods not Ready within {timeout.total_seconds():g} s: "
                + "; ".join(view(p).describe() if p else f"{n}: gone" for n, p in sorted(state.items())
                            if p is None or not view(p).ready)
            )
        logger.info(f"Ready in {took:.2f} s: {', '.join(names)}")
        return took

    @keyword
    def wait_until_pods_are_gone(self, *names: str, timeout: timedelta = timedelta(minutes=2)) -> float:
        """Wait (watch, bounded) until the pod objects no longer exist; returns seconds.

        Example:
        | Wait Until Pods Are Gone | int-a | int-b | timeout=2 min |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        start = time.monotonic()
        state, done = cluster.watch_pods(namespace, names, lambda s: all(p is None for p in s.values()),
                                         timeout.total_seconds())
        if not done:
            raise AssertionError(f"pods still exist after {timeout.total_seconds():g} s: "
                                 + "; ".join(view(p).describe() for p in state.values() if p is not None))
        return time.monotonic() - start

    @keyword
    def pod_should_be_refused_genuinely(self, name: str, timeout: timedelta = timedelta(minutes=1)) -> str:
        """Wait until the pod is refused and check the refusal is genuine: the scheduler's
        ``Insufficient cpu``, or the plugin's shortage with its figure equal to the real free
        count. Fails when the pod runs (the node was over-committed) or when the refusal is
        accounting corruption. Returns the verdict sentence.

        Example:
        | Create Pods Together | @{probe} |
        | ${why} = | Pod Should Be Refused Genuinely | overflow-probe |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        verdicts: dict[str, object] = {}

        def judge(state) -> bool:
            pod = state[name]
            if pod is None:
                raise AssertionError(f"pod '{namespace}/{name}' does not exist")
            pod_view = view(pod)
            if pod_view.phase == "Running":
                raise AssertionError(
                    f"pod {name} requesting {pod_view.cpu_request:g} CPUs is Running, but the node had "
                    f"fewer free CPUs: the node is over-committed ({read_node_usage(self.ctx).describe()})")
            verdict = judge_refusal(pod_view, read_node_usage(self.ctx))
            if verdict is None:
                final = ended_for_good(pod)
                if final:
                    raise AssertionError(f"pod {name} was neither refused nor left waiting: {final}")
                return False
            verdicts["v"] = verdict
            return True

        state, done = cluster.watch_pods(namespace, [name], judge, timeout.total_seconds())
        if not done:
            raise AssertionError(f"pod {name} was neither refused nor started within "
                                 f"{timeout.total_seconds():g} s: {view(state[name]).describe()}")
        verdict = verdicts["v"]
        if verdict.kind == "corruption":
            raise AccountingCorruption(verdict.reason)
        if not verdict.genuine:
            raise AssertionError(f"pod {name} was refused, but not for lack of CPUs: {verdict.reason}")
        logger.info(verdict.reason)
        self.log_pod_events(name)
        return verdict.reason

    @keyword
    def log_pods_that_are_not_ready(self) -> list[str]:
        """Log every pod of the run that is not Ready, with its events (evidence of a failure).
        Returns their one-line descriptions.

        Example:
        | Run Keyword If Test Failed | Log Pods That Are Not Ready |
        """
        if self.ctx.cluster is None or not self.ctx.namespace:
            return []
        lines = []
        for pod in self.ctx.cluster.list_pods(self.ctx.namespace):
            pod_view = view(pod)
            if not pod_view.ready:
                lines.append(pod_view.describe())
                logger.info(pod_view.describe())
                self.log_pod_events(pod_view.name)
        return lines

    @keyword
    def log_pod_events(self, name: str) -> list[str]:
        """Log the pod's events as a table; returns them as ``Type Reason: message`` lines.

        Example:
        | ${events} = | Log Pod Events | integer-big |
        """
        cluster = self.ctx.require_cluster()
        events = cluster.pod_events(self.ctx.require_namespace(), name)
        rows = [(e.type or "", e.reason or "", str(e.count or 1), e.message or "") for e in events]
        logger.info(_table(["type", "reason", "count", "message"], rows), html=True)
        return [f"{t} {r}: {m}" for t, r, _, m in rows]
