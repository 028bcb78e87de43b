"""CPU sets as values in Robot: parse, format, combine and compare, with no inline Python.

Every argument typed ``CpuSet`` accepts a CPU list text (``0-3,8``), one CPU number, a list
of numbers or a set another keyword returned; results print as CPU lists.
"""
from __future__ import annotations

from robot.api.deco import keyword

from ..cpusets import CpuSet, format_cpu_list
from ..oracle import overlaps


def _named(cpus: CpuSet) -> str:
    return format_cpu_list(cpus) or "none"


class CpuSetValueKeywords:
    @keyword
    def parse_cpu_list(self, text: str) -> CpuSet:
        """The CPUs of a Linux CPU list (``0-3, 8`` -> 0,1,2,3,8); the empty text is the empty
        set. Fails naming the item that is not ``N`` or ``A-B``.

        Example:
        | ${cpus} = | Parse Cpu List | 0-3,8 |
        | Length Should Be | ${cpus} | 5 |
        """
        return CpuSet.convert(text)

    @keyword
    def format_cpu_list(self, cpus: CpuSet) -> str:
        """The canonical CPU list text: ascending ranges (``0-3,8``); ``""`` for no CPUs.

        Example:
        | ${text} = | Format Cpu List | ${sets}[integer-a] |
        | Should Be Equal | ${text} | 1-2,33-34 |
        """
        cpus = CpuSet.convert(cpus)
        return format_cpu_list(cpus)

    @keyword
    def lowest_cpus(self, cpus: CpuSet, count: int) -> CpuSet:
        """The ``count`` lowest-numbered CPUs of ``cpus``. Fails when there are fewer.

        Example:
        | ${two} = | Lowest Cpus | ${sets}[integer-x] | 2 |
        """
        cpus = CpuSet.convert(cpus)
        ordered = sorted(cpus)
        if count < 0 or count > len(ordered):
            raise ValueError(f"cannot take {count} CPUs of {_named(cpus)} ({len(ordered)} CPUs)")
        return CpuSet(ordered[:count])

    @keyword
    def highest_cpus(self, cpus: CpuSet, count: int) -> CpuSet:
        """The ``count`` highest-numbered CPUs of ``cpus``. Fails when there are fewer.

        Example:
        | ${last} = | Highest Cpus | ${online} | 1 |
        """
        cpus = CpuSet.convert(cpus)
        ordered = sorted(cpus)
        if count < 0 or count > len(ordered):
            raise ValueError(f"cannot take {count} CPUs of {_named(cpus)} ({len(ordered)} CPUs)")
        return CpuSet(ordered[len(ordered) - count:])

    @keyword
    def cpu_set_union(self, *sets: CpuSet) -> CpuSet:
        """Every CPU in any of the sets.

        Example:
        | ${both} = | Cpu Set Union | 0-1 | ${sets}[integer-a] |
        """
        sets = tuple(CpuSet.convert(item) for item in sets)
        return CpuSet(frozenset().union(*sets))  # frozenset's union returns a plain frozenset

    @keyword
    def cpu_set_difference(self, cpus: CpuSet, *without: CpuSet) -> CpuSet:
        """The CPUs of ``cpus`` that are in none of ``without``.

        Example:
        | ${rest} = | Cpu Set Difference | ${online} | ${annotated} | ${integer} |
        """
        cpus = CpuSet.convert(cpus)
        without = tuple(CpuSet.convert(item) for item in without)
        return CpuSet(frozenset(cpus).difference(*without))

    @keyword
    def cpu_set_intersection(self, cpus: CpuSet, *others: CpuSet) -> CpuSet:
        """The CPUs in ``cpus`` and in every one of ``others``.

        Example:
        | ${common} = | Cpu Set Intersection | ${before} | ${after} |
        """
        cpus = CpuSet.convert(cpus)
        others = tuple(CpuSet.convert(item) for item in others)
        return CpuSet(frozenset(cpus).intersection(*others))

    @keyword
    def cpu_set_should_be(self, actual: CpuSet, expected: CpuSet, what: str = "CPU set") -> None:
        """``actual`` is exactly ``expected``; the failure names the extra and missing CPUs.

        Example:
        | ${cpus} = | Get Pod Cpus | annotated-a |
        | Cpu Set Should Be | ${cpus} | 0,2 | what=annotated-a |
        """
        actual = CpuSet.convert(actual)
        expected = CpuSet.convert(expected)
        if actual != expected:
            parts = [f"{what} is {_named(actual)}, expected {_named(expected)}"]
            if actual - expected:
                parts.append(f"extra {format_cpu_list(actual - expected)}")
            if expected - actual:
                parts.append(f"missing {format_cpu_list(expected - actual)}")
            raise AssertionError("; ".join(parts))

    @keyword
    def cpu_set_should_not_include(self, cpus: CpuSet, excluded: CpuSet, what: str = "CPU set") -> None:
        """No CPU of ``excluded`` is in ``cpus``.

        Example:
        | Cpu Set Should Not Include | ${cpus} | 1,3,5 | what=integer-forbid |
        """
        cpus = CpuSet.convert(cpus)
        excluded = CpuSet.convert(excluded)
        found = cpus & excluded
        if found:
            raise AssertionError(f"{what} {_named(cpus)} includes {format_cpu_list(found)} of {_named(excluded)}")

    @keyword
    def cpu_set_should_include(self, cpus: CpuSet, included: CpuSet, what: str = "CPU set") -> None:
        """Every CPU of ``included`` is in ``cpus``.

        Example:
        | Cpu Set Should Include | ${pool} | ${released} | what=shared pool |
        """
        cpus = CpuSet.convert(cpus)
        included = CpuSet.convert(included)
        missing = included - cpus
        if missing:
            raise AssertionError(f"{what} {_named(cpus)} lacks {format_cpu_list(missing)} of {_named(included)}")

    @keyword
    def cpu_sets_should_be_disjoint(self, sets: dict) -> None:
        """No two of the named sets (name -> CPUs, e.g. what ``Get Cpus Of Pods`` returns)
        share a CPU; the failure names every pair and the CPUs they share.

        Example:
        | ${sets} = | Get Cpus Of Pods | integer-a | integer-b |
        | Cpu Sets Should Be Disjoint | ${sets} |
        """
        found = overlaps({name: CpuSet.convert(cpus) for name, cpus in sets.items()})
        if found:
            raise AssertionError("CPU sets overlap: " + "; ".join(found))
