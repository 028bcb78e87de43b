"""A node's ``/sys/devices/system`` as files: what a plugin binary reads for the topology
(online, offline and possible CPUs, thread siblings, NUMA nodes' CPU lists)."""
from __future__ import annotations

from pathlib import Path

from ...topology import Topology
from ...cpulists import format_cpu_list


def write_sysfs(topology: Topology, root: Path) -> Path:
    """Write the tree under ``root`` (its ``cpu/`` and ``node/``) and return ``root``."""
    cpu_dir = root / "cpu"
    cpu_dir.mkdir(parents=True, exist_ok=True)
    _write(cpu_dir / "online", format_cpu_list(topology.online))
    _write(cpu_dir / "offline", format_cpu_list(sorted(topology.offline)))
    _write(cpu_dir / "possible", format_cpu_list(range(topology.cpus)))
    _write(cpu_dir / "present", format_cpu_list(range(topology.cpus)))
    for cpu in range(topology.cpus):
        topo = cpu_dir / f"cpu{cpu}" / "topology"
        topo.mkdir(parents=True, exist_ok=True)
        if cpu != 0:
            _write(cpu_dir / f"cpu{cpu}" / "online", "0" if cpu in topology.offline else "1")
        if cpu in topology.offline:
            continue  # the kernel removes an offline CPU's topology files
        siblings = topology.siblings(cpu)
        _write(topo / "thread_siblings_list", format_cpu_list(siblings))
        _write(topo / "core_cpus_list", format_cpu_list(siblings))
        _write(topo / "core_id", str(cpu % topology.cores))
        _write(topo / "physical_package_id", "0")
    node_dir = root / "node"
    node_dir.mkdir(parents=True, exist_ok=True)
    nodes = format_cpu_list(topology.memory_nodes)
    for name in ("online", "possible", "has_cpu", "has_memory", "has_normal_memory"):
        _write(node_dir / name, nodes)
    for node in topology.memory_nodes:
        (node_dir / f"node{node}").mkdir(exist_ok=True)
        _write(node_dir / f"node{node}" / "cpulist", format_cpu_list(topology.node_cpus(node)))
    return root


def _write(path: Path, text: str) -> None:
    path.write_text(text + "\n")
