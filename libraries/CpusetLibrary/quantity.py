"""Kubernetes resource quantities, as far as CPU and memory requests need them."""
from __future__ import annotations

import re

_CPU = re.compile(r"^\s*(\d+(?:\.\d+)?)(m?)\s*$")
_MEM = re.compile(r"^\s*(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)\s*$")
_MEM_FACTORS = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
                "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def parse_cpu(value: str | int | float) -> float:
    """``"15"`` -> 15.0, ``"1500m"`` -> 1.5 (cores)."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _CPU.match(str(value))
    if not match:
        raise ValueError(f"CPU quantity '{value}' is not a number of cores like '2' or '1500m'")
    number = float(match.group(1))
    return number / 1000 if match.group(2) else number


def parse_memory(value: str | int) -> int:
    """``"1Gi"`` -> 1073741824 (bytes)."""
    if isinstance(value, int):
        return value
    match = _MEM.match(str(value))
    if not match:
        raise ValueError(f"memory quantity '{value}' is not like '512Mi' or '1Gi'")
    return int(float(match.group(1)) * _MEM_FACTORS[match.group(2)])
