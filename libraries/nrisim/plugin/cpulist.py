"""The plugin's CPU-list syntax: parser, validation and formatters, with its exact messages.

Mirrors ``pkg/numa/numa.go`` (ParseCPUList, ParseAndValidateCPUList, FormatCPUList) and
``formatCPUListCommaSeparated`` of the plugin; the error strings are the plugin's, because
they reach pod events through containerd.
"""
from __future__ import annotations

from typing import Iterable, Sequence

_MAX_CPU_ID = 16384
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class CpuListError(ValueError):
    """A CPU list the plugin rejects; ``str(err)`` is the plugin's message."""


def go_atoi(text: str) -> int:
    """Go's ``strconv.Atoi``: optional sign, ASCII decimal digits only, int64 range."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not all("0" <= ch <= "9" for ch in digits):
        raise CpuListError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    value = int(text)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise CpuListError(f'strconv.Atoi: parsing "{text}": value out of range')
    return value


def parse_cpu_list(text: str) -> list[int]:
    """Parse ``N`` / ``A-B`` items separated by commas; ``""`` is an empty list.

    Duplicates are kept and order is preserved, as the plugin does (``0,0`` -> ``[0, 0]``).
    """
    if not isinstance(text, str):
        raise TypeError(f"CPU list must be a string, got {type(text).__name__}")
    if text == "":
        return []
    cpus: list[int] = []
    for raw in text.split(","):
        part = raw.strip()
        if part == "":
            raise CpuListError(f"empty CPU value in list: {text}")
        if "-" in part:
            bounds = part.split("-")
            if len(bounds) != 2:
                raise CpuListError(f"invalid CPU range format: {part}")
            try:
                start = go_atoi(bounds[0])
            except CpuListError as err:
                raise CpuListError(f"invalid start CPU in range {part}: {err}") from None
            try:
                end = go_atoi(bounds[1])
            except CpuListError as err:
                raise CpuListError(f"invalid end CPU in range {part}: {err}") from None
            if start < 0 or end < 0:
                raise CpuListError(f"invalid CPU range {part}: negative CPU IDs not allowed")
            if start > end:
                raise CpuListError(f"invalid CPU range {part}: start > end")
            if start > _MAX_CPU_ID or end > _MAX_CPU_ID:
                raise CpuListError(
                    f"invalid CPU range {part}: CPU IDs above {_MAX_CPU_ID} not supported"
                )
            cpus.extend(range(start, end + 1))
        else:
            try:
                cpu = go_atoi(part)
            except CpuListError as err:
                raise CpuListError(f"invalid CPU number {part}: {err}") from None
            if cpu < 0:
                raise CpuListError(f"invalid CPU number {cpu}: negative CPU IDs not allowed")
            if cpu > _MAX_CPU_ID:
                raise CpuListError(
                    f"invalid CPU number {cpu}: CPU IDs above {_MAX_CPU_ID} not supported"
                )
            cpus.append(cpu)
    return cpus


def parse_and_validate(text: str, online: Sequence[int]) -> list[int]:
    """Parse, then require every CPU to be online (``CPU(s) not online: [999] (valid range: 0-63)``)."""
    cpus = parse_cpu_list(text)
    if not cpus:
        return cpus
    online_set = set(online)
    offline = [cpu for cpu in cpus if cpu not in online_set]
    if offline:
        raise CpuListError(
            f"CPU(s) not online: {go_slice(offline)} (valid range: {format_ranges(online)})"
        )
    return cpus


def format_ranges(cpus: Iterable[int]) -> str:
    """``numa.FormatCPUList``: sorted, consecutive runs as ``A-B`` (``1-3,33``).

    Duplicates are printed as the plugin prints them (``[0, 0]`` -> ``0,0``).
    """
    ordered = sorted(cpus)
    if not ordered:
        return ""
    parts: list[str] = []
    start = prev = ordered[0]
    for current in ordered[1:]:
        if current == prev + 1:
            prev = current
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = current
    parts.append(str(start) if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def format_comma(cpus: Iterable[int]) -> str:
    """``formatCPUListCommaSeparated``: sorted, every CPU listed (``0,1,2``)."""
    return ",".join(str(cpu) for cpu in sorted(cpus))


def go_slice(items: Iterable[object]) -> str:
    """Go's ``%v`` of a slice: ``[1 2 3]``; an empty or nil slice is ``[]``."""
    return "[" + " ".join(str(item) for item in items) + "]"
