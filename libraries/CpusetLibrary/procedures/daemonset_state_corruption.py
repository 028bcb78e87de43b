"""The DaemonSet state-corruption procedure: its plan for the run's nodes, its pod and DaemonSet
bodies, and the per-node checks of its analysis step.

The manual procedure, on 64-CPU nodes::

    client-annotated   12-15,44-47,32   (9)       client-integer    9
    compute-annotated  0-11,33-43       (23)      compute-integer  23
    drive-annotated    16-21,48-54      (13)      drive-integer    13
                                                  trigger-test-pod 15 (on the target node)

Scaling rule (the ten-step procedure's rule, ``state_corruption.scaled``)
-------------------------------------------------------------------------
* The scale ``S`` starts at the target node's online CPU count and is lowered one CPU at a time
  until the plan fits every node of the run (``MIN_SCALE`` = 12 is the floor). Every size is
  ``max(1, floor(size64 * S / 64))``: annotated and integer 9/23/13, and the margin of 4 CPUs
  the manual leaves free after its trigger (64 - 45 - 15).
* Annotated CPU sets: at ``S = 64`` with all 64 CPUs free on every node, the manual's sets
  exactly; otherwise each set is laid out, in the manual's CPU order (compute, client, drive),
  on the CPUs that are online and not used exclusively by other pods on *every* node.
* Each annotated pod requests as many CPUs as its set (request = limit, as the manual).
* Free after the integer pods, per node: ``min(exclusive available, schedulable available) -
  integer total``. The trigger (an integer pod on the target node) is sized from the real free
  CPUs: ``free(target) - margin``, at least 1; every other node keeps at least the margin free.
* Memory is sized from the nodes, not fixed: every pod gets, per CPU it requests, an equal
  share of 90 % of the smallest memory any node of the run has left (allocatable minus what other
  pods request), in MiB. (The manual's 16165/63900/30200 Mi are about 2.4 GiB per CPU of a
  110 GiB node: its integer pods stay Pending for memory on smaller nodes.)
"""
from __future__ import annotations

from dataclasses import dataclass

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..cpusets import format_cpu_list, parse_cpu_list
from ..keywords.daemonsets import daemonset_body
from ..keywords.tables import table as _table
from ..keywords.topology import TopologyKeywords, node_topology
from ..nodeusage import ENDED, annotation_cpus, integer_pod_cpus, read_node_usage
from ..oracle import holds_cpus
from ..podshape import PodShape, pod_body
from ..podstate import is_integer_pod, view
from ..quantity import parse_memory
from .state_corruption import MIN_SCALE, REFERENCE_CPUS, NodeCapacity, PlanError, scaled

ANNOTATED_64: tuple[tuple[str, str], ...] = (
    ("client-annotated", "12-15,44-47,32"),
    ("compute-annotated", "0-11,33-43"),
    ("drive-annotated", "16-21,48-54"),
)
#: the order the sets are laid out in when scaled (the manual's sets start at 0, 12 and 16)
LAYOUT_ORDER = ("compute-annotated", "client-annotated", "drive-annotated")
INTEGER_64: tuple[tuple[str, int], ...] = (("client-integer", 9), ("compute-integer", 23), ("drive-integer", 13))
MARGIN_64 = 4
TRIGGER_NAME = "trigger-test-pod"
MEMORY_SHARE = 0.9
MIB = 1024 * 1024


@dataclass(frozen=True)
class NodeRoom:
    """What the plan needs to know about one node of the run."""

    name: str
    capacity: NodeCapacity
    free_memory: int  # bytes: allocatable memory minus what other pods request

    @property
    def usable(self) -> int:
        return min(self.capacity.exclusive_available, self.capacity.schedulable_available)


@dataclass(frozen=True)
class DaemonSetPlan:
    """Every number of the procedure for the run's nodes (see the module doc)."""

    scale: int
    target: str
    annotated: tuple[tuple[str, frozenset[int]], ...]
    integer: tuple[tuple[str, int], ...]
    margin: int
    trigger: int
    memory_per_cpu_mib: int
    rooms: tuple[NodeRoom, ...]

    @property
    def integer_total(self) -> int:
        return sum(cpu for _, cpu in self.integer)

    def memory(self, cpus: int) -> str:
        return f"{cpus * self.memory_per_cpu_mib}Mi"

    def free_after_integer(self, node: str) -> int:
        """CPUs of ``node`` no container holds once the integer pods run (the exclusive figure)."""
        room = next(r for r in self.rooms if r.name == node)
        return room.capacity.exclusive_available - self.integer_total

    def free_at_the_end(self, node: str) -> int:
        return self.free_after_integer(node) - (self.trigger if node == self.target else 0)

    def describe(self) -> str:
        lines = [f"DaemonSet state-corruption plan at scale {self.scale} (target node {self.target})", "",
                 f"{'pod':<20}{'cpu':>4}  {'memory':>9}  cores"]
        for name, cores in self.annotated:
            lines.append(f"{name:<20}{len(cores):>4}  {self.memory(len(cores)):>9}  {format_cpu_list(cores)}")
        for name, cpu in self.integer:
            lines.append(f"{name:<20}{cpu:>4}  {self.memory(cpu):>9}")
        lines.append(f"{TRIGGER_NAME:<20}{self.trigger:>4}  {self.memory(self.trigger):>9}  (on {self.target})")
        lines.append("")
        for room in self.rooms:
            lines.append(f"{room.name}: {room.capacity.summary()}; {room.free_memory // MIB} MiB memory left; "
                         f"free after the integer pods {self.free_after_integer(room.name)}, at the end "
                         f"{self.free_at_the_end(room.name)}")
        lines.append(f"margin left free: {self.margin}; memory per CPU: {self.memory_per_cpu_mib} MiB "
                     f"({MEMORY_SHARE:.0%} of the smallest free memory / scale)")
        return "\n".join(lines)


def _annotated_sets(rooms: tuple[NodeRoom, ...], scale: int) -> tuple[tuple[str, frozenset[int]], ...] | str:
    available = sorted(frozenset.intersection(*(r.capacity.online - r.capacity.busy_exclusive for r in rooms)))
    manual = {name: parse_cpu_list(cores) for name, cores in ANNOTATED_64}
    if scale == REFERENCE_CPUS and all(cores <= set(available) for cores in manual.values()):
        return tuple((name, manual[name]) for name, _ in ANNOTATED_64)
    sizes = {name: scaled(len(cores), scale) for name, cores in manual.items()}
    if sum(sizes.values()) > len(available):
        return (f"at scale {scale} the annotated sets need {sum(sizes.values())} CPUs free on every node, "
                f"only {len(available)} are")
    laid: dict[str, frozenset[int]] = {}
    pos = 0
    for name in LAYOUT_ORDER:
        laid[name] = frozenset(available[pos:pos + sizes[name]])
        pos += sizes[name]
    return tuple((name, laid[name]) for name, _ in ANNOTATED_64)


def _plan_at(rooms: tuple[NodeRoom, ...], target: str, scale: int) -> DaemonSetPlan | str:
    annotated = _annotated_sets(rooms, scale)
    if isinstance(annotated, str):
        return annotated
    annotated_total = sum(len(c) for _, c in annotated)
    integer = tuple((name, scaled(cpu, scale)) for name, cpu in INTEGER_64)
    integer_total = sum(cpu for _, cpu in integer)
    margin = scaled(MARGIN_64, scale)
    trigger = 0
    for room in rooms:
        if annotated_total > room.usable:
            return (f"at scale {scale} node {room.name} cannot take the annotated pods: {annotated_total} CPUs, "
                    f"{room.usable} usable")
        free = room.usable - integer_total
        if room.name == target:
            trigger = free - margin
            if trigger < 1:
                return (f"at scale {scale} the integer pods ({integer_total} CPUs) leave {free} of {room.usable} "
                        f"usable CPUs of {room.name} free: no room for a trigger and a margin of {margin}")
        elif free < margin:
            return (f"at scale {scale} the integer pods ({integer_total} CPUs) leave {free} of {room.usable} "
                    f"usable CPUs of {room.name} free, less than the margin {margin}")
    free_memory = min(r.free_memory for r in rooms)
    per_cpu = int(free_memory * MEMORY_SHARE / scale) // MIB
    if per_cpu < 16:
        return f"the nodes have {free_memory // MIB} MiB memory left, {per_cpu} MiB per CPU at scale {scale}"
    return DaemonSetPlan(scale, target, annotated, integer, margin, trigger, per_cpu, rooms)


def plan_daemonset_state_corruption(rooms: tuple[NodeRoom, ...], target: str) -> DaemonSetPlan:
    """The largest plan (scale <= the target's online CPUs) that fits every node."""
    by_name = {r.name: r for r in rooms}
    if target not in by_name:
        raise PlanError(f"target node {target!r} is not among the nodes of the run ({', '.join(by_name)})")
    ncpus = len(by_name[target].capacity.online)
    if ncpus < MIN_SCALE:
        raise PlanError(f"node {target} too small for the DaemonSet state-corruption procedure: {ncpus} online "
                        f"CPUs, the procedure needs at least {MIN_SCALE}")
    first = ""
    for scale in range(ncpus, MIN_SCALE - 1, -1):
        result = _plan_at(rooms, target, scale)
        if isinstance(result, DaemonSetPlan):
            return result
        first = first or result
    raise PlanError(f"the nodes cannot run the DaemonSet state-corruption procedure: {first}; "
                    f"even at scale {MIN_SCALE}: {_plan_at(rooms, target, MIN_SCALE)}")


class Keywords:
    """Keywords of the DaemonSet state-corruption procedure."""

    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    def _room(self, node: str) -> NodeRoom:
        cluster = self.ctx.require_cluster()
        obj = cluster.core.read_node(node)
        summary = cluster.node(node)
        cpu_requested, memory_requested, busy = 0.0, 0, set()
        for pod in cluster.pods_on_node(node, ended=True):
            pod_view = view(pod)
            if pod_view.phase not in ENDED:  # the scheduler counts no ended pod's requests
                cpu_requested += pod_view.cpu_request
                memory_requested += sum(int(parse_memory(c.resources.requests["memory"]))
                                        for c in pod.spec.containers
                                        if c.resources and c.resources.requests and "memory" in c.resources.requests)
            if holds_cpus(pod_view) and pod_view.cores_annotation is not None:
                busy |= annotation_cpus(pod_view.cores_annotation)
            elif holds_cpus(pod_view) and is_integer_pod(pod):
                busy |= integer_pod_cpus(self.ctx, pod)
        online = frozenset(node_topology(self.ctx, node).online)
        capacity = NodeCapacity(online=online, allocatable_cpu=summary.cpu_allocatable,
                                requested_by_others=round(cpu_requested, 3), busy_exclusive=frozenset(busy) & online)
        allocatable = int(parse_memory(obj.status.allocatable["memory"]))
        return NodeRoom(node, capacity, max(0, allocatable - memory_requested))

    @keyword
    def plan_daemonset_state_corruption(self, *nodes: str) -> DaemonSetPlan:
        """The plan for the nodes of the run (the manual's numbers on idle 64-CPU nodes): fails,
        naming the node and the numbers, when a node is too small or too busy.

        Example:
        | ${plan} = | Plan Daemonset State Corruption | @{NODES} |
        """
        target = self.ctx.require_node().name
        TopologyKeywords(self.ctx).topologies_of(*nodes)  # every node's online CPUs, read at once
        rooms = tuple(self._room(node) for node in nodes)
        plan = plan_daemonset_state_corruption(rooms, target)
        logger.info(plan.describe())
        return plan

    @keyword
    def daemonset_state_corruption_bodies(self, plan: DaemonSetPlan, node_selector: str, image: str = "busybox:latest",
                                          grace_period: int = 5) -> dict[str, list[dict]]:
        """The procedure's bodies for this run: ``annotated`` and ``integer`` DaemonSets on the
        nodes matching ``node_selector``, and the ``trigger`` pod on the target node.

        Example:
        | ${bodies} = | Daemonset State Corruption Bodies | ${PLAN} | node_selector=${NODE_LABEL} |
        | Create Daemonsets Together | @{bodies}[annotated] |
        """
        namespace = self.ctx.require_namespace()
        target = self.ctx.require_node().name

        def pod(name: str, cpu: int, cores: frozenset[int] | None = None) -> dict:
            shape = PodShape(name, cpu=str(cpu), memory=plan.memory(cpu),
                             cores=format_cpu_list(cores) if cores is not None else None, image=image)
            return pod_body(shape, namespace, target, self.ctx.run_id)

        return {
            "annotated": [daemonset_body(name, pod(name, len(cores), cores), namespace, node_selector, grace_period)
                          for name, cores in plan.annotated],
            "integer": [daemonset_body(name, pod(name, cpu), namespace, node_selector, grace_period)
                        for name, cpu in plan.integer],
            "trigger": [pod(TRIGGER_NAME, plan.trigger)],
        }

    @keyword
    def nodes_should_have_their_planned_free_cpus(self, plan: DaemonSetPlan) -> None:
        """On every node of the plan the CPUs no container holds are what the plan leaves: the
        integer pods (and the trigger on the target node) hold exactly what they asked for, and
        nothing else is held.

        Example:
        | Nodes Should Have Their Planned Free Cpus | ${PLAN} |
        """
        rows, problems = [], []
        for room in plan.rooms:
            usage = read_node_usage(self.ctx, read_sets=False, node_name=room.name)  # counts only
            expected = plan.free_at_the_end(room.name)
            rows.append((room.name, str(usage.real_free), str(expected), usage.describe()))
            if usage.real_free != expected:
                problems.append(f"{room.name} has {usage.real_free} free CPUs, the plan leaves {expected} "
                                f"({usage.describe()})")
        logger.info(_table(["node", "free", "planned", "held"], rows), html=True)
        if problems:
            raise AssertionError("free CPUs differ from the plan: " + "; ".join(problems))
