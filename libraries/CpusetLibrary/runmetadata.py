"""The metadata of a run of several procedures: each procedure's suite has its own (each
connects on its own); the top level says what they share, and how they differ."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

#: metadata whose distinct values are short enough to list side by side at the top level (the
#: release gate and a reader must see every target, node and plugin model the run covered)
JOINED_METADATA = ("Target", "Kubernetes", "Node", "Nodes", "CPUs", "Runtime", "Plugin model", "Library")


def top_level_value(name: str, values: list[str]) -> str:
    """The top-level value of metadata ``name`` whose procedures published the distinct
    ``values`` (in order)."""
    if len(values) == 1:
        return values[0]
    if name in JOINED_METADATA:
        return " / ".join(values)
    return f"{len(values)} different values: see each procedure's own metadata"


def merged_metadata(procedures: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The top-level metadata of the procedures' metadata (each a suite's), in first-seen order."""
    values: dict[str, list[str]] = {}
    for metadata in procedures:
        for name, value in metadata.items():
            seen = values.setdefault(name, [])
            if value not in seen:
                seen.append(value)
    return {name: top_level_value(name, seen) for name, seen in values.items()}
