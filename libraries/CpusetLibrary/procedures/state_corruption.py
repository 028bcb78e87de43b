"""The annotated-pod state-corruption procedure: its core plan for a given node, its pod files
rendered for the plan, and the keywords its resource uses.

The core plan of the procedure for a given node.

The manual procedure is written for an idle 64-CPU node::

    annotated-compute-1  0-14   (15)      integer-compute-1  20
    annotated-compute-2  15-29  (15)      integer-compute-2  15
    (gap                 30-31  (2))      integer-drive-1    10
    annotated-drive-1    32-43  (12)      trigger-client-1   12
    annotated-client-1   44-53  (10)      trigger-client-2   the rest (7 at 64, not 13)
                                          overflow-probe     free + 1

Scaling rule
------------
* Every size of the 64-CPU layout (pods and the gap) is scaled to a *scale* ``S``:
  ``size(S) = max(1, floor(size64 * S / 64))``; the gap is ``max(1, floor(2 * S / 64))``.
  At ``S = 64`` this is the manual layout exactly.
* ``S`` starts at the node's online CPU count. If the node is too busy for that plan (see
  *fit* below), ``S`` is lowered one CPU at a time until the plan fits; if even
  ``S = MIN_SCALE`` (12) does not fit, or the node has fewer than ``MIN_SCALE`` online CPUs,
  :class:`PlanError` names the numbers. (For every ``S >= 12`` the rule keeps
  ``integer total < annotated total`` and leaves room for two triggers; the tests check it.)
* Annotated CPU sets are laid out on the online CPUs that are *not* busy (not used
  exclusively by pods outside the test), in ascending order: compute-1, compute-2, gap,
  drive-1, client-1. Busy CPUs are skipped, so a set may be non-contiguous; the sets never
  overlap each other or a busy CPU. The gap is dropped if it alone does not fit.
* Two limits decide what is free, and the triggers must pass both: the plugin refuses what
  does not fit the free CPUs, kube-scheduler refuses what does not fit allocatable::

      exclusive available   = |online - busy|
      schedulable available = floor(allocatable - requested by others)
      free = min(exclusive available - integer total, schedulable available - integer total)

* *Fit*: annotated total <= min(exclusive, schedulable available) and
  ``free >= trigger-client-1 + 1``. Then ``trigger-client-2 = free - trigger-client-1``
  (both triggers together fill the free CPUs exactly) and ``overflow-probe = free + 1``.

Requests are whole CPUs with request == limit, so the plugin treats the integer, trigger and
probe pods as integer (exclusive) containers.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..keywords.topology import node_topology
from ..cpusets import format_cpu_list
from ..manifests import DEFAULT_VARIABLES, ManifestError, render_manifest
from ..nodeusage import ENDED, annotation_cpus, integer_pod_cpus
from ..oracle import holds_cpus
from ..podstate import is_integer_pod, view

#: the procedure's pod files in ``manifests/``
ANNOTATED_PODS = "annotated-pods.yaml"
INTEGER_PODS = "integer-pods.yaml"
TRIGGER_PODS = "trigger-pods.yaml"
OVERFLOW_PROBE = "overflow-probe.yaml"

#: the layout the manual procedure uses on a 64-CPU node
REFERENCE_CPUS = 64
MIN_SCALE = 12
ANNOTATED_64: tuple[tuple[str, int], ...] = (
    ("annotated-compute-1", 15),
    ("annotated-compute-2", 15),
    ("annotated-drive-1", 12),
    ("annotated-client-1", 10),
)
#: the gap of free CPUs (30-31 at 64) comes after this many annotated pods
GAP_AFTER = 2
GAP_64 = 2
INTEGER_64: tuple[tuple[str, int], ...] = (
    ("integer-compute-1", 20),
    ("integer-compute-2", 15),
    ("integer-drive-1", 10),
)
TRIGGER_NAMES = ("trigger-client-1", "trigger-client-2")
TRIGGER_1_64 = 12
PROBE_NAME = "overflow-probe"


class PlanError(ValueError):
    """The node cannot run the procedure, or its description is invalid."""


def scaled(size64: int, scale: int) -> int:
    """``max(1, floor(size64 * scale / 64))``, the one rounding rule of the plan."""
    return max(1, size64 * scale // REFERENCE_CPUS)


@dataclass(frozen=True)
class NodeCapacity:
    """What the plan needs to know about the target node.

    ``busy_exclusive``: CPUs pinned exclusively by pods outside the test (annotated sets and
    integer CPUs). ``requested_by_others``: CPU requests (cores) of all pods on the node that
    the test did not create. CPU figures are compared in millicores, as Kubernetes does.
    ``sibling_groups`` is optional and only validated/reported.
    """

    online: frozenset[int]
    allocatable_cpu: float
    requested_by_others: float = 0.0
    busy_exclusive: frozenset[int] = frozenset()
    sibling_groups: tuple[frozenset[int], ...] | None = None

    def __post_init__(self) -> None:
        online = frozenset(self.online)
        busy = frozenset(self.busy_exclusive)
        object.__setattr__(self, "online", online)
        object.__setattr__(self, "busy_exclusive", busy)
        if not online:
            raise PlanError("node capacity: online CPUs is empty; expected at least one CPU")
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in online | busy):
            raise PlanError("node capacity: CPU numbers must be non-negative integers")
        for name in ("allocatable_cpu", "requested_by_others"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise PlanError(
                    f"node capacity: {name} must be a finite number >= 0, got {value!r}"
                )
        offline = busy - online
        if offline:
            raise PlanError(
                f"node capacity: busy CPUs {format_cpu_list(offline)} are not online "
                f"(online: {format_cpu_list(online)})"
            )
        if self.sibling_groups is not None:
            groups = tuple(frozenset(g) for g in self.sibling_groups)
            object.__setattr__(self, "sibling_groups", groups)
            seen: set[int] = set()
            for group in groups:
                if not group or group & seen:
                    raise PlanError(
                        f"node capacity: sibling group {format_cpu_list(group)!r} is empty "
                        "or overlaps another group"
                    )
                seen |= group
            if seen != online:
                raise PlanError(
                    f"node capacity: sibling groups cover {format_cpu_list(seen)!r}, "
                    f"expected the online CPUs {format_cpu_list(online)!r}"
                )

    @classmethod
    def idle(cls, ncpus: int) -> NodeCapacity:
        """An idle node with CPUs ``0..ncpus-1`` and allocatable == capacity."""
        return cls(online=frozenset(range(ncpus)), allocatable_cpu=float(ncpus))

    @property
    def exclusive_available(self) -> int:
        return len(self.online - self.busy_exclusive)

    @property
    def schedulable_available(self) -> int:
        """Whole CPUs the scheduler still admits, computed in millicores as Kubernetes does."""
        milli = round(self.allocatable_cpu * 1000) - round(self.requested_by_others * 1000)
        return max(0, milli // 1000)

    def summary(self) -> str:
        busy = format_cpu_list(self.busy_exclusive) or "-"
        return (
            f"{len(self.online)} online CPUs ({format_cpu_list(self.online)}), "
            f"{len(self.busy_exclusive)} used exclusively by other pods ({busy}), "
            f"allocatable {self.allocatable_cpu:g} CPU, requested by other pods "
            f"{self.requested_by_others:g} CPU"
        )


@dataclass(frozen=True)
class AnnotatedPod:
    name: str
    cores: frozenset[int]
    cpu: int

    @property
    def annotation(self) -> str:
        """The ``weka.io/cores-ids`` value (canonical range list)."""
        return format_cpu_list(self.cores)


@dataclass(frozen=True)
class IntegerPod:
    name: str
    cpu: int


@dataclass(frozen=True)
class StateCorruptionPlan:
    """Every number of the procedure. Build it with :func:`plan_state_corruption`."""

    capacity: NodeCapacity
    scale: int
    annotated: tuple[AnnotatedPod, ...]
    gap: frozenset[int]
    integer: tuple[IntegerPod, ...]
    triggers: tuple[IntegerPod, IntegerPod]
    probe: IntegerPod
    free_exclusive_after_integer: int
    free_schedulable_after_integer: int
    free: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "free",
            min(self.free_exclusive_after_integer, self.free_schedulable_after_integer),
        )

    @property
    def annotated_total(self) -> int:
        return sum(p.cpu for p in self.annotated)

    @property
    def integer_total(self) -> int:
        return sum(p.cpu for p in self.integer)

    @property
    def trigger_total(self) -> int:
        return sum(p.cpu for p in self.triggers)

    @property
    def annotated_cpus(self) -> frozenset[int]:
        return frozenset().union(*(p.cores for p in self.annotated))

    @property
    def probe_refused_by(self) -> str:
        """Who must refuse the probe when it is created with only the integer pods running:
        ``"scheduler"`` (Pending, ``Insufficient cpu``) or ``"plugin"``
        (``CreateContainerError``, ``insufficient free CPUs: need P, have F``)."""
        if self.free_schedulable_after_integer < self.probe.cpu:
            return "scheduler"
        return "plugin"

    @property
    def shared_pool_with_triggers(self) -> int:
        """CPUs left to the plugin's shared pool while the integer and trigger pods run
        (online - busy - integer - triggers). Zero means a new shared container on the node
        would fail with ``shared CPU pool is empty``."""
        return self.free_exclusive_after_integer - self.trigger_total

    def pods(self) -> tuple[AnnotatedPod | IntegerPod, ...]:
        return (*self.annotated, *self.integer, *self.triggers, self.probe)

    def table_rows(self) -> list[dict[str, object]]:
        """One row per pod, for an evidence table."""
        rows: list[dict[str, object]] = []
        for pod in self.annotated:
            rows.append({"pod": pod.name, "kind": "annotated", "cpu": pod.cpu,
                         "cores": pod.annotation})
        for kind, pods in (("integer", self.integer), ("trigger", self.triggers),
                           ("overflow probe", (self.probe,))):
            for pod in pods:
                rows.append({"pod": pod.name, "kind": kind, "cpu": pod.cpu, "cores": ""})
        return rows

    def describe(self) -> str:
        """A plain-text account of the plan and how its numbers were derived, for the log."""
        cap = self.capacity
        scale_note = (
            "the 64-CPU manual layout scaled to the node size"
            if self.scale == len(cap.online)
            else f"lowered from {len(cap.online)} because the node is busy"
        )
        lines = [
            f"State-corruption plan at scale {self.scale} ({scale_note})",
            f"node: {cap.summary()}",
            f"exclusive available {cap.exclusive_available}, "
            f"schedulable available {cap.schedulable_available}",
            "",
            f"{'pod':<22}{'kind':<16}{'cpu':>4}  cores",
        ]
        for row in self.table_rows():
            lines.append(f"{row['pod']:<22}{row['kind']:<16}{row['cpu']:>4}  {row['cores']}")
        lines += [
            "",
            f"annotated total {self.annotated_total} "
            f"(gap left free: {format_cpu_list(self.gap) or '-'}), "
            f"integer total {self.integer_total}",
            f"free after integer pods = min(exclusive {self.free_exclusive_after_integer}, "
            f"schedulable {self.free_schedulable_after_integer}) = {self.free}",
            f"triggers {self.triggers[0].cpu} + {self.triggers[1].cpu} = {self.trigger_total} "
            f"(fill the free CPUs exactly); overflow probe {self.probe.cpu} = free + 1, "
            f"refused by the {self.probe_refused_by}",
            f"shared pool while the triggers run: {self.shared_pool_with_triggers} CPUs"
            + (" (new shared containers on the node would fail: 'shared CPU pool is empty')"
               if self.shared_pool_with_triggers == 0 else ""),
        ]
        return "\n".join(lines)


def _layout_annotated(
    available: list[int], scale: int
) -> tuple[tuple[AnnotatedPod, ...], frozenset[int]]:
    sizes = [scaled(size, scale) for _, size in ANNOTATED_64]
    gap_size = scaled(GAP_64, scale)
    if sum(sizes) + gap_size > len(available):
        gap_size = 0
    pods: list[AnnotatedPod] = []
    gap: frozenset[int] = frozenset()
    pos = 0
    for index, ((name, _), size) in enumerate(zip(ANNOTATED_64, sizes)):
        if index == GAP_AFTER:
            gap = frozenset(available[pos:pos + gap_size])
            pos += gap_size
        pods.append(AnnotatedPod(name, frozenset(available[pos:pos + size]), size))
        pos += size
    return tuple(pods), gap


def _plan_at(capacity: NodeCapacity, scale: int) -> StateCorruptionPlan | str:
    """The plan at ``scale``, or a sentence saying why it does not fit."""
    usable = min(capacity.exclusive_available, capacity.schedulable_available)
    annotated_total = sum(scaled(size, scale) for _, size in ANNOTATED_64)
    integer = tuple(IntegerPod(name, scaled(size, scale)) for name, size in INTEGER_64)
    integer_total = sum(p.cpu for p in integer)
    trigger_1 = scaled(TRIGGER_1_64, scale)
    if annotated_total > usable:
        return (
            f"at scale {scale} the annotated pods need {annotated_total} CPUs, "
            f"but only {usable} are usable (exclusive available "
            f"{capacity.exclusive_available}, schedulable available "
            f"{capacity.schedulable_available})"
        )
    free = usable - integer_total
    if free < trigger_1 + 1:
        return (
            f"at scale {scale} the integer pods ({integer_total} CPUs) leave {free} of "
            f"{usable} usable CPUs free, but the triggers need at least {trigger_1} + 1"
        )
    available = sorted(capacity.online - capacity.busy_exclusive)
    annotated, gap = _layout_annotated(available, scale)
    return StateCorruptionPlan(
        capacity=capacity,
        scale=scale,
        annotated=annotated,
        gap=gap,
        integer=integer,
        triggers=(IntegerPod(TRIGGER_NAMES[0], trigger_1),
                  IntegerPod(TRIGGER_NAMES[1], free - trigger_1)),
        probe=IntegerPod(PROBE_NAME, free + 1),
        free_exclusive_after_integer=capacity.exclusive_available - integer_total,
        free_schedulable_after_integer=capacity.schedulable_available - integer_total,
    )


def plan_state_corruption(capacity: NodeCapacity) -> StateCorruptionPlan:
    """The largest plan (scale <= online CPUs) that fits ``capacity``; see the module doc."""
    ncpus = len(capacity.online)
    if ncpus < MIN_SCALE:
        raise PlanError(
            f"node too small for the state-corruption procedure: {ncpus} online CPUs, "
            f"the procedure needs at least {MIN_SCALE}"
        )
    reason = ""
    for scale in range(ncpus, MIN_SCALE - 1, -1):
        result = _plan_at(capacity, scale)
        if isinstance(result, StateCorruptionPlan):
            return result
        if scale == ncpus:
            reason = result
    smallest = _plan_at(capacity, MIN_SCALE)
    raise PlanError(
        f"node too busy for the state-corruption procedure: {capacity.summary()}; "
        f"{reason}; even the smallest plan does not fit: {smallest}"
    )


def plan_for_idle_node(ncpus: int) -> StateCorruptionPlan:
    """Shorthand for :func:`plan_state_corruption` on an idle node of ``ncpus`` CPUs."""
    return plan_state_corruption(NodeCapacity.idle(ncpus))


# ---- the procedure's pod files -------------------------------------------------------------

def pod_variable_prefix(pod_name: str) -> str:
    """``annotated-compute-1`` -> ``ANNOTATED_COMPUTE_1`` (prefix of its ``_CPU``/``_CORES``)."""
    return pod_name.upper().replace("-", "_")


def _pod_variables(pods: tuple[AnnotatedPod | IntegerPod, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pod in pods:
        prefix = pod_variable_prefix(pod.name)
        values[f"{prefix}_CPU"] = str(pod.cpu)
        if isinstance(pod, AnnotatedPod):
            values[f"{prefix}_CORES"] = pod.annotation
    return values


def _pod_summary(body: dict) -> tuple[str, str, str | None]:
    try:
        name = body["metadata"]["name"]
        cpu = body["spec"]["containers"][0]["resources"]["requests"]["cpu"]
    except (KeyError, IndexError, TypeError) as err:
        raise ManifestError(f"rendered pod lacks metadata.name or a CPU request: {err}") from err
    annotations = body["metadata"].get("annotations") or {}
    return name, cpu, annotations.get("weka.io/cores-ids")


def state_corruption_manifests(
    plan: StateCorruptionPlan, common: Mapping[str, str]
) -> dict[str, list[dict]]:
    """Pod bodies of the four procedure files, keyed by file name, sized by ``plan``.

    ``common`` gives ``NAMESPACE``, ``NODE``, ``RUN_ID`` and optionally ``IMAGE``/``MEMORY``
    (defaults: :data:`DEFAULT_VARIABLES`). The rendered names, CPU requests and annotations
    are checked against the plan, so a template that drifts from the plan is an error.
    """
    base = {**DEFAULT_VARIABLES, **common}
    groups: dict[str, tuple[AnnotatedPod | IntegerPod, ...]] = {
        ANNOTATED_PODS: plan.annotated,
        INTEGER_PODS: plan.integer,
        TRIGGER_PODS: plan.triggers,
        OVERFLOW_PROBE: (plan.probe,),
    }
    rendered: dict[str, list[dict]] = {}
    for file_name, pods in groups.items():
        bodies = render_manifest(file_name, {**base, **_pod_variables(pods)})
        got = [_pod_summary(body) for body in bodies]
        want = [
            (pod.name, str(pod.cpu), pod.annotation if isinstance(pod, AnnotatedPod) else None)
            for pod in pods
        ]
        if got != want:
            raise ManifestError(
                f"manifest template {file_name!r} does not match the plan: "
                f"rendered (name, cpu, cores) {got}, plan {want}"
            )
        rendered[file_name] = bodies
    return rendered


# ---- the procedure's keywords ---------------------------------------------------------------

class Keywords:
    """Keywords of the state-corruption procedure (planning and its pod files)."""

    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    @keyword
    def read_node_capacity(self) -> NodeCapacity:
        """Online CPUs, allocatable CPU, CPU requested by pods already on the node, and the
        CPUs they use exclusively (annotated sets; integer pods' sets read inside them).

        Example:
        | ${capacity} = | Read Node Capacity |
        | Log | ${capacity.exclusive_available} |
        """
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        requested = 0.0
        busy: set[int] = set()
        for pod in cluster.pods_on_node(node.name, ended=True):
            pod_view = view(pod)
            if pod_view.phase not in ENDED:  # the scheduler counts no ended pod's request
                requested += pod_view.cpu_request
            if not holds_cpus(pod_view):
                continue
            if pod_view.cores_annotation is not None:
                busy |= annotation_cpus(pod_view.cores_annotation)
            elif is_integer_pod(pod):
                try:
                    busy |= integer_pod_cpus(self.ctx, pod)
                except Exception as err:  # noqa: BLE001 - any failure means we cannot plan safely
                    raise PlanError(
                        f"integer pod {pod.metadata.namespace}/{pod_view.name} on node {node.name} holds "
                        f"{pod_view.cpu_limit:g} exclusive CPUs that could not be read ({err}); "
                        "free the node or grant exec on that pod") from err
        online = frozenset(node_topology(self.ctx).online)
        return NodeCapacity(online=online, allocatable_cpu=node.cpu_allocatable,
                            requested_by_others=round(requested, 3), busy_exclusive=frozenset(busy) & online)

    @keyword
    def plan_state_corruption_procedure(self) -> StateCorruptionPlan:
        """The core plan for the target node (the manual's numbers at 64 idle CPUs). Fails,
        naming the numbers, when the node is too small or too busy.

        Example:
        | ${plan} = | Plan State Corruption Procedure |
        | Log | ${plan.free} |
        """
        capacity = self.read_node_capacity()
        try:
            plan = plan_state_corruption(capacity)
        except PlanError as err:  # name the input: which node is too small or too busy
            raise PlanError(f"TARGET_NODE '{self.ctx.require_node().name}': {err}") from None
        logger.info(plan.describe())
        return plan

    @keyword
    def render_state_corruption_pods(self, plan: StateCorruptionPlan, image: str = "busybox:latest",
                                     memory: str = "1Gi") -> dict[str, list[dict]]:
        """Pod bodies of the procedure for this run, keyed ``annotated``, ``integer``,
        ``triggers`` and ``probe``.

        Example:
        | ${pods} = | Render State Corruption Pods | ${PLAN} |
        | Create Pods Together | @{pods}[annotated] |
        """
        common = {"NAMESPACE": self.ctx.require_namespace(), "NODE": self.ctx.require_node().name,
                  "RUN_ID": self.ctx.run_id, "IMAGE": image, "MEMORY": memory}
        files = state_corruption_manifests(plan, common)
        return {"annotated": files[ANNOTATED_PODS], "integer": files[INTEGER_PODS],
                "triggers": files[TRIGGER_PODS], "probe": files[OVERFLOW_PROBE]}
