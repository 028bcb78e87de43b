"""The API server's object store: resource versions, watch fan-out and a bounded history.

Owned by the simulator's single asyncio loop; nothing here is thread-safe by design.
"""
from __future__ import annotations

import asyncio
import collections
import copy
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from ..clock import now_rfc3339

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)

HISTORY_SIZE = 20000

__all__ = ["Store", "Watcher", "WatchEvent", "new_uid", "now_rfc3339"]


def new_uid() -> str:
    return str(uuid.uuid4())


@dataclass
class WatchEvent:
    rv: int
    kind: str
    type: str  # ADDED, MODIFIED, DELETED
    obj: Obj  # snapshot


@dataclass
class Watcher:
    kind: str
    namespace: str | None
    predicate: Callable[[Obj], bool]
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)


class Store:
    def __init__(self) -> None:
        self.rv = 1
        self.objects: dict[str, dict[Key, Obj]] = collections.defaultdict(dict)
        self.history: collections.deque[WatchEvent] = collections.deque(maxlen=HISTORY_SIZE)
        self.watchers: list[Watcher] = []
        self.changed = asyncio.Event()

    # -- reads -------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self.objects[kind].get((namespace, name))

    def list(self, kind: str, namespace: str | None = None,
             predicate: Callable[[Obj], bool] | None = None) -> list[Obj]:
        items = [o for (ns, _), o in self.objects[kind].items()
                 if (namespace is None or ns == namespace) and (predicate is None or predicate(o))]
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return items

    def oldest_rv(self) -> int:
        return self.history[0].rv if self.history else self.rv

    # -- writes ------------------------------------------------------------
    def _bump(self, obj: Obj) -> int:
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        return self.rv

    def _emit(self, kind: str, type_: str, obj: Obj) -> None:
        ev = WatchEvent(self.rv, kind, type_, copy.deepcopy(obj))
        self.history.append(ev)
        ns = obj["metadata"].get("namespace", "")
        for w in self.watchers:
            if w.kind == kind and (w.namespace is None or w.namespace == ns):
                w.queue.put_nowait(ev)
        self.changed.set()
        self.changed = asyncio.Event()

    def create(self, kind: str, obj: Obj) -> Obj:
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        if key in self.objects[kind]:
            raise KeyError(key)
        meta.setdefault("uid", new_uid())
        meta.setdefault("creationTimestamp", now_rfc3339())
        self._bump(obj)
        self.objects[kind][key] = obj
        self._emit(kind, "ADDED", obj)
        return obj

    def update(self, kind: str, obj: Obj) -> Obj:
        """Record a change of an object already held (mutated in place)."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        if self.objects[kind].get(key) is not obj:
            return obj  # deleted meanwhile: nothing to publish
        self._bump(obj)
        self._emit(kind, "MODIFIED", obj)
        return obj

    def delete(self, kind: str, namespace: str, name: str) -> Obj | None:
        obj = self.objects[kind].pop((namespace, name), None)
        if obj is not None:
            self._bump(obj)
            self._emit(kind, "DELETED", obj)
        return obj

    # -- watch -------------------------------------------------------------
    def add_watcher(self, watcher: Watcher) -> None:
        self.watchers.append(watcher)

    def remove_watcher(self, watcher: Watcher) -> None:
        if watcher in self.watchers:
            self.watchers.remove(watcher)

    def close_watchers(self) -> None:
        """Ends every open watch stream (server shutdown)."""
        for w in self.watchers:
            w.queue.put_nowait(None)

    def events_since(self, kind: str, namespace: str | None, rv: int) -> list[WatchEvent]:
        return [e for e in self.history if e.rv > rv and e.kind == kind
                and (namespace is None or e.obj["metadata"].get("namespace", "") == namespace)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Wait until ``predicate()`` holds after some change; False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not predicate():
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except asyncio.TimeoutError:
                return predicate()
        return True
