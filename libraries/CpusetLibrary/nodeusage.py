"""Reading what the target node's pods really hold (the oracle's "real" side)."""
from __future__ import annotations

from kubernetes import client

from .cluster import ClusterError
from .context import LibraryContext
from .cpusets import CpuListError, CpuSet, ProcStatus, parse_cpu_list, parse_proc_status
from .grantlog import latest_words
from .nodeaccess import LogMark
from .oracle import NodeUsage, node_usage
from .pluginlog import short_id
from .podstate import view

ENDED = ("Succeeded", "Failed")

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


def integer_pod_cpus(ctx: LibraryContext, pod: client.V1Pod) -> CpuSet:
    """The CPUs an integer pod holds: read inside it while it runs. A pod whose containers
    ended (``Succeeded``/``Failed``, not deleted) cannot be read inside, and still holds what the
    plugin granted it (released at RemoveContainer): the plugin's last logged grant of each of
    its containers. Fails naming the pod when neither can be known."""
    pod_view = view(pod)
    namespace = pod.metadata.namespace
    if pod_view.phase not in ENDED:
        return read_pod_cpus(ctx.require_cluster(), namespace, pod_view.name)
    from .nodeplugins import access_for_node  # it imports the context, as this module does

    why = "no plugin access (Connect To Plugin was not called)"
    if ctx.node_access is not None:
        access = access_for_node(ctx, pod_view.node)
        words = latest_words(access.read_since(LogMark(access.mark().source, 0)))
        grants = [words.get(short_id(cid)) for cid in pod_view.container_ids]
        if grants and all(grant is not None and not grant.moved for grant in grants):
            return CpuSet(frozenset().union(*(grant.cpus for grant in grants)))
        why = "its log has no grant for every one of its containers (or moved one since)"
    raise ClusterError(f"integer pod '{namespace}/{pod_view.name}' ended ({pod_view.phase}) and still holds "
                       f"{pod_view.cpu_limit:g} CPUs, which cannot be read inside it; {why}")


def read_node_usage(ctx: LibraryContext, read_sets: bool = True, node_name: str = "") -> NodeUsage:
    """Pods on the target node (or on ``node_name``) that hold CPUs; the sets of this run's
    integer pods are read inside them (other namespaces' integer pods are counted, not read)."""
    from .keywords.topology import node_topology  # the keywords import this module

    cluster = ctx.require_cluster()
    node = node_name or ctx.require_node().name
    online = node_topology(ctx, node).online
    pods = cluster.pods_on_node(node, ended=True)
    usage = node_usage(pods, online, annotation_cpus)
    if not read_sets or not ctx.namespace:
        return usage
    by_key = {f"{pod.metadata.namespace}/{pod.metadata.name}": pod for pod in pods}
    sets = {}
    for key in usage.integer:
        namespace, name = key.split("/", 1)
        if namespace == ctx.namespace:
            try:
                sets[key] = integer_pod_cpus(ctx, by_key[key])
            except (ClusterError, ValueError):
                pass  # terminating or unreachable: stays counted, not mapped
    return NodeUsage(online, usage.annotated, usage.integer, sets)


