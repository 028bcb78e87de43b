"""Hyper-threading as the node reports it: whether its cores have more than one thread, and
whether a set of CPUs is the threads of one core (never judged by CPU-number arithmetic)."""
from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from ..cpusets import CpuSet, format_cpu_list
from .topology import TopologyKeywords


class CoreKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context
        self._topology = TopologyKeywords(context)

    def _siblings(self) -> dict[int, CpuSet]:
        self._topology.online_cpus()  # reads the topology once per run
        return self.ctx.node_topology.siblings

    @keyword
    def node_has_thread_siblings(self) -> bool:
        """True when at least one online CPU of the node has a thread sibling
        (``thread_siblings_list`` names more than the CPU itself): the node has SMT
        (hyper-threading) enabled. False on a node with one thread per core.

        Example:
        | ${smt} = | Node Has Thread Siblings |
        | Skip If | not ${smt} | one thread per core |
        """
        groups = {group for group in self._siblings().values()}
        smt = any(len(group) > 1 for group in groups)
        sizes = sorted({len(group) for group in groups})
        logger.info(f"Node cores: {len(groups)} sibling groups of {', '.join(map(str, sizes))} thread(s); "
                    f"SMT {'on' if smt else 'off'}")
        return smt

    @keyword
    def cpus_should_be_threads_of_one_core(self, cpus: CpuSet, what: str = "CPU set") -> CpuSet:
        """Every CPU of ``cpus`` is a thread sibling of every other, as the node reports it
        (``/sys/devices/system/cpu/cpuN/topology/thread_siblings_list``): the set lies on one
        physical core. Returns that core's threads. Fails naming each CPU's own siblings.

        Example:
        | ${cpus} = | Get Pod Cpus | integer-sibling-test |
        | ${core} = | Cpus Should Be Threads Of One Core | ${cpus} | what=integer-sibling-test |
        """
        cpus = CpuSet.convert(cpus)
        siblings = self._siblings()
        if not cpus:
            raise AssertionError(f"{what} is empty: no core to judge")
        offline = CpuSet(cpu for cpu in cpus if cpu not in siblings)
        if offline:
            raise AssertionError(f"{what} {format_cpu_list(cpus)} names CPUs that are not online: "
                                 f"{format_cpu_list(offline)}")
        core = siblings[min(cpus)]
        if not cpus <= core:
            detail = "; ".join(f"CPU {cpu}'s siblings are {format_cpu_list(siblings[cpu])}" for cpu in sorted(cpus))
            raise AssertionError(f"{what} {format_cpu_list(cpus)} is not the threads of one core: {detail}")
        logger.info(f"{what} {format_cpu_list(cpus)} lies on the core of threads {format_cpu_list(core)}")
        return core

    @keyword
    def cpus_without_their_siblings(self, cpus: CpuSet) -> CpuSet:
        """The CPUs of ``cpus`` whose thread siblings are not all in ``cpus`` too: with the free
        CPUs, the free halves of cores partly held by other pods (the plugin hands those out
        first, so a new integer pod may then get CPUs of two different cores).

        Example:
        | ${free} = | Shared Pool Now |
        | ${orphans} = | Cpus Without Their Siblings | ${free} |
        """
        cpus = CpuSet.convert(cpus)
        siblings = self._siblings()
        return CpuSet(cpu for cpu in cpus if not siblings.get(cpu, CpuSet([cpu])) <= cpus)
