"""What the node layer needs from the API server, as protocols (so it never imports it)."""
from __future__ import annotations

import asyncio
from typing import Any, Callable, Coroutine, Protocol

from ..latency import Latencies

Obj = dict[str, Any]


class ObjectStore(Protocol):
    """The API server's object store as the kubelet and scheduler use it (in place updates)."""

    def get(self, kind: str, namespace: str, name: str) -> Obj | None: ...

    def list(self, kind: str, namespace: str | None = None,
             predicate: Callable[[Obj], bool] | None = None) -> list[Obj]: ...

    def create(self, kind: str, obj: Obj) -> Obj: ...

    def update(self, kind: str, obj: Obj) -> Obj: ...

    def delete(self, kind: str, namespace: str, name: str) -> Obj | None: ...


class ClusterPort(Protocol):
    """The control plane as seen from a node."""

    store: ObjectStore
    latencies: Latencies

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task: ...

    def record_event(self, obj: Obj, type_: str, reason: str, message: str, component: str,
                     host: str | None = None, field_path: str | None = None) -> None: ...

    def pod_gone(self, pod: Obj) -> None:
        """A pod object left the API (its requests no longer count on its node)."""

    def creation_order(self, uid: str) -> int:
        """Order in which pods were created (the scheduler's queue order)."""
