"""CPU-set model: Linux CPU lists, ``Cpus_allowed`` hex masks and ``/proc/<pid>/status``.

Everything a step oracle compares is parsed into ``frozenset[int]`` first; status texts are
never substring-matched.

* CPU list (``cpuset.cpus``, ``Cpus_allowed_list``, the ``weka.io/cores-ids`` annotation):
  comma-separated items ``N`` or ``A-B`` (``A <= B``), whitespace around items allowed, any
  order, duplicates allowed. The empty string is the empty set, as for the kernel and the plugin.
* CPU mask (``Cpus_allowed``): comma-separated hex groups of 32 bits, most significant group
  first. The kernel prints ``ceil(nr_cpu_ids / 32)`` groups, zero-padded to 8 digits except
  the first, which has just enough digits for its bits (64 CPUs -> ``ffffffff,ffffffff``,
  48 CPUs -> ``ffff,ffffffff``, 4 CPUs -> ``f``); see ``bitmap_string`` in ``lib/vsprintf.c``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

#: Highest CPU number accepted at all (the plugin rejects "CPU IDs above 16384").
MAX_CPU_ID = 16384

_NUMBER = re.compile(r"[0-9]+")
_HEX_GROUP = re.compile(r"[0-9a-fA-F]{1,8}")
_MASK_GROUP_BITS = 32


class CpuListError(ValueError):
    """A CPU list, CPU mask or status text could not be parsed; the message quotes it."""


class ProcStatusError(ValueError):
    """A ``/proc/<pid>/status`` text lacks a field or its fields disagree."""


def _cpu_number(text: str, part: str, item: str, what: str) -> int:
    if not _NUMBER.fullmatch(part):
        raise CpuListError(
            f"invalid CPU list {text!r}: item {item!r} has {what} {part!r}; "
            "expected a non-negative decimal CPU number"
        )
    return int(part)


def parse_cpu_list(text: str, max_cpu: int | None = None) -> frozenset[int]:
    """Parse a Linux CPU list such as ``0-3, 8,10-11``.

    ``max_cpu`` is the highest CPU number allowed (inclusive), e.g. ``ncpus - 1``.
    """
    if not isinstance(text, str):
        raise CpuListError(f"CPU list must be a string, got {type(text).__name__}: {text!r}")
    if max_cpu is not None and max_cpu < 0:
        raise CpuListError(f"max_cpu must be >= 0, got {max_cpu}")
    limit = MAX_CPU_ID if max_cpu is None else min(max_cpu, MAX_CPU_ID)
    if not text.strip():
        return frozenset()
    cpus: set[int] = set()
    for raw_item in text.split(","):
        item = raw_item.strip()
        if not item:
            raise CpuListError(
                f"invalid CPU list {text!r}: empty item between commas; "
                "expected items like 'N' or 'A-B'"
            )
        parts = item.split("-")
        if len(parts) > 2:
            raise CpuListError(
                f"invalid CPU list {text!r}: item {item!r} has more than one '-'; "
                "expected 'N' or 'A-B'"
            )
        if len(parts) == 1:
            start = end = _cpu_number(text, parts[0], item, "CPU number")
        else:
            start = _cpu_number(text, parts[0], item, "range start")
            end = _cpu_number(text, parts[1], item, "range end")
            if start > end:
                raise CpuListError(
                    f"invalid CPU list {text!r}: range {item!r} has start > end; "
                    "expected 'A-B' with A <= B"
                )
        if end > limit:
            raise CpuListError(
                f"invalid CPU list {text!r}: item {item!r} names CPU {end}, "
                f"expected CPUs 0-{limit}"
            )
        cpus.update(range(start, end + 1))
    return frozenset(cpus)


def _checked_cpus(cpus: Iterable[int]) -> list[int]:
    result = sorted(set(cpus))
    for cpu in result:
        if isinstance(cpu, bool) or not isinstance(cpu, int) or cpu < 0:
            raise CpuListError(f"CPU numbers must be non-negative integers, got {cpu!r}")
    return result


def format_cpu_list(cpus: Iterable[int]) -> str:
    """Canonical range list: ``{0,1,2,3,8,10,11}`` -> ``0-3,8,10-11``; empty -> ``""``."""
    ordered = _checked_cpus(cpus)
    items: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        items.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(items)


def format_comma_list(cpus: Iterable[int]) -> str:
    """Sorted comma list ``0,1,2,3`` (the format of the plugin's annotated adjustments)."""
    return ",".join(str(cpu) for cpu in _checked_cpus(cpus))


def parse_cpu_mask(text: str) -> frozenset[int]:
    """Parse a kernel ``Cpus_allowed`` mask such as ``ffffffff,ffffffff``."""
    if not isinstance(text, str):
        raise CpuListError(f"CPU mask must be a string, got {type(text).__name__}: {text!r}")
    stripped = text.strip()
    if not stripped:
        raise CpuListError(
            f"invalid CPU mask {text!r}: empty; expected comma-separated hex groups "
            "like 'ffffffff,ffffffff'"
        )
    groups = stripped.split(",")
    cpus: set[int] = set()
    for index, group in enumerate(reversed(groups)):
        if not _HEX_GROUP.fullmatch(group):
            bad = [ch for ch in group if ch not in "0123456789abcdefABCDEF"]
            if bad:
                reason = f"non-hex digit {bad[0]!r} in group {group!r}"
            elif not group:
                reason = "empty group"
            else:
                reason = f"group {group!r} has {len(group)} digits"
            raise CpuListError(
                f"invalid CPU mask {text!r}: {reason}; expected comma-separated groups of "
                "1-8 hex digits (32 bits each), most significant first"
            )
        value = int(group, 16)
        base = index * _MASK_GROUP_BITS
        bit = 0
        while value:
            if value & 1:
                cpus.add(base + bit)
            value >>= 1
            bit += 1
    return frozenset(cpus)


def format_cpu_mask(cpus: Iterable[int], ncpus: int) -> str:
    """The mask as the kernel prints it on a machine with ``ncpus`` possible CPUs."""
    if isinstance(ncpus, bool) or not isinstance(ncpus, int) or ncpus < 1:
        raise CpuListError(f"ncpus must be a positive integer, got {ncpus!r}")
    ordered = _checked_cpus(cpus)
    if ordered and ordered[-1] >= ncpus:
        raise CpuListError(
            f"CPU {ordered[-1]} does not fit a mask of {ncpus} CPUs (expected 0-{ncpus - 1})"
        )
    value = 0
    for cpu in ordered:
        value |= 1 << cpu
    ngroups = -(-ncpus // _MASK_GROUP_BITS)
    first_bits = ncpus % _MASK_GROUP_BITS or _MASK_GROUP_BITS
    groups: list[str] = []
    for index in range(ngroups - 1, -1, -1):
        chunk = (value >> (index * _MASK_GROUP_BITS)) & 0xFFFFFFFF
        width = -(-first_bits // 4) if index == ngroups - 1 else 8
        groups.append(f"{chunk:0{width}x}")
    return ",".join(groups)


@dataclass(frozen=True)
class ProcStatus:
    """The CPU/memory affinity fields of a ``/proc/<pid>/status`` text.

    A field missing from the text is ``None``; ``raw`` keeps every ``Key: value`` field verbatim.
    """

    cpus_allowed: frozenset[int] | None
    cpus_allowed_list: frozenset[int] | None
    mems_allowed_list: frozenset[int] | None
    raw: dict[str, str] = field(default_factory=dict, compare=False)

    def check_consistent(self) -> None:
        """Raise :class:`ProcStatusError` unless ``Cpus_allowed`` and ``Cpus_allowed_list``
        are both present and name the same CPUs."""
        missing = [
            name
            for name, value in (
                ("Cpus_allowed", self.cpus_allowed),
                ("Cpus_allowed_list", self.cpus_allowed_list),
            )
            if value is None
        ]
        if missing:
            raise ProcStatusError(
                f"cannot compare mask and list: status text has no {' or '.join(missing)} field"
            )
        assert self.cpus_allowed is not None and self.cpus_allowed_list is not None
        if self.cpus_allowed != self.cpus_allowed_list:
            only_mask = format_cpu_list(self.cpus_allowed - self.cpus_allowed_list)
            only_list = format_cpu_list(self.cpus_allowed_list - self.cpus_allowed)
            raise ProcStatusError(
                "Cpus_allowed and Cpus_allowed_list disagree: "
                f"Cpus_allowed {self.raw.get('Cpus_allowed')!r} = "
                f"CPUs {format_cpu_list(self.cpus_allowed)!r}, Cpus_allowed_list "
                f"{self.raw.get('Cpus_allowed_list')!r}; only in mask: {only_mask!r}, "
                f"only in list: {only_list!r}"
            )


def parse_proc_status(text: str) -> ProcStatus:
    """Extract ``Cpus_allowed``, ``Cpus_allowed_list`` and ``Mems_allowed_list``.

    Fields are matched by their exact name before the first ``:`` of a line.
    """
    if not isinstance(text, str):
        raise ProcStatusError(f"status text must be a string, got {type(text).__name__}")
    raw: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name and not name[0].isspace():
            raw[name.strip()] = value.strip()

    def field_value(name: str, parser) -> frozenset[int] | None:
        if name not in raw:
            return None
        try:
            return parser(raw[name])
        except CpuListError as err:
            raise ProcStatusError(f"status field {name}: {err}") from err

    return ProcStatus(
        cpus_allowed=field_value("Cpus_allowed", parse_cpu_mask),
        cpus_allowed_list=field_value("Cpus_allowed_list", parse_cpu_list),
        mems_allowed_list=field_value("Mems_allowed_list", parse_cpu_list),
        raw=raw,
    )


class CpuSet(frozenset):
    """A set of CPU numbers that prints as a Linux CPU list (``0-3,8``): the value keywords
    take and return. Converted from a CPU list text, a number, or any collection of numbers."""

    def __str__(self) -> str:
        return format_cpu_list(self)

    def __repr__(self) -> str:
        return f"CpuSet('{format_cpu_list(self)}')"

    @classmethod
    def convert(cls, value: object) -> "CpuSet":
        """Robot argument converter: ``"0-3,8"``, ``5``, ``[0, 1]``, a set, ``${EMPTY}``."""
        if isinstance(value, CpuSet):
            return value
        if isinstance(value, bool):
            raise CpuListError(f"expected a CPU list such as '0-3,8', got {value!r}")
        if isinstance(value, int):
            return cls(_checked_cpus([value]))
        if isinstance(value, str):
            return cls(parse_cpu_list(value))
        try:
            items = list(value)  # type: ignore[call-overload]
        except TypeError:
            raise CpuListError(f"expected a CPU list such as '0-3,8' or a list of CPU numbers, "
                               f"got {type(value).__name__} {value!r}") from None
        return cls(_checked_cpus(int(item) if isinstance(item, str) and item.isdigit() else item
                                 for item in items))
