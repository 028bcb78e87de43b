"""The relocate-CPU procedure (several nodes): an integer DaemonSet of 2-CPU pods, then an
annotated DaemonSet on the CPUs of the first integer pod, so on every node the plugin must
move its integer pod live. The oracle, per node, compares CPU *sets*:

* the annotated pod has exactly its annotation;
* the integer pod keeps its CPU count, shares no CPU with the annotated pod or any other
  holder on the node, and was moved only if it held an annotated CPU (else it keeps its CPUs);
* sibling pairs are kept where the node allows it: the plugin (HEAD) first takes free
  threads of cores that are partly unavailable, and only then whole free cores, so a moved
  pod that had whole cores must get whole cores again when no core is partly unavailable
  (the annotated CPUs and the other holders counted, the pod's old CPUs not) and a whole
  core is free; otherwise the pair is reported and not required;
* the node's plugin logged HEAD's lines for the move: ``Conflicts detected for annotated
  container <id>``, ``Found conflicting integer container <id> on CPU <n>`` for each CPU,
  ``Successfully planned reallocation of 1 containers for annotated container <id>``
  and ``Queuing 1 reallocation updates for annotated container <id>``.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from .. import pluginlog
from ..context import LibraryContext
from ..cpusets import format_cpu_list, parse_cpu_list
from ..keywords.tables import table as _table
from ..nodeplugins import node_log_since
from ..nodetopology import read_node_topology
from ..nodeusage import read_node_usage, read_pod_cpus
from ..podstate import view

POLL_INTERVAL = 0.05  # seconds between reads of the containers while a live move is applied


def whole_cores(cpus: frozenset[int], siblings: Mapping[int, frozenset[int]]) -> bool:
    """Every CPU's thread siblings are in the set too."""
    return all(siblings.get(cpu, frozenset({cpu})) <= cpus for cpu in cpus)


def siblings_allowed(unavailable: frozenset[int], count: int, siblings: Mapping[int, frozenset[int]]) -> str:
    """Empty when HEAD's allocator must give ``count`` CPUs as whole cores with ``unavailable``
    reserved; else why the node does not allow it (a sentence)."""
    cores = {frozenset(group) for group in siblings.values()}
    if all(len(core) == 1 for core in cores):
        return "the node has no SMT (one thread per core)"
    partly = sorted((c for c in cores if c & unavailable and c - unavailable), key=min)
    if partly:
        return (f"cores {', '.join(format_cpu_list(c) for c in partly[:4])} are partly taken: the plugin "
                "uses their free threads first")
    free_threads = sum(len(c) for c in cores if not c & unavailable)
    if free_threads < count or count % 2:
        return f"no {count} CPUs of whole free cores"
    return ""


def relocation_problems(node: str, annotation: frozenset[int], annotated_has: frozenset[int],
                        before: frozenset[int], after: frozenset[int], count: int,
                        others: frozenset[int]) -> list[str]:
    """What is wrong on ``node`` after the annotated pod was admitted (sets compared as sets)."""
    problems = []
    if annotated_has != annotation:
        extra, missing = annotated_has - annotation, annotation - annotated_has
        problems.append(f"{node}: annotated pod has {format_cpu_list(annotated_has) or 'none'} but its annotation "
                        f"is {format_cpu_list(annotation)}"
                        + (f"; extra {format_cpu_list(extra)}" if extra else "")
                        + (f"; missing {format_cpu_list(missing)}" if missing else ""))
    if len(after) != count:
        problems.append(f"{node}: integer pod has {len(after)} CPUs ({format_cpu_list(after)}), requested {count}")
    shared = after & annotated_has
    if shared:
        problems.append(f"{node}: integer pod ({format_cpu_list(after)}) and annotated pod share CPUs "
                        f"{format_cpu_list(shared)}")
    taken = after & others
    if taken:
        problems.append(f"{node}: integer pod ({format_cpu_list(after)}) shares CPUs {format_cpu_list(taken)} "
                        "with other holders on the node")
    if not before & annotation and after != before:
        problems.append(f"{node}: integer pod held none of the annotated CPUs but moved from "
                        f"{format_cpu_list(before)} to {format_cpu_list(after)}")
    return problems


class Keywords:
    """Keywords of the relocate-CPU procedure."""

    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context
        self._siblings: dict[str, dict[int, frozenset[int]]] = {}

    def _topology(self, node: str, pod: str) -> dict[int, frozenset[int]]:
        if node not in self._siblings:
            topology = read_node_topology(self.ctx.require_cluster(), self.ctx.require_namespace(), pod)
            self._siblings[node] = {cpu: frozenset(s) for cpu, s in topology.siblings.items()}
        return self._siblings[node]

    def _others(self, node: str, *exclude: str) -> tuple[frozenset[int], int]:
        """CPUs held on ``node`` by holders other than the pods ``exclude``, and how many CPUs
        of integer pods there could not be read (other namespaces)."""
        usage = read_node_usage(self.ctx, node_name=node)
        namespace = self.ctx.require_namespace()
        skip = {f"{namespace}/{pod}" for pod in exclude}
        held = frozenset().union(*(c for k, c in usage.annotated.items() if k not in skip),
                                 *(c for k, c in usage.integer_sets.items() if k not in skip))
        unread = sum(n for k, n in usage.integer.items() if k not in usage.integer_sets and k not in skip)
        return held, unread

    @keyword
    def integer_pods_should_hold_whole_cores(self, pods: dict, count: int = 2) -> dict[str, frozenset[int]]:
        """Node -> CPUs of each integer pod (``pods``: node -> pod): exactly ``count`` CPUs, shared
        with no other holder on its node, whole cores where the node allows (see the module doc).
        Returns node -> CPUs.

        Example:
        | ${before} = | Integer Pods Should Hold Whole Cores | ${INTEGER_PODS} | count=2 |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        sets, rows, problems = {}, [], []
        for node, pod in pods.items():
            cpus = read_pod_cpus(cluster, namespace, pod)
            sets[node] = frozenset(cpus)
            others, unread = self._others(node, pod)
            siblings = self._topology(node, pod)
            why_not = siblings_allowed(others, int(count), siblings) or (
                f"{unread} CPUs of other integer pods were not read" if unread else "")
            pair = "whole cores" if whole_cores(sets[node], siblings) else "not whole cores"
            rows.append((node, pod, format_cpu_list(cpus), pair, why_not or "required"))
            if cpus & others:
                problems.append(f"{node}: {pod} shares CPUs {format_cpu_list(cpus & others)} with other holders")
            if len(cpus) != int(count):
                problems.append(f"{node}: {pod} has {len(cpus)} CPUs ({format_cpu_list(cpus)}), requested {count}")
            elif not why_not and not whole_cores(sets[node], siblings):
                problems.append(f"{node}: {pod} has {format_cpu_list(cpus)}, not whole cores, although whole "
                                "cores were free")
        logger.info(_table(["node", "pod", "CPUs", "siblings", "whole cores"], rows), html=True)
        if problems:
            raise AssertionError("integer pods wrong: " + "; ".join(problems))
        return sets

    @keyword
    def daemonset_pods_should_be_relocated(self, annotated: dict, integer: dict, before: dict, cores: str,
                                           count: int = 2, timeout: timedelta = timedelta(seconds=30)) -> dict:
        """On every node (``annotated``/``integer``: node -> pod; ``before``: node -> the integer
        pod's CPUs before the annotated pod came): the annotated pod has exactly ``cores``, the
        integer pod moved off them (waited for, bounded: the move is applied asynchronously)
        keeping ``count`` CPUs, and no CPU is shared on the node. Returns node -> the integer
        pod's CPUs now.

        Example:
        | ${after} = | Daemonset Pods Should Be Relocated | ${ANNOTATED_PODS} | ${INTEGER_PODS} | ${BEFORE} | 1,33 |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        annotation = parse_cpu_list(cores)
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            after = {node: frozenset(read_pod_cpus(cluster, namespace, pod)) for node, pod in integer.items()}
            moving = [n for n in integer if after[n] & annotation and before[n] & annotation]
            if not moving or time.monotonic() > deadline:
                break
            time.sleep(POLL_INTERVAL)  # re-reading the containers: a bounded wait on state
        rows, problems = [], []
        for node, pod in integer.items():
            annotated_pod = annotated.get(node)
            if annotated_pod is None:
                problems.append(f"{node}: no annotated pod")
                continue
            has = frozenset(read_pod_cpus(cluster, namespace, annotated_pod))
            others, _ = self._others(node, pod, annotated_pod)
            problems += relocation_problems(node, annotation, has, frozenset(before[node]), after[node],
                                            int(count), others)
            rows.append((node, annotated_pod, format_cpu_list(has), pod, format_cpu_list(before[node]),
                         format_cpu_list(after[node])))
        logger.info(_table(["node", "annotated pod", "has", "integer pod", "before", "now"], rows), html=True)
        if problems:
            raise AssertionError("relocation wrong: " + "; ".join(problems))
        return after

    @keyword
    def relocated_pods_should_keep_sibling_pairs(self, annotated: dict, integer: dict, before: dict,
                                                 after: dict) -> None:
        """On every node where the integer pod had whole cores and was moved, it has whole
        cores again where the node allows it (no core partly taken, whole cores free; the
        annotated CPUs and other holders counted, its old CPUs not). Nodes that do not allow
        it are reported with the reason.

        Example:
        | Relocated Pods Should Keep Sibling Pairs | ${ANNOTATED_PODS} | ${INTEGER_PODS} | ${BEFORE} | ${AFTER} |
        """
        rows, problems = [], []
        for node, pod in integer.items():
            siblings = self._topology(node, pod)
            old, new = frozenset(before[node]), frozenset(after[node])
            if old == new:
                rows.append((node, format_cpu_list(old), format_cpu_list(new), "not moved"))
                continue
            held, unread = self._others(node, pod)
            why_not = ("it had no whole cores before" if not whole_cores(old, siblings) else
                       siblings_allowed(held, len(old), siblings)
                       or (f"{unread} CPUs of other integer pods were not read" if unread else ""))
            kept = whole_cores(new, siblings)
            rows.append((node, format_cpu_list(old), format_cpu_list(new),
                         ("whole cores" if kept else "not whole cores") + (f" (not required: {why_not})"
                                                                           if why_not else "")))
            if not why_not and not kept:
                pairs = ", ".join(f"{cpu}: siblings {format_cpu_list(siblings.get(cpu, frozenset()))}"
                                  for cpu in sorted(new))
                problems.append(f"{node}: {pod} moved from {format_cpu_list(old)} to {format_cpu_list(new)}, "
                                f"not whole cores ({pairs}), although the node had whole free cores")
        logger.info(_table(["node", "before", "after", "sibling pairs"], rows), html=True)
        if problems:
            raise AssertionError("sibling pairs broken: " + "; ".join(problems))

    @keyword
    def plugin_logs_should_show_the_relocation(self, since: str, annotated: dict, integer: dict, before: dict,
                                               cores: str) -> None:
        """Each node's plugin log since the mark ``since`` (``Mark Plugin Logs Of Nodes``) has
        HEAD's lines for moving that node's integer pod off the annotated CPUs (see the module
        doc) on every node where the integer pod held one of them.

        Example:
        | Plugin Logs Should Show The Relocation | before-annotated | ${ANNOTATED_PODS} | ${INTEGER_PODS} | ${BEFORE} | 1,33 |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        annotation = parse_cpu_list(cores)
        problems, rows = [], []
        for node, pod in integer.items():
            conflict = sorted(frozenset(before[node]) & annotation)
            if not conflict:
                rows.append((node, "no conflict on this node", ""))
                continue
            lines = [pluginlog.strip_timestamp(line) for line in node_log_since(self.ctx, node, since)]
            annotated_ids = view(cluster.get_pod(namespace, annotated[node])).container_ids
            integer_ids = view(cluster.get_pod(namespace, pod)).container_ids
            if not annotated_ids or not integer_ids:
                problems.append(f"{node}: container ids of {annotated[node]} / {pod} unknown")
                continue
            sid, iid = pluginlog.short_id(annotated_ids[0]), pluginlog.short_id(integer_ids[0])
            wanted = [f"DEBUG: Conflicts detected for annotated container {sid}, attempting reallocation"]
            wanted += [f"DEBUG: Found conflicting integer container {iid} on CPU {cpu}" for cpu in conflict]
            wanted += [f"DEBUG: Successfully planned reallocation of 1 containers for annotated container {sid}",
                       f"DEBUG: Queuing 1 reallocation updates for annotated container {sid}"]
            missing = [w for w in wanted if not any(w in line for line in lines)]
            rows.append((node, f"{len(wanted) - len(missing)} of {len(wanted)} lines",
                         "; ".join(missing) or "all present"))
            if missing:
                problems.append(f"{node}: plugin log lacks " + " | ".join(f"'{m}'" for m in missing))
        logger.info(_table(["node", "relocation lines", "missing"], rows), html=True)
        if problems:
            raise AssertionError("plugin log wrong: " + "; ".join(problems))

