"""Many pods of one shape at once: the bodies of a numbered series of integer pods, as a
procedure that fills a node with them needs."""
from __future__ import annotations

from robot.api import logger
from robot.api.deco import keyword

from ..context import LibraryContext
from .shapes import PodShapeKeywords


class BatchKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    @keyword
    def integer_pod_bodies(self, prefix: str, count: int, cpus: int, memory: str = "64Mi",
                           image: str = "busybox:latest") -> list[dict]:
        """Bodies of ``count`` integer pods ``<prefix>-1`` … ``<prefix>-<count>``, each of ``cpus``
        whole CPUs (request = limit) and ``memory`` (request = limit), for ``Create Pods Together``.
        ``count`` may be 0 (no bodies).

        Example:
        | ${bodies} = | Integer Pod Bodies | integer-exhaust | 30 | 2 | memory=100Mi |
        | ${names} = | Create Pods Together | @{bodies} |
        """
        count, cpus = int(count), int(cpus)
        if count < 0:
            raise ValueError(f"count must be 0 or more, got {count}")
        if cpus < 1:
            raise ValueError(f"cpus must be a whole number of CPUs of at least 1, got {cpus}")
        shapes = PodShapeKeywords(self.ctx)
        bodies = [shapes.pod_body(f"{prefix}-{i}", cpu=str(cpus), memory=memory, image=image)
                  for i in range(1, count + 1)]
        logger.info(f"{count} integer pods of {cpus} CPUs and {memory}: {prefix}-1 … {prefix}-{count}"
                    if count else "No integer pods")
        return bodies
