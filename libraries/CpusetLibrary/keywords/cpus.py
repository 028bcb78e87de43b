"""What CPUs containers really have (read inside them), and the invariants they must keep."""
from __future__ import annotations

import time
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..coregrants import baseline_key, broken_cores_message, whole_core_verdicts
from ..cpusets import format_cpu_list, parse_cpu_list
from ..nodemap import log_node_map
from .tables import table as _table
from ..nodeusage import read_node_usage, read_pod_cpus
from ..oracle import NodeUsage, overlaps, overlaps_between
from ..podstate import is_integer_pod, view

POLL_INTERVAL = 0.05  # seconds between reads while waiting for a live cpuset update


class CpuKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    @keyword
    def get_pod_cpus(self, pod: str) -> frozenset[int]:
        """The CPUs the pod's container may run on, read from ``/proc/1/status`` inside it
        (list and hex mask must agree).

        Example:
        | ${cpus} = | Get Pod Cpus | annotated-a |
        | Cpu Set Should Be | ${cpus} | 0,2 |
        """
        return read_pod_cpus(self.ctx.require_cluster(), self.ctx.require_namespace(), pod)

    @keyword
    def get_cpus_of_pods(self, *pods: str) -> dict[str, frozenset[int]]:
        """``Get Pod CPUs`` for each pod, logged as a table.

        Example:
        | ${sets} = | Get Cpus Of Pods | integer-a | integer-b |
        | Log | ${sets}[integer-a] |
        """
        sets = {pod: self.get_pod_cpus(pod) for pod in pods}
        logger.info(_table(["pod", "Cpus_allowed_list", "count"],
                           [(p, format_cpu_list(c), str(len(c))) for p, c in sets.items()]), html=True)
        return sets

    @keyword
    def pods_should_have_their_annotated_cpus(self, *pods: str) -> dict[str, frozenset[int]]:
        """Each pod's CPUs equal its ``weka.io/cores-ids`` annotation exactly.

        Example:
        | ${sets} = | Pods Should Have Their Annotated Cpus | annotated-a | annotated-b |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        sets = self.get_cpus_of_pods(*pods)
        problems = []
        for pod, cpus in sets.items():
            annotation = view(cluster.get_pod(namespace, pod)).cores_annotation
            if annotation is None:
                problems.append(f"{pod} has no weka.io/cores-ids annotation")
                continue
            expected = parse_cpu_list(annotation)
            if cpus != expected:
                problems.append(_difference(pod, cpus, expected, f"annotation '{annotation}'"))
        if problems:
            raise AssertionError("annotated CPUs wrong: " + "; ".join(problems))
        return sets

    @keyword
    def pods_should_have_exactly_their_requested_cpus(self, *pods: str) -> dict[str, frozenset[int]]:
        """Each integer pod has exactly as many CPUs as its CPU limit, and no two of them
        (nor any running annotated pod on the node) share a CPU. Returns pod -> CPUs.

        Whole cores, for every count and any state of the node: each grant breaks no core that
        was wholly free before it unless it had to. Judged against the node just before the
        grant (what ``Create Pods Together`` recorded before the pod's batch, plus what the
        plugin's log granted before this pod), as the plugin's allocator takes CPUs: first the
        free threads of cores whose other thread is already taken (held, or forbidden to the
        pod), then whole free cores, then for an odd remainder (a remainder whole cores cannot
        cover) at most one more core, which it breaks. So a grant may break at most one whole
        free core, and only when its count less those free threads is odd. Cores of one online
        thread (no SMT, an offline sibling) cannot be broken. A grant whose prior state is not
        known (a removal or live move in the log before it, other namespaces' integer pods not
        readable, no plugin log for a batch of several) is logged as not judged.

        Example:
        | ${sets} = | Pods Should Have Exactly Their Requested Cpus | integer-a | integer-b |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        sets = self.get_cpus_of_pods(*pods)
        problems = []
        for pod, cpus in sets.items():
            obj = cluster.get_pod(namespace, pod)
            if not is_integer_pod(obj):
                problems.append(f"{pod} is not an integer pod (whole CPU limit = request, memory limit)")
                continue
            want = int(view(obj).cpu_limit)
            if len(cpus) != want:
                problems.append(f"{pod} has {len(cpus)} CPUs ({format_cpu_list(cpus)}), requested {want}")
        # integer CPUs are exclusive: against each other and against annotated pods; annotated
        # pods may share CPUs with each other (the plugin counts references), so they are not
        # compared with each other. Only the annotated pods' CPUs (their annotations) are needed:
        # the integer pods' sets were read just above
        usage = self._usage(read_sets=False)
        annotated = {f"{key} (annotated)": cpus for key, cpus in usage.annotated.items()}
        problems.extend(overlaps(sets))
        problems.extend(overlaps_between(sets, annotated))
        if problems:
            raise AssertionError("integer CPUs wrong: " + "; ".join(problems))
        broken = self._whole_core_problems(sets)
        if broken:
            raise AssertionError(broken_cores_message(broken))
        return sets

    def _whole_core_problems(self, sets: dict[str, frozenset[int]]) -> list[tuple[str, str]]:
        """Judge each integer pod's grant(s) by :mod:`..wholecores`; log a table of the verdicts.
        Returns (pod, problem) for each grant that breaks the rule."""
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        node = self.ctx.require_node().name
        pods = [(view(obj), frozenset(cpus), node, baseline_key(obj)) for obj, cpus in
                ((cluster.get_pod(namespace, pod), cpus) for pod, cpus in sets.items()) if is_integer_pod(obj)]
        rows, problems = whole_core_verdicts(self.ctx, pods)
        if rows:
            logger.info(_table(["pod", "grant", "whole cores (against the node just before the grant)"], rows),
                        html=True)
        return problems

    @keyword
    def pods_should_keep_their_cpus(self, before: dict) -> None:
        """Each pod in ``before`` (pod -> CPUs) still has exactly those CPUs.

        Example:
        | ${before} = | Get Cpus Of Pods | integer-a |
        | Restart Plugin
        | Pods Should Keep Their Cpus | ${before} |
        """
        problems = []
        for pod, cpus in before.items():
            now = self.get_pod_cpus(pod)
            if now != frozenset(cpus):
                problems.append(_difference(pod, now, frozenset(cpus), "before"))
        if problems:
            raise AssertionError("CPUs changed: " + "; ".join(problems))

    @keyword
    def cpu_sets_should_not_overlap(self, sets: dict) -> None:
        """No two holders in ``sets`` (name -> CPUs) share a CPU.

        Example:
        | ${sets} = | Get Cpus Of Pods | integer-a | integer-b |
        | Cpu Sets Should Not Overlap | ${sets} |
        """
        found = overlaps({k: frozenset(v) for k, v in sets.items()})
        if found:
            raise AssertionError("exclusive CPUs overlap: " + "; ".join(found))

    def _usage(self, read_sets: bool = True) -> NodeUsage:
        """The node's usage; ``read_sets=False`` when only counts and annotations are needed (the
        free count is not: reading every integer pod's CPUs costs one exec per pod)."""
        return read_node_usage(self.ctx, read_sets=read_sets)

    @keyword
    def real_free_cpus(self) -> int:
        """CPUs of the target node that no annotated or integer container holds.

        Example:
        | ${free} = | Real Free Cpus |
        """
        usage = self._usage(read_sets=False)
        logger.info(usage.describe())
        return usage.real_free

    @keyword
    def free_cpus_for_a_new_integer_pod(self) -> int:
        """The largest integer pod the node can take now: CPUs no container holds, and no
        more than the scheduler admits (allocatable minus every pod's CPU request).

        Example:
        | ${free} = | Free Cpus For A New Integer Pod |
        | ${body} = | Pod Body | filler | cpu=${free} | memory=64Mi |
        """
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        usage = self._usage(read_sets=False)
        requested = sum(view(p).cpu_request for p in cluster.pods_on_node(node.name))
        schedulable = int((round(node.cpu_allocatable * 1000) - round(requested * 1000)) // 1000)
        free = min(usage.real_free, schedulable)
        logger.info(f"{usage.describe()}; scheduler admits {schedulable} more CPUs; a new integer pod "
                    f"can have {free}")
        return free

    @keyword
    def wait_until_pods_leave_cpus(self, cpus: str, *pods: str, timeout: timedelta = timedelta(seconds=30)) -> dict:
        """Wait (bounded, reading the containers) until none of the pods runs on any CPU of
        the list ``cpus`` (a live reallocation is applied asynchronously). Returns pod -> CPUs.

        Example:
        | ${sets} = | Wait Until Pods Leave Cpus | 0-1 | integer-x |
        """
        avoid = parse_cpu_list(cpus)
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            sets = {pod: self.get_pod_cpus(pod) for pod in pods}
            still = {pod: c & avoid for pod, c in sets.items() if c & avoid}
            if not still:
                return self.get_cpus_of_pods(*pods)
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"within {timeout.total_seconds():g} s these pods did not leave CPUs {format_cpu_list(avoid)}: "
                    + "; ".join(f"{pod} still on {format_cpu_list(c)}" for pod, c in still.items()))
            time.sleep(POLL_INTERVAL)  # re-reading the containers: a bounded wait on state

    @keyword
    def log_node_cpu_map(self, title: str = "CPU map") -> dict[int, tuple[str, str]]:
        """Draw which pod holds each CPU of the target node (inline SVG) with a table carrying
        the map's letters; returns cpu -> (holder, kind). Integer pods of this run are read by
        exec; others by their annotation or, for integer pods of other namespaces, counted only.
        CPUs the plugin's log says it reserves that no container holds are drawn as ``leaked``.

        Example: ``Log Node Cpu Map    Node with the integer pods``
        """
        return log_node_map(self.ctx, title)


def _difference(pod: str, actual: frozenset[int], expected: frozenset[int], what: str) -> str:
    extra = actual - expected
    missing = expected - actual
    text = f"{pod} has {format_cpu_list(actual) or 'none'} but {what} is {format_cpu_list(expected) or 'none'}"
    if extra:
        text += f"; extra {format_cpu_list(extra)}"
    if missing:
        text += f"; missing {format_cpu_list(missing)}"
    return text
