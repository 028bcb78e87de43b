"""The node's state before each integer grant, so :mod:`.wholecores` can judge every grant.

``Create Pods Together`` records, before it creates a batch with integer pods, what the target
node holds (every annotated and integer container's CPUs) and where the plugin's log is. The
state before one container's grant is that, plus the CPUs of the batch's annotated pods, plus
whatever the plugin's log granted or recorded between the record and this grant (the grants of
the batch's other containers, in the plugin's order), plus what the allocator said it took as
reserved just before it chose (its ``AllocateExclusiveCPUs ... reserved=[...]`` line, when it
prints one): a plugin that reserves more than the containers hold (a leak) is judged on its
choice among the CPUs it believed free; the leak is another check's. A grant is not judged, and
the log says why, when that state cannot be known: CPUs of other namespaces' integer pods that
could not be read, a removal or a live move in between, no plugin log (and more than one integer
pod in the batch), or a grant of CPUs that state had held.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .context import LibraryContext
from .cpusets import format_cpu_list
from .nodeaccess import LogMark
from .nodeusage import annotation_cpus, read_node_usage
from .oracle import forbidden_of
from .pluginlog import grants, short_id
from .podstate import PodView
from .quantity import parse_cpu
from .wholecores import CoreVerdict, judge_grant

#: lines after which the state of the node is no longer the sum of the grants before them
#: the allocator's own view of what is taken, printed just before it chooses (upstream's debug line)
_ALLOCATOR_VIEW = re.compile(r"AllocateExclusiveCPUs need=\d+, reserved=\[(?P<cpus>[\d ]*)\]")
#: (a removal of a container that held CPUs, a live move; not the removal of a shared container)
_STATE_CHANGED = re.compile(r"Released (?:annotated|integer) CPU|RemoveContainer [0-9a-f]{12,64} (?:mode=|complete)|"
                            r"Found conflicting integer container|is owned by container|reallocation plan")


@dataclass(frozen=True)
class Baseline:
    """The target node just before a batch was created."""

    held: frozenset[int]  # CPUs of annotated and integer containers
    annotated: frozenset[int]  # CPUs the batch's annotated pods ask for
    integer_pods: int  # integer pods in the batch
    mark: LogMark | None  # the plugin's log just before the batch; None without access
    unknown: str = ""  # why the state is not fully known ("" when it is)
    node: str = ""  # the node ("" the target node)


def is_integer_body(body: dict) -> bool:
    """The body's every container has a whole CPU limit (>= 1) equal to its request, and a
    memory limit: what the plugin treats as an integer container (as ``is_integer_pod``)."""
    containers = ((body.get("spec") or {}).get("containers")) or []
    for container in containers:
        resources = container.get("resources") or {}
        limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
        if "cpu" not in limits or "memory" not in limits:
            return False
        cpu = parse_cpu(str(limits["cpu"]))
        if cpu < 1 or cpu != int(cpu) or parse_cpu(str(requests.get("cpu", limits["cpu"]))) != cpu:
            return False
    return bool(containers)


def record_baseline(ctx: LibraryContext, bodies: list[dict], node: str = "",
                    keys: list[str] | None = None) -> None:
    """Before creating the pod ``bodies`` on ``node`` (default: the target node): when the batch
    has integer pods, remember the node's state, under each pod's name (or ``keys``)."""
    integer = [body for body in bodies if is_integer_body(body)]
    if not integer:
        return
    usage = read_node_usage(ctx, node_name=node)  # first: it may read the topology in a probe pod
    mark = None
    if ctx.node_access is not None:
        from .nodeplugins import NodeAccessUnavailable, access_for_node  # it imports the context

        try:
            mark = access_for_node(ctx, node).mark()
        except NodeAccessUnavailable:
            mark = None
    unread = sum(n for pod, n in usage.integer.items() if pod not in usage.integer_sets)
    annotated: set[int] = set()
    for body in bodies:
        value = ((body.get("metadata") or {}).get("annotations") or {}).get("weka.io/cores-ids")
        if value is not None:
            annotated |= annotation_cpus(value)
    baseline = Baseline(usage.known_held, frozenset(annotated), len(integer), mark,
                        f"{unread} CPUs of integer pods that could not be read" if unread else "", node)
    for key in keys if keys is not None else [body["metadata"]["name"] for body in bodies]:
        ctx.grant_baselines[key] = baseline


def _state_before(ctx: LibraryContext, baseline: Baseline, cid: str,
                  current: frozenset[int]) -> tuple[frozenset[int], frozenset[int]] | str:
    """(grant, CPUs held just before it) for container ``cid``, or why they are not known."""
    held = baseline.held | baseline.annotated
    if baseline.mark is None:
        if baseline.integer_pods > 1:
            return "no plugin log to order the batch's grants"
        return current, held
    from .nodeplugins import access_for_node  # it imports the context

    lines = access_for_node(ctx, baseline.node).read_since(baseline.mark)
    wanted = short_id(cid)
    view: frozenset[int] = frozenset()
    for line in lines:
        said = grants([line])
        if wanted in said:
            return said[wanted], held | view
        if _STATE_CHANGED.search(line):
            return f"the plugin logged a removal or a move before the grant: {line.strip()[:160]}"
        for cpus in said.values():
            held |= cpus
        if match := _ALLOCATOR_VIEW.search(line):
            view = frozenset(int(cpu) for cpu in match["cpus"].split())
    return "the plugin's log has no grant for it"


def daemonset_key(daemonset: str, node: str) -> str:
    """The baseline key of a DaemonSet's pod on ``node`` (its name is not known before)."""
    return f"daemonset {daemonset} on {node}"


def baseline_key(pod) -> str:
    """The key a pod's baseline is recorded under: its name, or for a DaemonSet's pod, the
    DaemonSet and its node."""
    for owner in pod.metadata.owner_references or []:
        if owner.kind == "DaemonSet":
            return daemonset_key(owner.name, pod.spec.node_name or "")
    return pod.metadata.name


def judge_pod_grants(ctx: LibraryContext, pod_view: PodView, current: frozenset[int],
                     siblings: dict[int, frozenset[int]], online: frozenset[int],
                     key: str = "") -> list[CoreVerdict] | str:
    """The verdict of each container's grant of an integer pod, or why it cannot be judged."""
    baseline = ctx.grant_baselines.get(key or pod_view.name)
    if baseline is None:
        return "not created by Create Pods Together (or Create Daemonsets Together) in this run"
    if baseline.unknown:
        return f"the state before it is not known: {baseline.unknown}"
    verdicts = []
    forbidden = forbidden_of(pod_view)
    for cid in pod_view.container_ids:
        state = _state_before(ctx, baseline, cid, current)
        if isinstance(state, str):
            return state
        grant, held = state
        free = online - held - forbidden
        if not grant <= free:
            return (f"it was granted {format_cpu_list(grant - free)}, which the state before it had held or "
                    "forbidden (a change the log does not show)")
        verdicts.append(judge_grant(grant, free, siblings))
    return verdicts


def whole_core_verdicts(ctx: LibraryContext, pods: list[tuple[PodView, frozenset[int], str, str]]
                        ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Judge each integer pod ``(view, its CPUs now, node, baseline key)``: table rows (pod,
    grant, verdict) and (pod, problem) for every grant that breaks the rule."""
    from .keywords.topology import node_topology  # the keywords import this module

    rows, problems = [], []
    for pod_view, cpus, node, key in pods:
        topology = node_topology(ctx, node)
        verdicts = judge_pod_grants(ctx, pod_view, cpus, topology.siblings, topology.online, key)
        if isinstance(verdicts, str):
            rows.append((pod_view.name, format_cpu_list(cpus), f"not judged: {verdicts}"))
            continue
        for verdict in verdicts:
            rows.append((pod_view.name, format_cpu_list(verdict.grant),
                         ("" if verdict.ok else "BROKEN: ") + verdict.describe()))
            if not verdict.ok:
                problems.append((pod_view.name, f"{pod_view.name} broke whole free cores it did not have to: "
                                                f"{verdict.describe()}"))
    return rows, problems


def broken_cores_message(problems: list[tuple[str, str]]) -> str:
    """The failure: the first pod's verdict in full, the others named."""
    more = [pod for pod, _ in problems[1:]]
    return ("integer CPUs break whole cores: " + problems[0][1]
            + (f"; so do {len(more)} more: {', '.join(more)} (the table says how)" if more else ""))
