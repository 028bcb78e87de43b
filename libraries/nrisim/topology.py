"""Node CPU topology: online CPUs, hyper-thread sibling groups, NUMA nodes."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterable


@dataclass(frozen=True)
class Topology:
    """Default: 64 CPUs, 32 cores x 2 threads, siblings ``i`` and ``i + cores``, one NUMA node.

    CPU ``c`` belongs to core ``c % cores`` (the kernel's usual numbering on x86 servers)
    and to NUMA node ``(c % cores) * numa_nodes // cores``.

    ``offline`` CPUs exist (they count in ``cpus`` and keep their core and node) but are not
    online: the kernel leaves them out of ``/sys/devices/system/cpu/online``, of every sibling
    list and of every node's ``cpulist``, and a cgroup cpuset naming one is rejected.
    """

    cpus: int = 64
    threads_per_core: int = 2
    numa_nodes: int = 1
    offline: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        if self.cpus < 1:
            raise ValueError(f"cpus must be >= 1, got {self.cpus}")
        if self.threads_per_core < 1 or self.cpus % self.threads_per_core:
            raise ValueError(
                f"threads_per_core={self.threads_per_core} must divide cpus={self.cpus}"
            )
        if self.numa_nodes < 1 or self.cores % self.numa_nodes:
            raise ValueError(f"numa_nodes={self.numa_nodes} must divide cores={self.cores}")
        object.__setattr__(self, "offline", frozenset(self.offline))
        outside = sorted(cpu for cpu in self.offline if not 0 <= cpu < self.cpus)
        if outside:
            raise ValueError(f"offline CPUs {outside} are not CPUs of this node (0-{self.cpus - 1})")
        if len(self.offline) >= self.cpus:
            raise ValueError("offline CPUs must leave at least one CPU online")

    @property
    def cores(self) -> int:
        return self.cpus // self.threads_per_core

    @cached_property
    def online(self) -> tuple[int, ...]:
        return tuple(cpu for cpu in range(self.cpus) if cpu not in self.offline)

    @cached_property
    def core_groups(self) -> tuple[tuple[int, ...], ...]:
        """Online sibling groups sorted by their first CPU, as ``GetPhysicalCoreGroups``:
        group k = (k, k+cores, ...) minus offline CPUs; a core with no online CPU has none."""
        groups = (
            tuple(cpu for cpu in self.core_cpus(core) if cpu not in self.offline)
            for core in range(self.cores)
        )
        return tuple(sorted((g for g in groups if g), key=lambda g: g[0]))

    @cached_property
    def group_of(self) -> dict[int, int]:
        """Index into :attr:`core_groups` for every online CPU."""
        return {cpu: index for index, group in enumerate(self.core_groups) for cpu in group}

    def core_cpus(self, core: int) -> tuple[int, ...]:
        """All hardware threads of a core, online or not."""
        return tuple(core + t * self.cores for t in range(self.threads_per_core))

    def siblings(self, cpu: int) -> tuple[int, ...]:
        """``thread_siblings_list`` of an online CPU: its online siblings (itself included)."""
        return self.core_groups[self.group_of[cpu]]

    def numa_node(self, cpu: int) -> int:
        return (cpu % self.cores) * self.numa_nodes // self.cores

    def node_cpus(self, node: int) -> tuple[int, ...]:
        """``/sys/devices/system/node/node<N>/cpulist``: the node's online CPUs."""
        return tuple(cpu for cpu in self.online if self.numa_node(cpu) == node)

    @property
    def memory_nodes(self) -> tuple[int, ...]:
        """Every NUMA node has memory here; the default ``cpuset.mems`` of a container."""
        return tuple(range(self.numa_nodes))

    def not_online(self, cpus: Iterable[int]) -> list[int]:
        """The CPUs of ``cpus`` that are not online, ascending."""
        return sorted({cpu for cpu in cpus if cpu not in set(self.online)})
