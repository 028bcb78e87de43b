"""Whole cores for every integer grant: the rule an exclusive grant must keep, judged against
the node's state just before the grant.

The plugin's allocator (upstream ``pkg/allocator/allocator.go``, sibling preference) takes, for
an integer container of ``n`` CPUs, from the CPUs free for it (online, held by no annotated or
integer container, not in its own ``weka.io/forbid-core-ids``):

1. first the free threads of cores whose other thread is already taken (by another container,
   or forbidden to this one): completing such a core breaks nothing;
2. then whole free cores;
3. and for what remains that whole cores cannot cover (an odd remainder on a two-thread node)
   at most one more core, which it breaks.

So a grant breaks (takes some but not all threads of) at most one core that was wholly free
before it, and only when ``n``, less the free threads of partly taken cores, is not a multiple
of the cores' thread count. Cores with one online thread (no SMT, or an offline sibling) cannot
be broken. Which whole cores it takes, and whether it prefers a core without CPU 0, is not
judged here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .cpusets import format_cpu_list


@dataclass(frozen=True)
class CoreVerdict:
    """What the rule says about one grant: ``broken`` whole free cores it broke, how many it
    ``allowed``, and the figures of the state before it."""

    grant: frozenset[int]
    broken: tuple[frozenset[int], ...]
    allowed: int
    partial: frozenset[int]  # free threads of cores partly taken before the grant
    whole: int  # cores wholly free before the grant

    @property
    def ok(self) -> bool:
        return len(self.broken) <= self.allowed

    def describe(self) -> str:
        broken = ", ".join(format_cpu_list(core) for core in self.broken) or "none"
        return (f"{len(self.grant)} CPUs {format_cpu_list(self.grant)}; before it {self.whole} whole free cores and "
                f"{len(self.partial)} free threads of partly taken cores ({format_cpu_list(self.partial) or 'none'}); "
                f"whole cores broken: {broken} (the rule allows {self.allowed})")


def judge_grant(grant: frozenset[int], free: frozenset[int], siblings: Mapping[int, frozenset[int]]) -> CoreVerdict:
    """Judge ``grant`` against ``free`` (the CPUs free for the container just before it) and
    ``siblings`` (every online CPU's thread siblings, itself included, as the node reports them)."""
    grant, free = frozenset(grant), frozenset(free)
    cores = {frozenset(siblings.get(cpu, frozenset({cpu}))) for cpu in free}
    multi = [core for core in cores if len(core) > 1]
    whole = [core for core in multi if core <= free]
    partial = frozenset(cpu for core in multi if not core <= free for cpu in core & free)
    broken = tuple(sorted((core for core in whole if core & grant and not core <= grant), key=min))
    rest = len(grant) - min(len(grant), len(partial))
    sizes = {len(core) for core in whole}
    allowed = 0 if rest == 0 or (len(sizes) == 1 and rest % sizes.pop() == 0) else 1
    if not whole:
        allowed = 0
    return CoreVerdict(grant, broken, allowed, partial, len(whole))
