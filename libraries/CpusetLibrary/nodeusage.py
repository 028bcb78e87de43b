"""Reading what the target node's pods really hold (the oracle's "real" side)."""
from __future__ import annotations

from .cluster import ClusterError
from .context import LibraryContext
from .cpusets import CpuListError, CpuSet, ProcStatus, parse_cpu_list, parse_proc_status
from .oracle import NodeUsage, node_usage

STATUS_COMMAND = ("cat", "/proc/1/status")


def annotation_cpus(value: str) -> frozenset[int]:
    try:
        return parse_cpu_list(value)
    except CpuListError:
        return frozenset()  # an invalid annotation pins nothing


def read_pod_status(cluster, namespace: str, pod: str) -> ProcStatus:
    """The affinity fields of the container's PID 1 (``/proc/1/status``)."""
    result = cluster.exec(namespace, pod, STATUS_COMMAND)
    if result.rc != 0:
        raise ClusterError(f"'{' '.join(STATUS_COMMAND)}' in pod '{namespace}/{pod}' exited "
                           f"{result.rc}: {result.stderr.strip()}")
    return parse_proc_status(result.stdout)


def read_pod_cpus(cluster, namespace: str, pod: str) -> CpuSet:
    """``Cpus_allowed_list`` of the container's PID 1, checked against ``Cpus_allowed``."""
    status = read_pod_status(cluster, namespace, pod)
    status.check_consistent()
    if status.cpus_allowed_list is None:
        raise ClusterError(f"/proc/1/status of pod '{namespace}/{pod}' has no Cpus_allowed_list")
    return CpuSet(status.cpus_allowed_list)


def read_node_usage(ctx: LibraryContext, read_sets: bool = True, node_name: str = "") -> NodeUsage:
    """Pods on the target node (or on ``node_name``) that hold CPUs; the sets of this run's
    integer pods are read inside them (other namespaces' integer pods are counted, not read)."""
    from .keywords.topology import node_topology  # the keywords import this module

    cluster = ctx.require_cluster()
    node = node_name or ctx.require_node().name
    online = node_topology(ctx, node).online
    usage = node_usage(cluster.pods_on_node(node), online, annotation_cpus)
    if not read_sets or not ctx.namespace:
        return usage
    sets = {}
    for key in usage.integer:
        namespace, name = key.split("/", 1)
        if namespace == ctx.namespace:
            try:
                sets[key] = read_pod_cpus(cluster, namespace, name)
            except (ClusterError, ValueError):
                pass  # terminating or unreachable: stays counted, not mapped
    return NodeUsage(online, usage.annotated, usage.integer, sets)


