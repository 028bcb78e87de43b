"""The node's topology as it reports it (online CPUs, thread siblings, NUMA nodes) and the
contract behaviours that depend on it: the shared pool, forbidden CPUs, memory nodes."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..cpusets import CpuListError, CpuSet, format_cpu_list, parse_cpu_list
from ..nodetopology import NodeTopology, read_node_topology
from ..nodeusage import annotation_cpus, integer_pod_cpus, read_pod_cpus, read_pod_status
from ..oracle import holds_cpus
from ..podshape import FORBID_ANNOTATION
from ..podstate import ended_for_good, is_integer_pod, view
from .tables import table as _table


def forbidden_cpus(pod) -> CpuSet:
    """The pod's ``weka.io/forbid-core-ids`` CPUs; an unparsable value forbids nothing (the
    plugin logs a warning and ignores it)."""
    value = (pod.metadata.annotations or {}).get(FORBID_ANNOTATION)
    if not value:
        return CpuSet()
    try:
        return CpuSet(parse_cpu_list(value))
    except CpuListError:
        return CpuSet()


def node_topology(ctx: LibraryContext, node: str = "") -> NodeTopology:
    """The topology of ``node`` (default: the target node) as the node reports it: the one
    source of online CPUs for every plan, CPU map and free count (never ``range(capacity)``:
    offline CPUs are neither free nor held, and the node's capacity counts online CPUs only)."""
    node = node or ctx.require_node().name
    return TopologyKeywords(ctx).topologies_of(node)[node]


TOPOLOGY_PROBE = "node-topology-probe"
PROBE_NAMESPACE = "node-topology"
PROBE_TIMEOUT = timedelta(minutes=2)
RELEASE_PROBE = "release-probe"


class TopologyKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    def _topology(self, pod: str = "") -> NodeTopology:
        if self.ctx.node_topology is None:
            node = self.ctx.require_node().name
            self.ctx.node_topology = self._read(node, pod) if pod else self.topologies_of(node)[node]
        return self.ctx.node_topology

    def topologies_of(self, *nodes: str) -> dict[str, NodeTopology]:
        """The topology of each node as the node reports it, read once per connection: inside a
        Ready pod of the test namespace on that node, else in a BestEffort probe pod there (all
        probes at once). Without a test namespace (a suite setup that sizes its plan first) the
        probes run in a namespace of their own, deleted (and released by the plugin) before this
        returns. The one place the library learns a node's online CPUs."""
        target = self.ctx.require_node().name
        known = dict(self.ctx.node_topologies)
        if self.ctx.node_topology is not None:
            known[target] = self.ctx.node_topology
        missing = [node for node in dict.fromkeys(nodes) if node not in known]
        if missing:
            with self._namespace_for_probes() as own:
                known.update(self._read_on_nodes(missing, remove_others=not own))
        for node in missing:
            if node == target:
                self.ctx.node_topology = known[node]
            else:
                self.ctx.node_topologies[node] = known[node]
        return {node: known[node] for node in nodes}

    def _read(self, node: str, pod: str) -> NodeTopology:
        topology = read_node_topology(self.ctx.require_cluster(), self.ctx.require_namespace(), pod)
        logger.info(f"Node {node} topology (read in pod {pod}): online {format_cpu_list(topology.online)}, "
                    f"NUMA nodes {format_cpu_list(topology.numa_nodes)}")
        return topology

    def _read_on_nodes(self, nodes: list[str], remove_others: bool = True) -> dict[str, NodeTopology]:
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        ready: dict[str, str] = {}
        for pod in cluster.list_pods(namespace):
            pod_view = view(pod)
            if pod_view.ready and pod_view.node in nodes:
                ready.setdefault(pod_view.node, pod_view.name)
        found = {node: self._read(node, ready[node]) for node in nodes if node in ready}
        probes = {node: TOPOLOGY_PROBE if index == 0 else f"{TOPOLOGY_PROBE}-{index}"
                  for index, node in enumerate(node for node in nodes if node not in ready)}
        if probes:
            found.update(self._read_in_probe_pods(probes, remove_others))
        return found

    @contextmanager
    def _namespace_for_probes(self) -> Iterator[bool]:
        """The test namespace, or (before one exists) a namespace of the probes' own, deleted
        afterwards with every probe in it (its deletion awaits their release on every node).
        Yields whether the namespace is the probes' own."""
        if self.ctx.namespace:
            yield False
            return
        from .pods import PodKeywords

        pods = PodKeywords(self.ctx)
        pods.create_test_namespace(PROBE_NAMESPACE)
        try:
            yield True
        finally:
            pods.delete_test_namespace(grace_period=0, timeout=PROBE_TIMEOUT, release_timeout=PROBE_TIMEOUT)

    def _read_in_probe_pods(self, probes: dict[str, str], remove_others: bool = True) -> dict[str, NodeTopology]:
        """Read the topology in a BestEffort probe pod on each node (node -> probe name), then
        delete the probe on the target node (and, with ``remove_others``, the other probes)."""
        from .pods import PodKeywords
        from .shapes import PodShapeKeywords

        pods = PodKeywords(self.ctx)
        target = self.ctx.require_node().name
        bodies = []
        for node, name in probes.items():
            body = PodShapeKeywords(self.ctx).pod_body(name)
            body["spec"]["nodeSelector"] = {"kubernetes.io/hostname": node}
            bodies.append(body)
        pods.create_pods_together(*bodies)
        try:
            pods.wait_until_pods_are_ready(*probes.values(), timeout=PROBE_TIMEOUT)
            return {node: self._read(node, name) for node, name in probes.items()}
        finally:
            if target in probes:
                self._remove_probe(probes[target], PROBE_TIMEOUT)
            others = [name for node, name in probes.items() if node != target] if remove_others else []
            if others:  # their release by the plugin is awaited where their namespace is deleted
                pods.delete_pods_together(*others, grace_period=0)
                pods.wait_until_pods_are_gone(*others, timeout=PROBE_TIMEOUT)

    def _remove_probe(self, name: str, timeout: timedelta) -> None:
        """Delete a probe pod, wait until it is gone and until the plugin has released it (its
        RemoveContainer comes after the pod is gone; it must not land among the test's own
        removals), then forget it: the next probe reuses the name."""
        from .plugin import PluginKeywords
        from .pods import PodKeywords

        pods = PodKeywords(self.ctx)
        pods.delete_pods_together(name, grace_period=0)
        pods.wait_until_pods_are_gone(name, timeout=timeout)
        if self.ctx.container_ids.get(name) and self.ctx.node_access is not None:
            PluginKeywords(self.ctx).wait_until_plugin_has_released_pods(name, timeout=timeout)
        self.ctx.container_ids.pop(name, None)
        self.ctx.deletion_marks.pop(name, None)

    @keyword
    def online_cpus(self, pod: str = "") -> CpuSet:
        """The node's online CPUs (``/sys/devices/system/cpu/online``), read once per run inside
        ``pod`` or any Ready pod of the test namespace.

        Example:
        | ${online} = | Online Cpus |
        """
        return self._topology(pod).online

    @keyword
    def thread_siblings_of_cpu(self, cpu: int) -> CpuSet:
        """The hyper-thread siblings of ``cpu`` (itself included) as the node reports them
        (``/sys/devices/system/cpu/cpuN/topology/thread_siblings_list``), not by arithmetic.

        Example:
        | ${siblings} = | Thread Siblings Of Cpu | 1 |
        """
        topology = self._topology()
        if cpu not in topology.siblings:
            raise ValueError(f"CPU {cpu} is not online on the node (online: {format_cpu_list(topology.online)})")
        return topology.siblings[cpu]

    @keyword
    def cpu_set_should_be_whole_cores(self, cpus: CpuSet, what: str = "CPU set") -> None:
        """Every CPU's thread siblings are in the set too (a sibling-aware grant of an even count
        on a node with whole cores free). On a node without hyper-threading this always holds.

        Example:
        | Cpu Set Should Be Whole Cores | ${sets}[integer-a] | what=integer-a |
        """
        cpus = CpuSet.convert(cpus)
        topology = self._topology()
        broken = sorted(cpu for cpu in cpus if not topology.siblings.get(cpu, CpuSet([cpu])) <= cpus)
        if broken:
            raise AssertionError(f"{what} {format_cpu_list(cpus)} splits cores: " + ", ".join(
                f"CPU {cpu} without sibling(s) {format_cpu_list(topology.siblings[cpu] - cpus)}" for cpu in broken))

    @keyword
    def numa_nodes_of_cpus(self, cpus: CpuSet) -> CpuSet:
        """The NUMA nodes the CPUs belong to, as the node reports them
        (``/sys/devices/system/node/nodeN/cpulist``).

        Example:
        | ${nodes} = | Numa Nodes Of Cpus | 0,2 |
        """
        cpus = CpuSet.convert(cpus)
        return self._topology().numa_nodes_of(cpus)

    @keyword
    def cpus_of_numa_nodes(self, nodes: CpuSet) -> CpuSet:
        """The online CPUs of the NUMA nodes ``nodes`` (a list such as ``1`` or ``0-1``) as the
        node reports them (every online CPU is on node 0 when the kernel reports no NUMA).

        Example:
        | ${second} = | Cpus Of Numa Nodes | 1 |
        """
        nodes = CpuSet.convert(nodes)
        topology = self._topology()
        cpus = CpuSet(cpu for cpu, owner in topology.numa_node.items() if owner in nodes)
        if not cpus:
            raise ValueError(f"NUMA nodes {format_cpu_list(nodes)} have no online CPUs "
                             f"(nodes: {format_cpu_list(topology.numa_nodes)})")
        return cpus

    @keyword
    def get_pod_memory_nodes(self, pod: str) -> CpuSet:
        """The memory nodes the pod's container may use: ``Mems_allowed_list`` of its PID 1.

        Example:
        | ${mems} = | Get Pod Memory Nodes | annotated-a |
        """
        status = read_pod_status(self.ctx.require_cluster(), self.ctx.require_namespace(), pod)
        if status.mems_allowed_list is None:
            raise AssertionError(f"/proc/1/status of pod {pod} has no Mems_allowed_list")
        return CpuSet(status.mems_allowed_list)

    @keyword
    def pods_should_have_the_memory_nodes_of_their_cpus(self, *pods: str) -> None:
        """Each pod's memory nodes are exactly the NUMA nodes of its CPUs: what the plugin gives
        an annotated container admitted without moving anyone (it sets no memory nodes when it
        admits by moving an integer container, nor for integer and shared containers).

        Example:
        | Pods Should Have The Memory Nodes Of Their Cpus | annotated-a | annotated-b |
        """
        self._compare_mems(pods, lambda cpus: self._topology().numa_nodes_of(cpus), "the NUMA nodes of its CPUs")

    @keyword
    def pods_should_have_every_memory_node(self, *pods: str) -> None:
        """Each pod may use every NUMA node of the node: integer and shared containers get no
        memory restriction from the plugin.

        Example:
        | Pods Should Have Every Memory Node | integer-a | shared-a |
        """
        self._compare_mems(pods, lambda _cpus: self._topology().numa_nodes, "every NUMA node")

    def _compare_mems(self, pods, expected_of, what: str) -> None:
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        rows, problems = [], []
        for pod in pods:
            cpus = read_pod_cpus(cluster, namespace, pod)
            mems = self.get_pod_memory_nodes(pod)
            want = expected_of(cpus)
            rows.append((pod, format_cpu_list(cpus), format_cpu_list(mems), format_cpu_list(want)))
            if mems != want:
                problems.append(f"{pod} on CPUs {format_cpu_list(cpus)} may use memory nodes "
                                f"{format_cpu_list(mems) or 'none'}, expected {format_cpu_list(want)} ({what})")
        logger.info(_table(["pod", "CPUs", "Mems_allowed_list", "expected"], rows), html=True)
        if problems:
            raise AssertionError("memory nodes wrong: " + "; ".join(problems))

    # ---- the shared pool and forbidden CPUs ----------------------------------------------

    def _held(self) -> tuple[CpuSet, CpuSet]:
        """(annotated CPUs, integer CPUs) held on the node now; every integer pod is read."""
        cluster = self.ctx.require_cluster()
        node = self.ctx.require_node()
        annotated: set[int] = set()
        integer: set[int] = set()
        for pod in cluster.pods_on_node(node.name, ended=True):
            pod_view = view(pod)
            if not holds_cpus(pod_view):
                continue
            if pod_view.cores_annotation is not None:
                annotated |= annotation_cpus(pod_view.cores_annotation)
            elif is_integer_pod(pod):
                integer |= integer_pod_cpus(self.ctx, pod)
        return CpuSet(annotated), CpuSet(integer)

    @keyword
    def shared_pool_now(self, for_pod: str = "") -> CpuSet:
        """The CPUs a shared container created now gets: online CPUs minus every annotated and
        integer pod's CPUs on the node, minus ``for_pod``'s ``weka.io/forbid-core-ids``.

        Example:
        | ${pool} = | Shared Pool Now |
        | ${mine} = | Shared Pool Now | for_pod=shared-forbid |
        """
        annotated, integer = self._held()
        forbidden = CpuSet()
        if for_pod:
            forbidden = forbidden_cpus(self.ctx.require_cluster().get_pod(self.ctx.require_namespace(), for_pod))
        pool = CpuSet(self._topology().online - annotated - integer - forbidden)
        logger.info(f"Shared pool: online {format_cpu_list(self._topology().online)} - annotated "
                    f"{format_cpu_list(annotated) or 'none'} - integer {format_cpu_list(integer) or 'none'} - "
                    f"forbidden {format_cpu_list(forbidden) or 'none'} = {format_cpu_list(pool) or 'none'}")
        return pool

    @keyword
    def cpus_reserved_for_no_pod(self, timeout: timedelta = timedelta(minutes=1)) -> CpuSet:
        """The CPUs the plugin keeps reserved although no annotated or integer pod holds them
        (it leaked them). Read with a BestEffort probe pod: a new shared container gets every CPU
        the plugin does not reserve, so what the shared pool should have and the probe lacks is
        leaked (all of it when the plugin refuses the probe with ``shared CPU pool is empty``).
        The probe is deleted and released before this returns.

        Example:
        | Clean Up Test Pods
        | ${leaked} = | Cpus Reserved For No Pod |
        | Cpu Set Should Be | ${leaked} | ${EMPTY} | what=CPUs reserved for no pod |
        """
        from .pods import PodKeywords
        from .shapes import PodShapeKeywords, plugin_message

        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        pods = PodKeywords(self.ctx)
        pods.create_pods_together(PodShapeKeywords(self.ctx).pod_body(RELEASE_PROBE))
        try:
            def started_or_refused(state) -> bool:
                probe_pod = state[RELEASE_PROBE]
                if probe_pod is None:
                    return False
                probe_view = view(probe_pod)
                if probe_view.ready or probe_view.waiting_reason == "CreateContainerError":
                    return True
                final = ended_for_good(probe_pod)
                if final:
                    raise AssertionError(f"probe pod {RELEASE_PROBE} can never start: {final}")
                return False

            state, done = cluster.watch_pods(namespace, [RELEASE_PROBE], started_or_refused,
                                             timeout.total_seconds())
            probe = view(state[RELEASE_PROBE]) if state[RELEASE_PROBE] is not None else None
            if not done or probe is None:
                raise AssertionError(f"probe pod {RELEASE_PROBE} neither started nor was refused within "
                                     f"{timeout.total_seconds():g} s")
            want = self.shared_pool_now()
            if not probe.ready:
                if plugin_message(probe.waiting_message) != "shared CPU pool is empty":
                    raise AssertionError(f"probe pod {RELEASE_PROBE} was refused: {probe.waiting_message}")
                leaked = want
            else:
                leaked = CpuSet(want - read_pod_cpus(cluster, namespace, RELEASE_PROBE))
        finally:
            self._remove_probe(RELEASE_PROBE, timeout)
        logger.info(f"CPUs the plugin reserves for no pod: {format_cpu_list(leaked) or 'none'}")
        return leaked

    @keyword
    def pods_should_have_the_shared_pool(self, *pods: str) -> None:
        """Each (shared) pod runs on exactly the shared pool now, less its own forbidden CPUs.
        Check right after the pods started: the plugin does not update an existing shared
        container when it grants exclusive CPUs later.

        Example:
        | Wait Until Pods Are Ready | shared-a | shared-b |
        | Pods Should Have The Shared Pool | shared-a | shared-b |
        """
        namespace = self.ctx.require_namespace()
        cluster = self.ctx.require_cluster()
        annotated, integer = self._held()
        online = self._topology().online
        rows, problems = [], []
        for pod in pods:
            forbidden = forbidden_cpus(cluster.get_pod(namespace, pod))
            want = CpuSet(online - annotated - integer - forbidden)
            has = read_pod_cpus(cluster, namespace, pod)
            rows.append((pod, format_cpu_list(has), format_cpu_list(want), format_cpu_list(forbidden)))
            if has != want:
                detail = []
                if has - want:
                    extra = has - want
                    kinds = [name for name, cpus in (("annotated", annotated), ("integer", integer),
                                                     ("forbidden", forbidden)) if extra & cpus]
                    detail.append(f"extra {format_cpu_list(extra)}" + (f" ({', '.join(kinds)})" if kinds else ""))
                if want - has:
                    detail.append(f"missing {format_cpu_list(want - has)}")
                problems.append(f"{pod} has {format_cpu_list(has) or 'none'}, the shared pool is "
                                f"{format_cpu_list(want) or 'none'}: {', '.join(detail)}")
        logger.info(_table(["pod", "CPUs", "shared pool", "its forbidden CPUs"], rows), html=True)
        if problems:
            raise AssertionError("shared CPUs wrong: " + "; ".join(problems))

    @keyword
    def pods_should_not_use_their_forbidden_cpus(self, *pods: str) -> None:
        """No pod runs on a CPU of its own ``weka.io/forbid-core-ids`` (integer and shared pods;
        annotated pods ignore the annotation, so do not pass them).

        Example:
        | Pods Should Not Use Their Forbidden Cpus | integer-forbid | shared-forbid |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        problems = []
        for pod in pods:
            forbidden = forbidden_cpus(cluster.get_pod(namespace, pod))
            if not forbidden:
                problems.append(f"{pod} has no (valid) weka.io/forbid-core-ids annotation")
                continue
            used = read_pod_cpus(cluster, namespace, pod) & forbidden
            if used:
                problems.append(f"{pod} runs on forbidden CPUs {format_cpu_list(used)} "
                                f"(forbid-core-ids {format_cpu_list(forbidden)})")
        if problems:
            raise AssertionError("forbidden CPUs used: " + "; ".join(problems))
