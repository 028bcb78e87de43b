"""The kernel's CPU list text (``0-3,8``), shared by the node model and the configuration."""
from __future__ import annotations

from typing import Iterable


def parse_cpu_list(text: str) -> set[int]:
    """``0-3,8`` -> {0,1,2,3,8}; raises ValueError naming the text."""
    result: set[int] = set()
    text = text.strip()
    if not text:
        return result
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, _, hi = part.partition("-")
            if not lo.isdigit() or not hi.isdigit() or int(lo) > int(hi):
                raise ValueError(f"invalid CPU range {part!r} in {text!r}")
            result.update(range(int(lo), int(hi) + 1))
        elif part.isdigit():
            result.add(int(part))
        else:
            raise ValueError(f"invalid CPU value {part!r} in {text!r}")
    return result


def format_cpu_list(cpus: Iterable[int]) -> str:
    """Kernel list format: ``0-3,8,10-11``."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)
