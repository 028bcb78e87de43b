"""Sibling-aware exclusive CPU allocation (``AllocateExclusiveCPUsWithSiblings``).

Same choices as the plugin (phase 1 orphan siblings, phase 2 whole cores by score
``100 - groupIndex`` (-50 for the core holding CPU 0), phase 3 odd remainder, fallback; the
no-HT path puts CPU 0 last), computed with sets and one pass per phase so the cost stays
linear in the CPU count.

Faithful quirk: phase 2 only considers cores whose score is >= 0 (the plugin starts with
``bestScore = -1``), so on nodes with more than 101 cores the higher cores are never taken
whole; the remainder then goes through phase 3 (lowest non-zero CPUs).
"""
from __future__ import annotations

from typing import Callable, Iterable

from ..topology import Topology
from .cpulist import go_slice


class AllocationError(Exception):
    """Not enough CPUs; ``str(err)`` is the allocator's message (without callers' prefixes).

    ``need``/``have`` let a model of another plugin version word the message its own way.
    """

    def __init__(self, message: str, need: int = 0, have: int = 0) -> None:
        super().__init__(message)
        self.need = need
        self.have = have


def _zero_last(cpus: Iterable[int]) -> list[int]:
    return sorted(cpus, key=lambda cpu: (cpu == 0, cpu))


class ExclusiveAllocator:
    """Chooses exclusive CPUs on one node; writes the plugin's allocator log lines."""

    def __init__(
        self, topology: Topology, log: Callable[[str], None], *, fix_era_lines: bool = True
    ) -> None:
        self.topology = topology
        self.log = log
        #: the ``AllocateExclusiveCPUs need=`` / ``ERROR: CPU allocation failed`` lines (FIX+)
        self.fix_era_lines = fix_era_lines
        self._groups = topology.core_groups
        self._ht = any(len(group) > 1 for group in self._groups)

    def allocate(self, count: int, reserved: Iterable[int]) -> list[int]:
        """Return ``count`` CPUs avoiding ``reserved``, or raise :class:`AllocationError`.

        Sorted, except on the no-HT path, which returns CPU 0 last as the plugin does.

        ``reserved`` is printed in the order given (the plugin prints Go map order; callers
        here pass sorted lists) and may contain offline CPUs, which are harmless.
        """
        if count <= 0:
            raise AllocationError(f"invalid CPU count: {count}", need=count)
        reserved_list = list(reserved)
        reserved_set = set(reserved_list)
        online = self.topology.online
        available = [cpu for cpu in online if cpu not in reserved_set]
        if self.fix_era_lines:
            self.log(
                f"DEBUG: AllocateExclusiveCPUs need={count}, reserved={go_slice(reserved_list)} "
                f"({len(reserved_list)} CPUs), available={go_slice(available)} ({len(available)} CPUs), "
                f"online={go_slice(online)} ({len(online)} CPUs)"
            )
        if len(available) < count:
            if self.fix_era_lines:
                self.log(
                    f"ERROR: CPU allocation failed - need {count} CPUs, have {len(available)} available. "
                    f"Reserved CPUs: {go_slice(reserved_list)}. Online CPUs: {go_slice(online)}"
                )
            raise AllocationError(
                f"insufficient free CPUs: need {count}, have {len(available)} "
                f"(reserved: {go_slice(reserved_list)})",
                need=count,
                have=len(available),
            )
        chosen = self._with_sibling_preference(available, count, reserved_set)
        if len(chosen) == count:
            return chosen
        return sorted(available)[:count]

    # -- the three phases -------------------------------------------------------------------

    def _with_sibling_preference(
        self, available: list[int], count: int, reserved: set[int]
    ) -> list[int]:
        self.log(
            f"DEBUG: allocateWithSiblingPreference count={count}, "
            f"hyperthreading={'true' if self._ht else 'false'}"
        )
        if not self._ht:
            return _zero_last(available)[:count]
        groups = self._groups
        self.log(
            f"DEBUG: Found {len(groups)} core groups: "
            f"{go_slice(go_slice(group) for group in groups)}"
        )
        free = set(available)
        allocated: list[int] = []
        remaining = count

        if reserved:  # phase 1: complete partly reserved cores, no CPU-0 avoidance
            reserved_per_group: dict[int, int] = {}
            group_of = self.topology.group_of
            for cpu in reserved:
                index = group_of.get(cpu)
                if index is not None:  # offline or unknown CPUs belong to no group
                    reserved_per_group[index] = reserved_per_group.get(index, 0) + 1
            for index in sorted(reserved_per_group):
                if remaining <= 0:
                    break
                group = groups[index]
                if 0 < reserved_per_group[index] < len(group):
                    for cpu in group:
                        if remaining <= 0:
                            break
                        if cpu in free:
                            allocated.append(cpu)
                            free.discard(cpu)
                            remaining -= 1

        if remaining >= 2:  # phase 2: whole free cores, best score first
            candidates = []
            for index, group in enumerate(groups):
                if len(group) < 2 or not all(cpu in free for cpu in group):
                    continue
                score = 100 - index - (50 if 0 in group else 0)
                if score > -1:
                    candidates.append((-score, index))
            candidates.sort()
            for _, index in candidates:
                if remaining < 2:
                    break
                for cpu in groups[index][: min(remaining, len(groups[index]))]:
                    allocated.append(cpu)
                    free.discard(cpu)
                    remaining -= 1

        if remaining > 0:
            allocated.extend(self._phase3(remaining, free))
        return sorted(allocated)

    def _phase3(self, remaining: int, free: set[int]) -> list[int]:
        self.log(f"DEBUG: Phase 3 - allocating {remaining} remaining CPUs")
        picked: list[int] = []
        for index, group in enumerate(self._groups):  # step 1: cores with one free thread
            if len(picked) >= remaining:
                break
            if len(group) < 2:
                continue
            free_in_group = [cpu for cpu in group if cpu in free]
            if len(free_in_group) == 1 and len(group) - 1 == 1:
                cpu = free_in_group[0]
                self.log(
                    f"DEBUG: Using partial core {index} (group {index}) - CPU {cpu} available, "
                    "sibling reserved"
                )
                picked.append(cpu)
                free.discard(cpu)
        if len(picked) < remaining:  # step 2: break one whole core, core of CPU 0 first
            self.log("DEBUG: No partial cores available, breaking up a new core")
            best_index, best_cpu = -1, -1
            for index, group in enumerate(self._groups):
                if len(group) < 2 or not all(cpu in free for cpu in group):
                    continue
                if 0 in group:
                    best_index, best_cpu = index, next(cpu for cpu in group if cpu != 0)
                    break
                if best_index == -1:
                    best_index, best_cpu = index, group[0]
            if best_index >= 0:
                self.log(
                    f"DEBUG: Breaking up core {best_index}, using CPU {best_cpu} "
                    "(leaves sibling for future reuse)"
                )
                picked.append(best_cpu)
                free.discard(best_cpu)
        if len(picked) < remaining:  # step 3: lowest non-zero CPUs, 0 last
            needed = remaining - len(picked)
            self.log(f"DEBUG: Last resort allocation for remaining {needed} CPUs")
            picked.extend(_zero_last(free)[:needed])
        return picked
