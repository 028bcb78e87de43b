"""The shared pool of running shared pods after a change of the reserved CPUs, and checks that
fail naming the plugin requirement they hold the plugin to."""
from __future__ import annotations

import time
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..cpusets import CpuSet, format_cpu_list
from ..nodeusage import annotation_cpus, read_pod_cpus
from ..oracle import holds_cpus
from ..podstate import is_integer_pod, view
from .tables import table as _table
from .topology import TopologyKeywords, forbidden_cpus

POLL_INTERVAL = 0.05  # seconds between reads while waiting for a live cpuset update


def violation(requirement: str, detail: str) -> str:
    """A failure message naming the requirement (``requirement R violated: ...``); the release
    gate waives an accepted deviation only on such a message (CpusetLibrary/cli/waivers.py)."""
    return f"requirement {requirement} violated: {detail}" if requirement else detail


class SharedPoolKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    def _reservations(self, exclude: set[str]) -> dict[str, tuple[str, CpuSet]]:
        """pod -> (kind, CPUs) of every annotated and integer pod holding CPUs on the node."""
        cluster = self.ctx.require_cluster()
        held: dict[str, tuple[str, CpuSet]] = {}
        for pod in cluster.pods_on_node(self.ctx.require_node().name):
            pod_view = view(pod)
            if pod_view.name in exclude or not holds_cpus(pod_view):
                continue
            if pod_view.cores_annotation is not None:
                held[pod_view.name] = ("annotated", CpuSet(annotation_cpus(pod_view.cores_annotation)))
            elif is_integer_pod(pod):
                held[pod_view.name] = ("integer", read_pod_cpus(cluster, pod.metadata.namespace, pod_view.name))
        return held

    def _problems(self, pods: tuple[str, ...], online: frozenset[int],
                  owners: dict[str, str]) -> tuple[list[tuple[str, list[tuple[str, str]]]], list[tuple]]:
        """Per shared pod that does not have its pool: its summary and what is wrong, each with the
        kind of problem (``owners`` maps a kind to the requirement it breaks)."""
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        held = self._reservations(set(pods))
        reserved = CpuSet(frozenset().union(*(cpus for _, cpus in held.values())))
        problems, rows = [], []
        for pod in pods:
            forbidden = forbidden_cpus(cluster.get_pod(namespace, pod))
            want = CpuSet(online - reserved - forbidden)
            has = read_pod_cpus(cluster, namespace, pod)
            rows.append((pod, format_cpu_list(has), format_cpu_list(want)))
            if has == want:
                continue
            detail = [f"{kind} pod {owner} ({format_cpu_list(cpus)})"
                      for owner, (kind, cpus) in held.items() if has & cpus]
            said: list[tuple[str, str]] = []
            if detail:
                said.append((owners["reserved"],
                             f"runs on {format_cpu_list(has & reserved)}, reserved for " + ", ".join(detail)))
            if has & forbidden:
                said.append((owners["forbidden"], f"runs on its forbidden CPUs {format_cpu_list(has & forbidden)}"))
            if want - has:
                said.append((owners["missing"], f"lacks {format_cpu_list(want - has)} of the shared pool"))
            extra = has - want - reserved - forbidden
            if extra:
                said.append((owners["reserved"], f"runs on {format_cpu_list(extra)} outside the online CPUs"))
            problems.append((f"shared pod {pod} has {format_cpu_list(has) or 'none'}, the shared pool is "
                             f"{format_cpu_list(want) or 'none'}", said))
        return problems, rows

    @keyword
    def wait_until_shared_pods_have_the_shared_pool(self, *pods: str, after: str = "the change",
                                                    requirement: str = "", forbidden_requirement: str = "",
                                                    missing_requirement: str = "",
                                                    timeout: timedelta = timedelta(seconds=5)) -> None:
        """Wait (bounded, reading the containers) until each running shared pod has exactly the
        shared pool: the online CPUs minus every annotated and integer pod's CPUs, minus its own
        ``weka.io/forbid-core-ids``. The plugin applies such updates asynchronously, so this waits
        up to ``timeout``. On a timeout the message says which shared pod runs on which CPUs of
        which annotated or integer pod, on which of its forbidden CPUs, and what it lacks.

        With ``requirement`` the message starts ``requirement <id> violated:`` naming the
        requirement each problem breaks: running on reserved CPUs breaks ``requirement``, running
        on forbidden CPUs ``forbidden_requirement`` and lacking CPUs of the pool
        ``missing_requirement`` (both default to ``requirement``). When the problems break more
        than one, it starts ``requirements <id>, <id> violated:``, so the release gate waives it as
        no single accepted deviation. ``after`` names the change in the message.

        Example:
        | Wait Until Shared Pods Have The Shared Pool | shared-a | after=integer pod integer-b was admitted |
        | ... | requirement=3.2-shared-live-update | missing_requirement=2-shared-pool |
        """
        owners = {"reserved": requirement, "forbidden": forbidden_requirement or requirement,
                  "missing": missing_requirement or requirement}
        online = TopologyKeywords(self.ctx).online_cpus()
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            problems, rows = self._problems(pods, online, owners)
            if not problems:
                logger.info(_table(["shared pod", "CPUs", "shared pool"], rows), html=True)
                return
            if time.monotonic() >= deadline:
                logger.info(_table(["shared pod", "CPUs", "shared pool"], rows), html=True)
                raise AssertionError(_message(problems, requirement, f"{timeout.total_seconds():g} s after {after}"))
            time.sleep(POLL_INTERVAL)  # re-reading the containers: a bounded wait on state


def _message(problems: list[tuple[str, list[tuple[str, str]]]], requirement: str, when: str) -> str:
    """``requirement R violated: <when>: <pod summary>: <problem>; ...`` (one requirement), or
    ``requirements R1, R2 violated: ...`` when the problems break several."""
    text = f"{when}: " + "; ".join(f"{summary}: " + "; ".join(said for _, said in items)
                                   for summary, items in problems)
    if not requirement:
        return text
    broken = sorted({req for _, items in problems for req, _ in items})
    if len(broken) == 1:
        return violation(broken[0], text)
    return f"requirements {', '.join(broken)} violated: {text}"
