"""Node CPU topology: online CPUs, hyper-thread sibling groups, NUMA nodes."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Topology:
    """Default: 64 CPUs, 32 cores x 2 threads, siblings ``i`` and ``i + cores``, one NUMA node.

    CPU ``c`` belongs to core ``c % cores`` (the kernel's usual numbering on x86 servers)
    and to NUMA node ``(c % cores) * numa_nodes // cores``.
    """

    cpus: int = 64
    threads_per_core: int = 2
    numa_nodes: int = 1

    def __post_init__(self) -> None:
        if self.cpus < 1:
            raise ValueError(f"cpus must be >= 1, got {self.cpus}")
        if self.threads_per_core < 1 or self.cpus % self.threads_per_core:
            raise ValueError(
                f"threads_per_core={self.threads_per_core} must divide cpus={self.cpus}"
            )
        if self.numa_nodes < 1 or self.cores % self.numa_nodes:
            raise ValueError(f"numa_nodes={self.numa_nodes} must divide cores={self.cores}")

    @property
    def cores(self) -> int:
        return self.cpus // self.threads_per_core

    @cached_property
    def online(self) -> tuple[int, ...]:
        return tuple(range(self.cpus))

    @cached_property
    def core_groups(self) -> tuple[tuple[int, ...], ...]:
        """Sibling groups sorted by their first CPU: group k = (k, k+cores, ...)."""
        return tuple(
            tuple(core + t * self.cores for t in range(self.threads_per_core))
            for core in range(self.cores)
        )

    @cached_property
    def group_of(self) -> tuple[int, ...]:
        """Index into :attr:`core_groups` for every CPU."""
        return tuple(cpu % self.cores for cpu in range(self.cpus))

    def siblings(self, cpu: int) -> tuple[int, ...]:
        return self.core_groups[self.group_of[cpu]]

    def numa_node(self, cpu: int) -> int:
        return (cpu % self.cores) * self.numa_nodes // self.cores
