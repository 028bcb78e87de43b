"""Progress of long waits on the console: pipelines kill jobs that stay silent, and people
watching a run want to know what it waits for and what it sees.

``Progress`` is called often while a wait lasts and prints a line when one is due: first after
``FIRST`` seconds, then every ``EVERY`` seconds. Console writes do not touch robot's log model,
so a reporter may be called from any thread."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

FIRST = 3.0
EVERY = 10.0

Emit = Callable[[str], None]


class Progress:
    def __init__(self, what: str, emit: Emit | None, first: float = FIRST, every: float = EVERY) -> None:
        self.what = what
        self.emit = emit
        self.every = every
        self.start = time.monotonic()
        self._next = self.start + first

    def due_in(self) -> float:
        """Seconds until the next line is due (a wait blocks at most this long between checks)."""
        return max(0.0, self._next - time.monotonic()) if self.emit is not None else EVERY

    def __call__(self, seen: Callable[[], str]) -> None:
        if self.emit is None:
            return
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.every
            self.emit(f"{self.what} ({now - self.start:.0f} s so far): {seen()}")


def _pod_state(pod: Any) -> str:
    if pod is None:
        return "gone"
    if pod.metadata.deletion_timestamp:
        return "Terminating"
    phase = pod.status.phase or "Pending"
    waiting = [s.state.waiting.reason for s in (pod.status.container_statuses or [])
               if s.state and s.state.waiting and s.state.waiting.reason]
    ready = any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
    unschedulable = [c.reason for c in (pod.status.conditions or [])
                     if c.type == "PodScheduled" and c.status == "False" and c.reason]
    detail = waiting or unschedulable
    return f"{phase}{' Ready' if ready else ''}{f' ({detail[0]})' if detail else ''}"


def describe_pods(state: Mapping[str, Any]) -> str:
    """Pods grouped by what they are doing: ``Running Ready: a, b; Pending (ContainerCreating): c``."""
    groups: dict[str, list[str]] = {}
    for name in sorted(state):
        groups.setdefault(_pod_state(state[name]), []).append(name)
    return "; ".join(f"{status}: {', '.join(names)}" for status, names in groups.items())
