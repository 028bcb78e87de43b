"""One run per node: a ``coordination.k8s.io/v1`` Lease per target node.

The lease ``nri-cpuset-acceptance-<node>`` in namespace ``default`` names the run holding the
node (``holderIdentity`` = run id) and, in annotations, where that run comes from, when it
started and which namespaces it created. The holder renews it from a background thread
(which never logs to Robot: only the main thread may) and deletes it at the end. A lease not
renewed for ``leaseDurationSeconds`` belongs to a run that died: the next run takes it over.
"""
from __future__ import annotations

import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from kubernetes import client
from kubernetes.client.exceptions import ApiException

LEASE_NAMESPACE = "default"
LEASE_PREFIX = "nri-cpuset-acceptance-"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "nri-cpuset-acceptance"
NODE_LABEL = "nri-cpuset-acceptance/node"
ANNOTATION_NAMESPACES = "nri-cpuset-acceptance/namespaces"
ANNOTATION_STARTED = "nri-cpuset-acceptance/started"
ANNOTATION_FROM = "nri-cpuset-acceptance/from"


class NodeBusy(Exception):
    """Another live run holds the node's lease."""


@dataclass(frozen=True)
class Holder:
    """Who holds a node's lease, as the lease says."""

    run_id: str
    namespaces: str
    started: str
    origin: str
    renewed: datetime | None
    duration: int

    @property
    def expired(self) -> bool:
        if not self.run_id:
            return True
        if self.renewed is None:
            return True
        return datetime.now(timezone.utc) > self.renewed + timedelta(seconds=self.duration)

    @property
    def seconds_to_expiry(self) -> float:
        if self.renewed is None:
            return 0.0
        left = self.renewed + timedelta(seconds=self.duration) - datetime.now(timezone.utc)
        return max(0.0, left.total_seconds())

    def process_here(self) -> int | None:
        """The holder's process id when it ran on this host (its ``from`` annotation,
        ``<host> pid <n>``), else None."""
        m = re.fullmatch(r"(\S+) pid (\d+)", self.origin.strip())
        return int(m.group(2)) if m and m.group(1) == socket.gethostname() else None

    @property
    def provably_dead(self) -> bool:
        """The holder ran on this host and its process is gone (a run killed here): its lease
        can be taken over at once instead of waiting for it to expire."""
        pid = self.process_here()
        if pid is None or pid == os.getpid():
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # a process of another user has that id: alive
            return False
        return False

    def describe(self) -> str:
        age = ""
        if self.renewed is not None:
            age = f", last renewed {(datetime.now(timezone.utc) - self.renewed).total_seconds():.0f} s ago"
        return (f"run {self.run_id} (namespace {self.namespaces or 'not created yet'}, started {self.started or '?'}"
                f", from {self.origin or '?'}{age}, lease duration {self.duration} s)")


def lease_name(node: str) -> str:
    """A valid object name for ``node``'s lease."""
    name = re.sub(r"[^a-z0-9.-]", "-", f"{LEASE_PREFIX}{node}".lower())[:253]
    return name.strip("-.") or LEASE_PREFIX.rstrip("-")


def _micro_time(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def holder_of(lease: Any) -> Holder:
    spec = lease.spec
    notes = lease.metadata.annotations or {}
    renewed = spec.renew_time or spec.acquire_time
    if renewed is not None and renewed.tzinfo is None:
        renewed = renewed.replace(tzinfo=timezone.utc)
    return Holder(run_id=spec.holder_identity or "", namespaces=notes.get(ANNOTATION_NAMESPACES, ""),
                  started=notes.get(ANNOTATION_STARTED, ""), origin=notes.get(ANNOTATION_FROM, ""),
                  renewed=renewed, duration=int(spec.lease_duration_seconds or 0))


class NodeLease:
    """The lease of one node for one run."""

    def __init__(self, api_client: client.ApiClient, node: str, run_id: str, duration: int,
                 request_timeout: float = 30.0) -> None:
        self.api = client.CoordinationV1Api(api_client)
        self.node = node
        self.name = lease_name(node)
        self.run_id = run_id
        self.duration = max(1, int(duration))
        self.request_timeout = request_timeout
        self.started = _micro_time(datetime.now(timezone.utc))
        self.origin = f"{socket.gethostname()} pid {os.getpid()}"
        self.namespaces: tuple[str, ...] = ()
        #: returns the run's namespaces; read at each renewal for the lease's annotation
        self.namespaces_source: Callable[[], Any] | None = None
        self.problem = ""  # set by the renewer when the lease was lost or could not be renewed
        self.held = False
        self.taken_over_why = ""  # why the holder returned by acquire() was taken over
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- the lease object --------------------------------------------------------------------
    def _body(self, resource_version: str | None = None, transitions: int = 0) -> dict:
        now = _micro_time(datetime.now(timezone.utc))
        metadata: dict[str, Any] = {
            "name": self.name, "namespace": LEASE_NAMESPACE,
            "labels": {MANAGED_BY_LABEL: MANAGED_BY, NODE_LABEL: self.node[:63]},
            "annotations": {ANNOTATION_NAMESPACES: ",".join(self.namespaces), ANNOTATION_STARTED: self.started,
                            ANNOTATION_FROM: self.origin},
        }
        if resource_version:
            metadata["resourceVersion"] = resource_version
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": metadata,
                "spec": {"holderIdentity": self.run_id, "leaseDurationSeconds": self.duration,
                         "acquireTime": self.started, "renewTime": now, "leaseTransitions": transitions}}

    def read(self) -> Any | None:
        try:
            return self.api.read_namespaced_lease(self.name, LEASE_NAMESPACE, _request_timeout=self.request_timeout)
        except ApiException as err:
            if err.status == 404:
                return None
            raise

    def try_acquire(self) -> Holder | None:
        """Take the lease when it is free, released, expired or held by a run that is provably
        dead (``Holder.provably_dead``). None when we hold it now, else the live holder."""
        lease = self.read()
        try:
            if lease is None:
                created = self.api.create_namespaced_lease(LEASE_NAMESPACE, self._body(),
                                                           _request_timeout=self.request_timeout)
                if created.spec and created.spec.holder_identity != self.run_id:
                    return holder_of(created)  # our create's answer was lost and another run's lease is there
            else:
                holder = holder_of(lease)
                if holder.run_id != self.run_id and not holder.expired and not holder.provably_dead:
                    return holder
                transitions = int(lease.spec.lease_transitions or 0) + (holder.run_id != self.run_id)
                self.api.replace_namespaced_lease(
                    self.name, LEASE_NAMESPACE, self._body(lease.metadata.resource_version, transitions),
                    _request_timeout=self.request_timeout)
        except ApiException as err:
            if err.status == 409:  # another run was faster: look again
                lease = self.read()
                if lease is not None and holder_of(lease).run_id != self.run_id:
                    return holder_of(lease)
                return self.try_acquire()
            raise
        self.held = True
        return None

    def acquire(self, wait: float, progress: Callable[[str], None], interval: float = 5.0,
                expiry_bound: float | None = None) -> Holder | None:
        """Take the lease, waiting up to ``wait`` seconds for a live holder to finish.

        A holder that is provably dead (it ran on this host and its process is gone) is taken
        over at once. Any other holder may be a run killed elsewhere: while it does not renew
        its lease, this waits for the lease to expire when that is at most ``expiry_bound``
        seconds away (default twice this run's lease duration, at least 60 s), saying so; a
        holder seen renewing is alive and blocks (``wait``, then NodeBusy). Returns the holder
        taken over (expired or dead; None if the lease was free); raises NodeBusy."""
        bound = max(60.0, 2.0 * self.duration) if expiry_bound is None else expiry_bound
        previous = self.read()
        before = holder_of(previous) if previous is not None and holder_of(previous).run_id else None
        deadline = time.monotonic() + wait
        next_report = 0.0
        watched: Holder | None = None  # the holder as first seen: has it renewed since?
        expiry_deadline = 0.0
        while True:
            holder = self.try_acquire()
            if holder is None:
                if before is not None and before.run_id != self.run_id and (before.expired or before.provably_dead):
                    self.taken_over_why = ("its process is gone" if not before.expired else "its lease expired")
                    return before
                return None
            now = time.monotonic()
            if watched is None or watched.run_id != holder.run_id:
                watched, before = holder, holder
                to_expiry = holder.seconds_to_expiry
                expiry_deadline = now + to_expiry + 1.0 if to_expiry <= bound else 0.0
            elif holder.renewed != watched.renewed:
                expiry_deadline = 0.0  # it renewed its lease: a live run
            if expiry_deadline > deadline and now < expiry_deadline:
                if now >= next_report:
                    progress(f"waiting for node {self.node}: held by {holder.describe()}, not renewed since this "
                             f"run started looking; its lease expires in {holder.seconds_to_expiry:.0f} s (a live "
                             "run renews it before that, and then holds the node)")
                    next_report = now + interval
                self._stop.wait(min(1.0, max(0.05, expiry_deadline - now)))
                continue
            if now >= deadline:
                waited = f" after waiting {wait:g} s" if wait > 0 else ""
                raise NodeBusy(
                    f"node {self.node} is held by another test run{waited}: {holder.describe()} "
                    f"(lease {LEASE_NAMESPACE}/{self.name}). Wait for it to finish, give -v LEASE_WAIT:<time> to "
                    f"wait for it, or, if that run is dead, its lease expires {holder.duration} s after its last "
                    "renewal and the next run takes the node over")
            if now >= next_report:
                progress(f"waiting for node {self.node}: held by {holder.describe()}; "
                         f"{deadline - now:.0f} s left")
                next_report = now + interval
            self._stop.wait(min(1.0, max(0.05, deadline - now)))

    # -- renewal -----------------------------------------------------------------------------
    def set_namespaces(self, names: tuple[str, ...]) -> None:
        with self._lock:
            self.namespaces = tuple(sorted(names))

    def renew(self) -> None:
        if self.namespaces_source is not None:
            try:
                self.set_namespaces(tuple(self.namespaces_source()))
            except RuntimeError:  # the set changed while copied: next renewal
                pass
        for _ in range(3):  # a conflict: our own earlier write whose answer was lost, or another writer
            lease = self.read()
            if lease is None or holder_of(lease).run_id != self.run_id:
                holder = holder_of(lease).describe() if lease is not None else "nobody (deleted)"
                self.problem = f"lost the lease of node {self.node}: it is now held by {holder}"
                self.held = False
                return
            with self._lock:
                body = self._body(lease.metadata.resource_version, int(lease.spec.lease_transitions or 0))
            try:
                self.api.replace_namespaced_lease(self.name, LEASE_NAMESPACE, body,
                                                  _request_timeout=self.request_timeout)
                return
            except ApiException as err:
                if err.status != 409:
                    raise

    def start_renewing(self) -> None:
        interval = max(0.2, self.duration / 3)

        def loop() -> None:
            failures = 0
            while not self._stop.wait(interval) and self.held:
                try:
                    self.renew()
                    failures = 0
                except Exception as err:  # noqa: BLE001 - reported by the main thread
                    failures += 1
                    if failures >= 2:  # one failed renewal leaves two thirds of the lease: not yet a problem
                        self.problem = f"renewing the lease of node {self.node} failed {failures} times in a row: {err}"

        self._thread = threading.Thread(target=loop, name=f"lease {self.name}", daemon=True)
        self._thread.start()

    def release(self) -> None:
        """Stop renewing and delete the lease if we still hold it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.request_timeout)
        if not self.held:
            return
        self.held = False
        lease = self.read()
        if lease is not None and holder_of(lease).run_id == self.run_id:
            try:
                self.api.delete_namespaced_lease(self.name, LEASE_NAMESPACE, _request_timeout=self.request_timeout)
            except ApiException as err:
                if err.status != 404:
                    raise
