"""Moving a manual procedure's CPU numbers (written for one node size) onto the node at hand."""
from __future__ import annotations

from collections.abc import Iterable


class ScalingError(ValueError):
    """The node has too few free CPUs for the manual's CPUs; the message names the numbers."""


def scale_cpus(manual: Iterable[int], manual_size: int, online: Iterable[int], free: Iterable[int]) -> list[int]:
    """The manual's CPUs for a node of ``manual_size`` CPUs, moved onto this node: CPU ``c`` goes
    to position ``floor(c * n / manual_size)`` of the ``n`` online CPUs (ascending), then to the
    nearest free CPU not already chosen (upwards first). The result keeps the manual's order and
    count; at ``n == manual_size`` on an idle node it is the manual's CPUs.

    >>> scale_cpus([15, 16], 64, range(64), range(64))
    [15, 16]
    >>> scale_cpus([15, 16], 64, range(16), range(16))
    [3, 4]
    >>> scale_cpus([0, 1, 2, 3, 4], 64, range(16), range(2, 16))
    [2, 3, 4, 5, 6]
    """
    wanted = list(manual)
    cpus = sorted(set(online))
    if manual_size < 1:
        raise ScalingError(f"the manual's node size must be >= 1, got {manual_size}")
    if any(c < 0 or c >= manual_size for c in wanted):
        raise ScalingError(f"manual CPUs {wanted} are not all below its node size {manual_size}")
    available = set(free) & set(cpus)
    if len(available) < len(wanted):
        raise ScalingError(f"the procedure needs {len(wanted)} free CPUs for {wanted}, the node has "
                           f"{len(available)} free of {len(cpus)} online")
    chosen: list[int] = []
    for cpu in wanted:
        start = (cpu * len(cpus)) // manual_size
        order = list(range(start, len(cpus))) + list(range(start - 1, -1, -1))
        pick = next(cpus[i] for i in order if cpus[i] in available and cpus[i] not in chosen)
        chosen.append(pick)
    return chosen
