"""Create a node-access backend by name (the ``NODE_ACCESS`` variable)."""
from __future__ import annotations

from typing import Any

from .base import NodeAccess

VALID_KINDS = ("local", "ssh", "daemonset")


def create_node_access(kind: str, **options: Any) -> NodeAccess:
    """``local`` → :class:`LocalNodeAccess`, ``ssh`` → :class:`SshNodeAccess`,
    ``daemonset`` → :class:`DaemonSetNodeAccess`; ``options`` are their constructor arguments."""
    name = kind.strip().lower() if isinstance(kind, str) else kind
    if name == "local":
        from .local import LocalNodeAccess as backend
    elif name == "ssh":
        from .ssh import SshNodeAccess as backend  # type: ignore[assignment]
    elif name == "daemonset":
        from .daemonset import DaemonSetNodeAccess as backend  # type: ignore[assignment]
    else:
        raise ValueError(f"unknown node access kind {kind!r}; valid kinds: {', '.join(VALID_KINDS)}")
    try:
        return backend(**options)
    except TypeError as err:  # a missing or unknown option; never echo option values (secrets)
        raise ValueError(f"invalid options for node access {name!r}: {err}") from None
