"""The plugin at HEAD (``645b11f``): state, admission, release, Synchronize, and its log lines.

Where the plugin walks a Go map (reserved lists, per-CPU state dumps, which conflicting
container is planned first, the order of the state checks and refresh updates) the model
walks through ``self.map_order``: ascending CPUs / first-encounter order by default, so runs
are reproducible, or a seeded shuffle (see :mod:`.maporder`).

Lists are logged in the order upstream prints them: a slice printed with ``%v`` before
``numa.FormatCPUList`` or ``formatCPUListCommaSeparated`` ran on it keeps its order; both
sort their argument in place, so a slice printed or recorded after them is ascending.

Subclasses change one behaviour each by overriding a small hook (see ``defects.py`` and
``prefix.py``); the hooks are the methods starting with ``_`` documented as "hook".
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

from .allocator import AllocationError, ExclusiveAllocator
from .classification import (
    ANNOTATED,
    CORES_ANNOTATION,
    INTEGER,
    INVALID_ANNOTATED,
    INVALID_INTEGER,
    SHARED,
    determine_mode,
    forbidden_cpus,
    integer_cpu_count,
)
from .cpulist import CpuListError, format_comma, format_ranges, go_slice, parse_and_validate, parse_cpu_list
from .interface import (
    Adjustment,
    ContainerInfo,
    ContainerUpdate,
    PluginError,
    PluginModel,
    Runtime,
)
from .state import Record, StateSnapshot, short_id

PLUGIN_NAME = "weka-cpuset"
#: the background queue: a 100-slot channel plus the request the worker is processing
QUEUE_CAPACITY = 101
OP_REALLOCATION = "annotated container reallocation"
OP_SHARED_REFRESH = "debounced shared pool update"


class HeadModel(PluginModel):
    """Current upstream behaviour (FIX + "avoid copying lock")."""

    name = "head"

    def __init__(self, topology, log: Callable[[str], None], runtime: Runtime) -> None:
        super().__init__(topology, log, runtime)
        self.allocator = ExclusiveAllocator(topology, log)
        self.annot_ref: dict[int, int] = {}
        self.int_owner: dict[int, str] = {}
        self.by_cid: dict[str, Record] = {}
        self.synchronized = False
        self._refresh_pending = False
        self._refresh_timer_armed = False
        self._queued_requests = 0

    # ------------------------------------------------------------------ read-only views

    def snapshot(self) -> StateSnapshot:
        return StateSnapshot(
            annot_ref=dict(self.annot_ref),
            int_owner=dict(self.int_owner),
            by_cid={cid: (rec.mode, tuple(rec.cpus)) for cid, rec in self.by_cid.items()},
        )

    def annotated_cpus(self) -> set[int]:
        """Hook: CPUs the plugin treats as annotated (annotRef keys)."""
        return set(self.annot_ref)

    def reserved_cpus(self) -> set[int]:
        """annotRef ∪ intOwner."""
        return self.annotated_cpus() | set(self.int_owner)

    def shared_pool(self) -> list[int]:
        """``computeSharedPool``: online − annotated − integer (no forbidden CPUs)."""
        reserved = self.reserved_cpus()
        return [cpu for cpu in self.topology.online if cpu not in reserved]

    # ------------------------------------------------------------------ simple hooks

    def configure(self, runtime_name: str, runtime_version: str) -> None:
        self.log(f"{PLUGIN_NAME} plugin configured (runtime: {runtime_name}, version: {runtime_version})")

    def run_pod_sandbox(self, namespace: str, name: str) -> None:
        self.log(f"Pod sandbox starting: {namespace}/{name}")

    def create_container(self, container: ContainerInfo) -> Adjustment:
        mode = determine_mode(container)
        self.log(
            f"DEBUG: CreateContainer called for {mode} container "
            f"{container.pod_namespace}/{container.pod_name} (container {short_id(container.container_id)})"
        )
        if mode == ANNOTATED:
            return self._create_annotated(container)
        if mode == INTEGER:
            return self._create_integer(container)
        return self._create_shared(container)

    def update_container(self, container: ContainerInfo) -> ContainerUpdate | None:
        sid = short_id(container.container_id)
        self.log(
            f"DEBUG: UpdateContainer called for container {sid} in pod "
            f"{container.pod_namespace}/{container.pod_name}"
        )
        rec = self.by_cid.get(container.container_id)
        if rec is None:
            self.log(f"DEBUG: StatelessUpdateContainer called for unknown container {sid}")
            self.log(f"DEBUG: Container {sid} not managed, letting NRI handle")
            return None
        cpus = format_comma(rec.cpus) if rec.mode == ANNOTATED else format_ranges(rec.cpus)
        self.log(
            f"DEBUG: StatelessUpdateContainer returning CPU assignment {cpus} for container {sid} "
            f"(mode: {rec.mode})"
        )
        self.log(f"DEBUG: Returning CPU assignment {cpus} for managed container {sid}")
        return ContainerUpdate(container_id=container.container_id, cpus=cpus)

    # ------------------------------------------------------------------ shared helpers

    def _wait_for_synchronization(self) -> None:
        if not self.synchronized:
            raise RuntimeError(
                f"{self.name}: CreateContainer before Synchronize; the runtime must call "
                "configure() then synchronize() first (the real plugin blocks here)"
            )
        self.log("DEBUG: Initial synchronization confirmed - proceeding with operation")

    def _integer_reserved_logged(self) -> list[int]:
        cpus = self.map_order.walk_sorted(self.int_owner)
        self.log(
            f"DEBUG: getIntegerReservedCPUsUnsafe() returning {go_slice(cpus)}, "
            f"intOwner map has {len(self.int_owner)} entries"
        )
        return cpus

    def _mems_for(self, cpus: Sequence[int]) -> str:
        """Hook: NUMA node(s) of annotated CPUs, range format; "" for no CPUs (mems unchanged)."""
        nodes = sorted({self.topology.numa_node(cpu) for cpu in cpus})
        return format_ranges(nodes)

    def _log_cached(self, sid: str, cpus: str) -> None:
        self.log(f"DEBUG: Updated cached containers after successful allocation for {sid} with CPUs: {cpus}")

    def _record_annotated(self, container: ContainerInfo, cpus: list[int]) -> None:
        self.by_cid[container.container_id] = Record(
            container.container_id, ANNOTATED, list(cpus), container.sandbox_id, container.pod_uid
        )
        for cpu in cpus:
            self.annot_ref[cpu] = self.annot_ref.get(cpu, 0) + 1
        self.log(f"DEBUG: Recorded annotated container {short_id(container.container_id)} with CPUs {go_slice(cpus)}")

    def _queue_background(
        self,
        updates: Sequence[ContainerUpdate],
        operation: str,
        callback: Callable[[bool], None] | None = None,
    ) -> None:
        """``queueBackgroundUpdateWithCallback`` + the worker: one runtime UpdateContainers call.

        The per-container failed list is ignored, as the plugin ignores it.
        """
        if not updates:
            if callback is not None:
                callback(True)
            return
        if self._queued_requests >= QUEUE_CAPACITY:
            self.log(f"WARNING: Update queue full, discarding {len(updates)} updates for {operation}")
            if callback is not None:
                callback(False)
            return
        self._queued_requests += 1
        count = len(updates)
        self.log(f"Queued {count} container updates for background processing ({operation})")

        def done(_failed: list[str]) -> None:
            self._queued_requests -= 1
            self.log(f"Processing {count} background container updates for {operation}")
            self.log(f"Successfully applied {count} background updates for {operation}")
            if callback is not None:
                callback(True)

        self.runtime.update_containers(list(updates), on_done=done)

    # ------------------------------------------------------------------ annotated

    def _annotated_grant(self, container: ContainerInfo, cpus: list[int]) -> list[int]:
        """Hook: the CPUs granted on the direct path (the annotation itself)."""
        return cpus

    def _annotated_cpus_or_refuse(self, value: str, log_invalid: Callable[[str], None]) -> list[int]:
        """Hook: the annotation's CPUs, or a PluginError with the plugin's message (logged first)."""
        try:
            return parse_and_validate(value, self.topology.online)
        except CpuListError as err:
            message = f"invalid CPU list in annotation '{value}': {err}"
            log_invalid(message)
            raise PluginError(message) from None

    def _log_annotation_returned(self, cpus: list[int], value: str) -> None:
        self.log(
            f"DEBUG: HandleAnnotatedContainerWithIntegerConflictCheck returning CPUs: {go_slice(cpus)} "
            f"for annotation: {value}"
        )

    def _create_annotated(self, container: ContainerInfo) -> Adjustment:
        sid = short_id(container.container_id)
        self.log(f"DEBUG: Handling annotated container {sid} with synchronized architecture")
        self._wait_for_synchronization()
        self.log(f"DEBUG: AllocateAnnotated acquired global lock for container {sid}")
        int_reserved = self._integer_reserved_logged()
        self.log(
            f"DEBUG: Memory state - integer reserved: {go_slice(int_reserved)}, "
            f"annotated reserved: {go_slice(self.map_order.walk_sorted(self.annotated_cpus()))}"
        )
        value = container.pod_annotations[CORES_ANNOTATION]

        def log_invalid(message: str) -> None:
            self.log(f"DEBUG: Invalid annotation for annotated container {sid}: {message}")
            self.log(f"DEBUG: Stateless annotated allocation failed for container {sid}: {message}")

        cpus = self._annotated_cpus_or_refuse(value, log_invalid)
        conflict = next((cpu for cpu in cpus if cpu in self.int_owner), None)
        if conflict is not None:
            return self._create_annotated_with_conflict(container, value, conflict)
        self._log_annotation_returned(cpus, value)
        self.log(f"DEBUG: No conflicts for annotated container {sid}, recording atomically")
        granted = sorted(self._annotated_grant(container, cpus))
        cpu_text = format_comma(granted)
        self.log(
            f"DEBUG: createAnnotatedAdjustment received CPUs: {go_slice(granted)}, "
            f"formatted as: {cpu_text} (comma-separated)"
        )
        self._record_annotated(container, granted)
        self._log_cached(sid, cpu_text)
        self.log(f"DEBUG: Successfully handled annotated container {sid}")
        return Adjustment(cpus=cpu_text, mems=self._mems_for(granted))

    def _plan_reallocation(
        self, requested: list[int]
    ) -> tuple[list[tuple[str, list[int], list[int]]], str | None]:
        """``calculateReallocationPlan``: (plans [(id, old, new)], failed container id or None)."""
        conflicting: dict[str, Record] = {}
        for cpu in requested:
            owner = self.int_owner.get(cpu)
            rec = self.by_cid.get(owner) if owner is not None else None
            if rec is not None and rec.mode == INTEGER:
                conflicting[owner] = rec
                self.log(f"DEBUG: Found conflicting integer container {short_id(owner)} on CPU {cpu}")
        if not conflicting:
            self.log(
                f"DEBUG: No conflicting containers found for requested CPUs {go_slice(requested)} "
                "- direct allocation possible"
            )
            return [], None
        self.log(f"DEBUG: Found {len(conflicting)} conflicting containers for reallocation")
        all_reserved = self.reserved_cpus()
        plans: list[tuple[str, list[int], list[int]]] = []
        requested_set = set(requested)
        for owner in self.map_order.walk(conflicting):
            rec = conflicting[owner]
            reserved = (all_reserved - set(rec.cpus)) | requested_set
            try:
                new = self._reallocation_cpus(len(rec.cpus), reserved)
            except AllocationError:
                return plans, owner
            plans.append((owner, list(rec.cpus), new))
            all_reserved = (all_reserved - set(rec.cpus)) | set(new)
        return plans, None

    def _reallocation_cpus(self, count: int, reserved: set[int]) -> list[int]:
        """Hook: the new CPUs of an integer container moved off annotated CPUs (§2.4 step 3:
        the sibling-aware allocation for its whole count)."""
        return self.allocator.allocate(count, self.map_order.walk_sorted(reserved))

    def _create_annotated_with_conflict(
        self, container: ContainerInfo, value: str, conflict: int
    ) -> Adjustment:
        """Hook: §2.4 step 3, live reallocation with optimistic state (HEAD)."""
        sid = short_id(container.container_id)
        self.log(
            f"DEBUG: Conflicts detected for annotated container {sid}, attempting reallocation: "
            f"CPU {conflict} is reserved by an integer container"
        )
        requested = parse_cpu_list(value)  # annotation order until formatted below
        plans, failed = self._plan_reallocation(requested)
        if failed is not None:
            cause = f"cannot reallocate integer container {failed}"
            self.log(f"DEBUG: Reallocation planning failed: {cause}")
            message = f"cannot reallocate conflicting containers: {cause}"
            self.log(f"DEBUG: Stateless annotated allocation failed for container {sid}: {message}")
            raise PluginError(message)
        cpu_text = format_comma(requested) if plans else format_ranges(requested)
        requested = sorted(requested)  # both formatters sort the slice in place
        updates = [ContainerUpdate(owner, format_ranges(new)) for owner, _old, new in plans]
        for owner, old, _new in plans:
            for cpu in old:
                if self.int_owner.get(cpu) == owner:
                    del self.int_owner[cpu]
        for owner, _old, new in plans:
            rec = self.by_cid.get(owner)
            if rec is not None:
                rec.cpus = sorted(new)  # FormatCPUList of the update sorted the plan's slice
                for cpu in new:
                    self.int_owner[cpu] = owner
        self._record_annotated(container, requested)
        self.log(f"DEBUG: Successfully planned reallocation of {len(plans)} containers for annotated container {sid}")
        self._log_cached(sid, cpu_text)
        if updates:
            self.log(f"DEBUG: Queuing {len(updates)} reallocation updates for annotated container {sid}")
            self._queue_background(updates, OP_REALLOCATION)
        self.log(f"DEBUG: Successfully handled annotated container {sid}")
        return Adjustment(cpus=cpu_text)

    # ------------------------------------------------------------------ integer

    def _integer_count(self, container: ContainerInfo) -> int:
        """Hook: how many CPUs an integer container gets."""
        return integer_cpu_count(container)

    def _finalize_integer_cpus(self, container: ContainerInfo, cpus: list[int]) -> list[int]:
        """Hook: last chance to change the chosen CPUs (after the double check)."""
        return cpus

    def _create_integer(self, container: ContainerInfo) -> Adjustment:
        cid = container.container_id
        sid = short_id(cid)
        self.log(f"DEBUG: Handling integer container {sid} with synchronized architecture")
        forbidden = self._forbidden(container)
        self.log(f"DEBUG: Integer container {sid} - forbidden CPUs from annotation: {go_slice(forbidden)}")
        self._wait_for_synchronization()
        self.log(f"DEBUG: AllocateInteger acquired global lock for container {sid}")
        self.log(
            f"DEBUG: AllocateInteger ENTRY STATE - intOwner has {len(self.int_owner)} entries, "
            f"annotRef has {len(self.annot_ref)} entries, byCID has {len(self.by_cid)} entries"
        )
        for cpu in self.map_order.walk_sorted(self.int_owner):
            self.log(f"DEBUG: AllocateInteger ENTRY STATE - CPU {cpu} owned by {short_id(self.int_owner[cpu])}")
        annotated = self.map_order.walk_sorted(self.annotated_cpus())
        self.log(
            f"DEBUG: Memory state - reserved: {go_slice(self.map_order.walk_sorted(self.reserved_cpus()))}, "
            f"annotated: {go_slice(annotated)}, forbidden: {go_slice(forbidden)}"
        )
        unavailable = self.map_order.walk_sorted(self.reserved_cpus() | set(forbidden))
        try:
            cpus = self.allocator.allocate(self._integer_count(container), unavailable)
        except AllocationError as err:
            overlap = [cpu for cpu in forbidden if cpu in set(annotated)]
            if annotated and overlap:
                message = (
                    "integer container allocation rejected: conflicts with annotated containers "
                    f"on CPUs {go_slice(overlap)}"
                )
            else:
                cause = f"failed to allocate exclusive CPUs (avoiding forbidden cores): {err}"
                self.log(f"DEBUG: Integer allocation failed for container {sid}: {cause}")
                message = f"failed to allocate CPUs: {cause}"
            self.log(f"DEBUG: Stateless integer allocation failed for container {sid}: {message}")
            raise PluginError(message) from None
        self._double_check(sid, cpus)
        cpus = self._finalize_integer_cpus(container, cpus)
        self.by_cid[cid] = Record(cid, INTEGER, list(cpus), container.sandbox_id, container.pod_uid)
        for cpu in cpus:
            self.int_owner[cpu] = cid
            self.log(f"DEBUG: StatelessAllocateInteger - assigned CPU {cpu} to container {sid}")
        self.log(f"DEBUG: StatelessAllocateInteger - recorded container {sid} in state with CPUs {go_slice(cpus)}")
        cpu_text = format_ranges(cpus)
        cpus.sort()  # FormatCPUList sorted the recorded slice in place
        self.by_cid[cid].cpus = list(cpus)
        self.log(f"DEBUG: Successfully allocated integer container {sid} with CPUs {go_slice(cpus)}")
        self.log("DEBUG: TRUE STATELESS - allocation recorded by NRI, will be discovered in next query")
        self._log_cached(sid, cpu_text)
        self.log(f"DEBUG: Successfully allocated integer container {sid} with CPUs: {go_slice(sorted(cpus))}")
        return Adjustment(cpus=cpu_text)

    def _double_check(self, sid: str, cpus: list[int]) -> None:
        """Defensive check of AllocateInteger (unreachable unless the state is inconsistent)."""
        conflicts: list[int] = []
        owners: list[str] = []
        for cpu in cpus:
            owner = self.int_owner.get(cpu)
            if owner:
                conflicts.append(cpu)
                owners.append(short_id(owner))
            if cpu in self.annot_ref:
                self.log(f"ERROR: Integer container {sid} attempted to allocate annotated CPU {cpu}")
                conflicts.append(cpu)
        if conflicts:
            message = (
                f"CPU conflict detected during integer allocation: CPUs {go_slice(conflicts)} "
                f"already owned by {go_slice(owners)}"
            )
            self.log(f"DEBUG: Stateless integer allocation failed for container {sid}: {message}")
            raise PluginError(message)

    # ------------------------------------------------------------------ shared

    def _forbidden(self, container: ContainerInfo) -> list[int]:
        """Hook: ``GetForbiddenCPUs`` of the pod (integer and shared admission)."""
        return forbidden_cpus(container.pod_annotations, self.log)

    def _shared_reserved(self) -> set[int]:
        """Hook: the CPUs a new shared container must not get (annotRef ∪ intOwner)."""
        return self.reserved_cpus()

    def _create_shared(self, container: ContainerInfo) -> Adjustment:
        forbidden = set(self._forbidden(container))
        reserved = self._shared_reserved() | forbidden
        pool = [cpu for cpu in self.topology.online if cpu not in reserved]
        if not pool:
            raise PluginError("shared CPU pool is empty")
        return Adjustment(cpus=format_ranges(pool))

    # ------------------------------------------------------------------ remove

    def remove_container(self, container: ContainerInfo) -> None:
        cid = container.container_id
        sid = short_id(cid)
        self.log(f"Removing container {container.name} from pod {container.pod_namespace}/{container.pod_name}")
        self.log(f"DEBUG: RemoveContainer() acquired global allocation lock for container {sid}")
        rec = self.by_cid.get(cid)
        if rec is None:
            self.log(f"DEBUG: RemoveContainer called for unknown container {sid} (not in state)")
        else:
            self.log(
                f"DEBUG: RemoveContainer {sid} mode={rec.mode} CPUs={go_slice(rec.cpus)} (before removal: "
                f"intOwner={len(self.int_owner)} entries, annotRef={len(self.annot_ref)} entries)"
            )
            self._release(rec)
            del self.by_cid[cid]
            self.log(
                f"DEBUG: RemoveContainer {sid} complete (after removal: intOwner={len(self.int_owner)} "
                f"entries, annotRef={len(self.annot_ref)} entries)"
            )
            self._validate_state_consistency()
            self._schedule_shared_refresh()
        self.log("DEBUG: RemoveContainer() completed successfully, releasing global allocation lock")

    def _release(self, rec: Record) -> None:
        """Hook: drop a removed container's reservations."""
        sid = short_id(rec.container_id)
        if rec.mode == ANNOTATED:
            self._release_annotated(rec)
        elif rec.mode == INTEGER:
            for cpu in rec.cpus:
                owner = self.int_owner.get(cpu, "")
                if owner != rec.container_id:
                    self.log(
                        f"WARNING: CPU {cpu} ownership mismatch during removal - expected {sid}, "
                        f"found {short_id(owner)}"
                    )
                self.int_owner.pop(cpu, None)
                self.log(f"DEBUG: Released integer CPU {cpu} from container {sid}")
        elif rec.mode in (INVALID_ANNOTATED, INVALID_INTEGER):
            self.log(f"DEBUG: Removing invalid container {sid} (mode: {rec.mode})")

    def _release_annotated(self, rec: Record) -> None:
        """Hook: decrement the refcounts of an annotated container."""
        sid = short_id(rec.container_id)
        for cpu in rec.cpus:
            count = self.annot_ref.get(cpu, 0)
            if count > 1:
                self.annot_ref[cpu] = count - 1
                self.log(f"DEBUG: Decremented annotation count for CPU {cpu} to {count - 1}")
            else:
                self.annot_ref.pop(cpu, None)
                self.log(f"DEBUG: Released annotated CPU {cpu} from container {sid}")

    def _validate_state_consistency(self) -> None:
        orphaned_owners = 0
        for cpu in self.map_order.walk_sorted(self.int_owner):
            owner = self.int_owner[cpu]
            info = self.by_cid.get(owner)
            if info is None:
                self.log(f"WARNING: State corruption - CPU {cpu} owned by missing container {short_id(owner)}")
                orphaned_owners += 1
            elif info.mode != INTEGER:
                self.log(
                    f"WARNING: State corruption - CPU {cpu} owned by non-integer container "
                    f"{short_id(owner)} (mode={info.mode})"
                )
        ownership: dict[int, int] = {}
        annotated_owned: set[int] = set()
        for info in self.map_order.walk(self.by_cid.values()):
            if info.mode == INTEGER:
                for cpu in info.cpus:
                    ownership[cpu] = ownership.get(cpu, 0) + 1
                    if ownership[cpu] > 1:
                        self.log(
                            f"ERROR: State corruption - CPU {cpu} assigned to multiple integer "
                            "containers (conflict detected)"
                        )
            elif info.mode == ANNOTATED:
                annotated_owned.update(info.cpus)
        orphaned_annotations = 0
        for cpu in self.map_order.walk_sorted(self.annot_ref):
            if cpu not in annotated_owned:
                self.log(
                    f"WARNING: State corruption - CPU {cpu} has annotation count {self.annot_ref[cpu]} "
                    "but no annotated container"
                )
                orphaned_annotations += 1
        if orphaned_owners or orphaned_annotations:
            self.log(
                f"ERROR: State corruption detected - {orphaned_owners} orphaned owners, "
                f"{orphaned_annotations} orphaned annotations"
            )

    def _schedule_shared_refresh(self) -> None:
        """The 500 ms debounce, modelled on the runtime's queue.

        The first tracked removal of a burst queues an empty UpdateContainers request that acts
        as the timer: it completes after the hook returns and after NRI requests already waiting,
        so every removal of the burst lands first. When it completes, one refresh of the
        ``byCID`` shared entries (global pool, no forbidden CPUs) is queued.
        """
        self._refresh_pending = True
        if self._refresh_timer_armed:
            return
        self._refresh_timer_armed = True
        self.runtime.update_containers([], on_done=lambda _failed: self._fire_shared_refresh())

    def _fire_shared_refresh(self) -> None:
        self._refresh_timer_armed = False
        self.log("DEBUG: scheduleSharedPoolUpdate timer fired, acquiring locks")
        self.log("DEBUG: scheduleSharedPoolUpdate acquired locks")
        if not self._refresh_pending:
            self.log("DEBUG: scheduleSharedPoolUpdate update not pending, releasing lock")
            return
        pool = self.shared_pool()
        updates: list[ContainerUpdate] = []
        for rec in self.map_order.walk(self.by_cid.values()):
            if rec.mode == SHARED and pool:
                updates.append(ContainerUpdate(rec.container_id, format_ranges(pool)))
                rec.cpus = list(pool)
        self._refresh_pending = False
        self.log("DEBUG: scheduleSharedPoolUpdate releasing lock before callback")
        if updates:
            self.log(f"DEBUG: scheduleSharedPoolUpdate calling callback with {len(updates)} updates")
            self._queue_background(updates, OP_SHARED_REFRESH)
            self.log("DEBUG: scheduleSharedPoolUpdate callback completed")
        else:
            self.log("DEBUG: scheduleSharedPoolUpdate no callback to call")

    # ------------------------------------------------------------------ synchronize

    def synchronize(self, containers: Sequence[ContainerInfo]) -> list[ContainerUpdate]:
        pods = {c.sandbox_id for c in containers if c.sandbox_id}
        self.log(f"Synchronizing state with {len(pods)} pods and {len(containers)} containers")
        self.log("DEBUG: Synchronize() acquired global allocation lock")
        stopped = sum(1 for c in containers if c.exited)
        if stopped:
            self.log(f"Synchronizing: filtering out {stopped} stopped containers from {len(containers)} total")
        self.log(
            f"CRITICAL DEBUG: Synchronize() CLEARING STATE - before clear: intOwner={len(self.int_owner)} "
            f"entries, annotRef={len(self.annot_ref)} entries, byCID={len(self.by_cid)} entries"
        )
        for cpu in self.map_order.walk_sorted(self.int_owner):
            self.log(
                f"CRITICAL DEBUG: Synchronize() CLEARING intOwner - CPU {cpu} was owned by "
                f"{short_id(self.int_owner[cpu])}"
            )
        self._clear_state()
        self.log(
            "CRITICAL DEBUG: Synchronize() STATE CLEARED - now: intOwner=0 entries, annotRef=0 entries, "
            "byCID=0 entries"
        )
        by_mode: dict[str, list[ContainerInfo]] = {ANNOTATED: [], INTEGER: [], SHARED: []}
        for c in self.map_order.walk(containers):  # containerd lists its containers from a map
            if not c.sandbox_id:
                self.log("Warning: Skipping nil container or container with empty PodSandboxId")
                continue
            if c.exited:
                self.log(f"Skipping stopped container {short_id(c.container_id)}")
                continue
            by_mode[determine_mode(c)].append(c)
        updates: list[ContainerUpdate] = []
        skipped: list[str] = []
        self._sync_annotated(by_mode[ANNOTATED], updates, skipped)
        if skipped:
            self.log(f"State synchronization completed with {len(skipped)} skipped containers: {go_slice(skipped)}")
        self._sync_integer(by_mode[INTEGER], updates, skipped)
        self._sync_shared(by_mode[SHARED], updates)
        self.synchronized = True
        self._log_sync_done()
        return updates

    def _log_sync_done(self) -> None:
        """The end-of-sync lines (added upstream with the FIX commit)."""
        self.log("DEBUG: Synchronize() completed - state manager now synchronized")
        self.log("DEBUG: Synchronize() completed successfully, releasing global allocation lock")

    def _clear_state(self) -> None:
        """Hook: forget everything (subclasses also drop their own pending data)."""
        self.annot_ref = {}
        self.int_owner = {}
        self.by_cid = {}

    def _sync_annotated(
        self, containers: Iterable[ContainerInfo], updates: list[ContainerUpdate], skipped: list[str]
    ) -> None:
        for c in containers:
            value = c.pod_annotations.get(CORES_ANNOTATION, "")
            try:
                cpus = parse_and_validate(value, self.topology.online)
                cause = None
            except CpuListError as err:
                cause = f"invalid CPU list in annotation '{value}': {err}"
            if cause is None:
                conflict = next((cpu for cpu in cpus if cpu in self.int_owner), None)
                if conflict is not None:  # unreachable: integer containers are synced later
                    cause = f"CPU {conflict} is reserved by an integer container"
            if cause is not None:
                self.log(
                    f"Warning: Skipping annotated container {c.container_id} (pod {c.pod_namespace}/"
                    f"{c.pod_name}) due to invalid CPU annotation '{value}': {cause}"
                )
                self.by_cid[c.container_id] = Record(c.container_id, INVALID_ANNOTATED, [], c.sandbox_id, c.pod_uid)
                skipped.append(c.container_id)
                continue
            self.log(
                f"DEBUG: HandleAnnotatedContainerWithIntegerConflictCheck returning CPUs: {go_slice(cpus)} "
                f"for annotation: {value}"
            )
            rec = Record(c.container_id, ANNOTATED, list(cpus), c.sandbox_id, c.pod_uid)
            self.by_cid[c.container_id] = rec
            for cpu in cpus:
                self.annot_ref[cpu] = self.annot_ref.get(cpu, 0) + 1
            if cpus:
                cpus = sorted(cpus)  # FormatCPUList of the update sorts the recorded slice
                rec.cpus = list(cpus)
                updates.append(ContainerUpdate(c.container_id, format_ranges(cpus), self._mems_for(cpus)))
                self.log(
                    f"DEBUG: Adding CPU restriction update for annotated container "
                    f"{short_id(c.container_id)}: {go_slice(cpus)}"
                )

    def _sync_integer(
        self, containers: Iterable[ContainerInfo], updates: list[ContainerUpdate], skipped: list[str]
    ) -> None:
        """Hook: Synchronize phase 2."""
        online = set(self.topology.online)
        for c in containers:
            cid = c.container_id
            expected = integer_cpu_count(c)
            if c.current_cpus != "":
                try:
                    current = parse_cpu_list(c.current_cpus)
                except CpuListError as err:
                    self.log(
                        f"Warning: Skipping integer container {cid} (pod {c.pod_namespace}/{c.pod_name}) due to "
                        f"invalid CPU assignment '{c.current_cpus}': {err}"
                    )
                    self.log(f"DEBUG: Skipping problematic container {cid} during sync to avoid state corruption")
                    skipped.append(cid)
                    continue
                offline = [cpu for cpu in current if cpu not in online]
                if offline:
                    self.log(
                        f"Warning: Integer container {cid} has invalid CPU assignments {go_slice(offline)} "
                        "(not online), skipping"
                    )
                    self.by_cid[cid] = Record(cid, INVALID_INTEGER, [], c.sandbox_id, c.pod_uid)
                    skipped.append(cid)
                    continue
                if expected > 0 and len(current) > expected * 4:
                    self.log(
                        f"DEBUG: Skipping container {cid}: has {len(current)} CPUs but expected ~{expected} "
                        "(likely system container)"
                    )
                    continue
                self.log(
                    f"DEBUG: Synchronizing integer container {cid} with existing CPUs {go_slice(current)} "
                    f"(expected ~{expected} CPUs)"
                )
            else:
                self.log(f"DEBUG: Cannot discover existing CPUs for integer container {cid}, fallback to allocation")
                try:
                    current = self.allocator.allocate(expected, self.map_order.walk_sorted(self.reserved_cpus()))
                except AllocationError as err:
                    self.log(f"Error allocating CPUs for integer container {cid}: failed to allocate exclusive CPUs: {err}")
                    continue
            rec = Record(cid, INTEGER, list(current), c.sandbox_id, c.pod_uid)
            self.by_cid[cid] = rec
            annotated = self.annotated_cpus()
            conflict_free = [cpu for cpu in current if cpu not in annotated]
            final = current
            if len(conflict_free) != len(current):
                for cpu in current:
                    if cpu in annotated:
                        self.log(
                            f"WARNING: CPU {cpu} conflict detected - integer container {cid} conflicts with "
                            "annotated containers during sync"
                        )
                self.log(
                    f"DEBUG: Integer container {cid} has {len(current) - len(conflict_free)} CPU conflicts, "
                    "attempting reallocation during sync"
                )
                reserved = annotated | {cpu for cpu, owner in self.int_owner.items() if owner != cid}
                try:
                    final = self.allocator.allocate(expected, self.map_order.walk_sorted(reserved))
                    self.log(
                        f"DEBUG: Successfully reallocated integer container {cid} from {go_slice(current)} to "
                        f"{go_slice(final)} during sync"
                    )
                except AllocationError as err:
                    self.log(
                        f"ERROR: Failed to reallocate integer container {cid} during sync: "
                        f"failed to allocate exclusive CPUs: {err}"
                    )
                    final = conflict_free
            for cpu in final:
                self.int_owner[cpu] = cid
            rec.cpus = list(final)
            if final:
                updates.append(ContainerUpdate(cid, format_ranges(final)))
                final = sorted(final)  # FormatCPUList sorted the recorded slice in place
                rec.cpus = list(final)
                self.log(f"DEBUG: Adding CPU restriction update for integer container {short_id(cid)}: {go_slice(final)}")

    def _sync_shared(self, containers: Iterable[ContainerInfo], updates: list[ContainerUpdate]) -> None:
        pool = self.shared_pool()
        for c in containers:
            self.by_cid[c.container_id] = Record(c.container_id, SHARED, list(pool), c.sandbox_id, c.pod_uid)
            if pool:
                updates.append(ContainerUpdate(c.container_id, format_ranges(pool)))
