"""Sizing a procedure from what the target node really has."""
from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..manifests import (ANNOTATED_PODS, INTEGER_PODS, OVERFLOW_PROBE, TRIGGER_PODS,
                         state_corruption_manifests)
from ..nodeusage import read_pod_cpus
from ..oracle import holds_cpus
from ..plan import NodeCapacity, PlanError, StateCorruptionPlan, plan_state_corruption
from ..podstate import is_integer_pod, view
from ..nodeusage import annotation_cpus


class PlanKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    @keyword
    def read_node_capacity(self) -> NodeCapacity:
        """Online CPUs, allocatable CPU, CPU requested by pods already on the node, and the
        CPUs they use exclusively (annotated sets; integer pods' sets read inside them)."""
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        requested = 0.0
        busy: set[int] = set()
        for pod in cluster.pods_on_node(node.name):
            pod_view = view(pod)
            requested += pod_view.cpu_request
            if not holds_cpus(pod_view):
                continue
            if pod_view.cores_annotation is not None:
                busy |= annotation_cpus(pod_view.cores_annotation)
            elif is_integer_pod(pod):
                try:
                    busy |= read_pod_cpus(cluster, pod.metadata.namespace, pod_view.name)
                except Exception as err:  # noqa: BLE001 - any failure means we cannot plan safely
                    raise PlanError(
                        f"integer pod {pod.metadata.namespace}/{pod_view.name} on node {node.name} holds "
                        f"{pod_view.cpu_limit:g} exclusive CPUs that could not be read ({err}); "
                        "free the node or grant exec on that pod") from err
        online = frozenset(range(int(node.cpu_capacity)))
        return NodeCapacity(online=online, allocatable_cpu=node.cpu_allocatable,
                            requested_by_others=round(requested, 3), busy_exclusive=frozenset(busy) & online)

    @keyword
    def plan_state_corruption_procedure(self) -> StateCorruptionPlan:
        """The core plan for the target node (the manual's numbers at 64 idle CPUs). Fails,
        naming the numbers, when the node is too small or too busy."""
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
        ``triggers`` and ``probe``."""
        common = {"NAMESPACE": self.ctx.require_namespace(), "NODE": self.ctx.require_node().name,
                  "RUN_ID": self.ctx.run_id, "IMAGE": image, "MEMORY": memory}
        files = state_corruption_manifests(plan, common)
        return {"annotated": files[ANNOTATED_PODS], "integer": files[INTEGER_PODS],
                "triggers": files[TRIGGER_PODS], "probe": files[OVERFLOW_PROBE]}
