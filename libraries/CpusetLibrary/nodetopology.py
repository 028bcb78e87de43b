"""The target node's CPU topology as the node itself reports it, read inside a running pod
(containers see the host's ``/sys`` read-only): online CPUs, the thread siblings of each CPU,
and the NUMA node of each CPU. This is what the plugin reads at its start; nothing is derived
from CPU-number arithmetic."""
from __future__ import annotations

from dataclasses import dataclass

from .cluster import ClusterError
from .cpusets import CpuListError, CpuSet, parse_cpu_list

ONLINE = "/sys/devices/system/cpu/online"
SIBLINGS = "/sys/devices/system/cpu/cpu{cpu}/topology/thread_siblings_list"
NUMA_ONLINE = "/sys/devices/system/node/online"
NUMA_CPULIST = "/sys/devices/system/node/node{node}/cpulist"


@dataclass(frozen=True)
class NodeTopology:
    online: CpuSet
    siblings: dict[int, CpuSet]  # cpu -> its thread siblings (itself included), online only
    numa_node: dict[int, int]  # cpu -> NUMA node (0 when the node reports no NUMA nodes)

    def numa_nodes_of(self, cpus) -> CpuSet:
        return CpuSet(self.numa_node.get(cpu, 0) for cpu in cpus)

    @property
    def numa_nodes(self) -> CpuSet:
        return CpuSet(self.numa_node.values()) or CpuSet([0])


#: files per exec (every path is a query parameter of the exec request; keep the URL short)
FILES_PER_EXEC = 32


def _read(cluster, namespace: str, pod: str, paths: list[str], optional: bool = False) -> list[str] | None:
    """The one-line contents of the files, in order (one exec per FILES_PER_EXEC files)."""
    if len(paths) > FILES_PER_EXEC:
        lines: list[str] = []
        for start in range(0, len(paths), FILES_PER_EXEC):
            chunk = _read(cluster, namespace, pod, paths[start:start + FILES_PER_EXEC], optional)
            if chunk is None:
                return None
            lines.extend(chunk)
        return lines
    result = cluster.exec(namespace, pod, ["cat", *paths])
    if result.rc != 0:
        if optional:
            return None
        raise ClusterError(f"reading {', '.join(paths[:3])}{' ...' if len(paths) > 3 else ''} in pod "
                           f"'{namespace}/{pod}' failed (exit {result.rc}): {result.stderr.strip()}")
    lines = result.stdout.splitlines()
    if len(lines) != len(paths):
        raise ClusterError(f"reading {len(paths)} sysfs files in pod '{namespace}/{pod}' gave {len(lines)} lines")
    return lines


def _cpus(text: str, path: str) -> CpuSet:
    try:
        return CpuSet(parse_cpu_list(text))
    except CpuListError as err:
        raise ClusterError(f"{path}: {err}") from err


def read_node_topology(cluster, namespace: str, pod: str) -> NodeTopology:
    """Read the topology inside ``pod`` (any running pod on the target node)."""
    (online_text,) = _read(cluster, namespace, pod, [ONLINE])
    online = _cpus(online_text, ONLINE)
    ordered = sorted(online)
    sibling_paths = [SIBLINGS.format(cpu=cpu) for cpu in ordered]
    texts = _read(cluster, namespace, pod, sibling_paths) or []
    siblings = {cpu: CpuSet(_cpus(text, path) & online) for cpu, text, path in zip(ordered, texts, sibling_paths)}
    numa_node = dict.fromkeys(ordered, 0)
    nodes_text = _read(cluster, namespace, pod, [NUMA_ONLINE], optional=True)
    if nodes_text is not None:  # a kernel without NUMA has no node directory: all CPUs on node 0
        nodes = sorted(_cpus(nodes_text[0], NUMA_ONLINE))
        paths = [NUMA_CPULIST.format(node=node) for node in nodes]
        for node, text, path in zip(nodes, _read(cluster, namespace, pod, paths) or [], paths):
            for cpu in _cpus(text, path) & online:
                numa_node[cpu] = node
    return NodeTopology(online, siblings, numa_node)
