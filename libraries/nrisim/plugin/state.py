"""The plugin's in-memory state (``pkg/state/state.go``): annotRef, intOwner, byCID."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass
class Record:
    """One ``byCID`` entry. ``cpus`` keeps the plugin's order (and duplicates)."""

    container_id: str
    mode: str
    cpus: list[int]
    pod_id: str  # sandbox id
    pod_uid: str


@dataclass(frozen=True)
class StateSnapshot:
    """A copy of the three maps, for tests and for the simulator's debug output."""

    annot_ref: Mapping[int, int] = field(default_factory=dict)
    int_owner: Mapping[int, str] = field(default_factory=dict)
    by_cid: Mapping[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)

    def cpus_of(self, container_id: str) -> tuple[int, ...]:
        """Recorded CPUs of a container; KeyError naming the id when it is not tracked."""
        try:
            return self.by_cid[container_id][1]
        except KeyError:
            raise KeyError(f"container {container_id!r} is not tracked by the plugin") from None


def short_id(container_id: str) -> str:
    """``safeShortID``: the first 12 characters."""
    return container_id[:12]
