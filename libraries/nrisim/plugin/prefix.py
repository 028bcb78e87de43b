"""The plugin before "fix: better state management" (PRE, ``7132bc2``).

The defect modelled (plugin-behaviour.md §6.2 item 1): live-reallocation bookkeeping is
deferred. An annotated container is recorded at once, but the moved integer container's
``intOwner``/``byCID`` entries change only when the background UpdateContainers completes,
and the plan waits in a single slot. A second conflicting annotated admission before that
overwrites the slot, so the first plan is lost: ``intOwner`` keeps the old CPUs (phantom
owner) and the container's real new CPUs look free (a later integer container can get them).

Admission, removal and UpdateContainer use PRE's messages and log lines; Synchronize and the
allocator's CPU choices are HEAD's (PRE chose CPUs without CPU-0 avoidance; counts are equal).
"""
from __future__ import annotations

from .allocator import AllocationError, ExclusiveAllocator
from .classification import (
    ANNOTATED,
    CORES_ANNOTATION,
    INTEGER,
    INVALID_ANNOTATED,
    INVALID_INTEGER,
    determine_mode,
    forbidden_cpus,
)
from .cpulist import format_comma, format_ranges, go_slice, parse_and_validate, parse_cpu_list
from .head import HeadModel
from .interface import Adjustment, ContainerInfo, ContainerUpdate, PluginError
from .state import Record, short_id

OP_LIVE_REALLOCATION = "live reallocation"

Plan = list[tuple[str, list[int], list[int]]]  # (container id, old CPUs, new CPUs)


def _insufficient(err: AllocationError) -> str:
    """PRE's allocator message has no ``(reserved: ...)`` suffix."""
    if str(err).startswith("insufficient free CPUs"):
        return f"insufficient free CPUs: need {err.need}, have {err.have}"
    return str(err)


class PreFixModel(HeadModel):
    name = "pre-fix"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.allocator = ExclusiveAllocator(self.topology, self.log, fix_era_lines=False)
        #: ``pendingReallocationPlan``: one slot, overwritten by the next conflicting admission
        self.pending_plan: Plan | None = None

    def _clear_state(self) -> None:
        super()._clear_state()
        self.pending_plan = None

    def _log_sync_done(self) -> None:
        """PRE wrote no end-of-sync line (a restart wait must use PLUGIN_SYNC_LINE)."""

    def _wait_for_synchronization(self) -> None:
        """PRE admitted containers without waiting for the first Synchronize."""

    # ------------------------------------------------------------------ hooks with PRE wording

    def create_container(self, container: ContainerInfo) -> Adjustment:
        """PRE logged no ``CreateContainer called`` line."""
        mode_handlers = {ANNOTATED: self._create_annotated, INTEGER: self._create_integer}
        return mode_handlers.get(determine_mode(container), self._create_shared)(container)

    def update_container(self, container: ContainerInfo) -> ContainerUpdate | None:
        self.log(f"Updating container {container.name} in pod {container.pod_namespace}/{container.pod_name}")
        rec = self.by_cid.get(container.container_id)
        if rec is None:
            return None
        sid = short_id(container.container_id)
        self.log(f"DEBUG: UpdateContainer called for managed container {sid} (mode: {rec.mode}, CPUs: {go_slice(rec.cpus)})")
        cpus = format_comma(rec.cpus) if rec.mode == ANNOTATED else format_ranges(rec.cpus)
        self.log(f"DEBUG: Returning CPU assignment {cpus} for container {sid} in UpdateContainer")
        return ContainerUpdate(container_id=container.container_id, cpus=cpus)

    def remove_container(self, container: ContainerInfo) -> None:
        self.log(f"Removing container {container.name} from pod {container.pod_namespace}/{container.pod_name}")
        rec = self.by_cid.pop(container.container_id, None)
        if rec is None:
            return
        if rec.mode == ANNOTATED:
            for cpu in rec.cpus:
                count = self.annot_ref.get(cpu, 0)
                if count > 1:
                    self.annot_ref[cpu] = count - 1
                else:
                    self.annot_ref.pop(cpu, None)
        elif rec.mode == INTEGER:
            for cpu in rec.cpus:  # no ownership check at PRE
                self.int_owner.pop(cpu, None)
        elif rec.mode in (INVALID_ANNOTATED, INVALID_INTEGER):
            self.log(f"DEBUG: Removing invalid container {rec.container_id} (mode: {rec.mode})")
        self._schedule_shared_refresh()

    # ------------------------------------------------------------------ integer

    def _create_integer(self, container: ContainerInfo) -> Adjustment:
        cid = container.container_id
        forbidden = forbidden_cpus(container.pod_annotations, self.log)
        unavailable = self.map_order.walk_sorted(self.reserved_cpus() | set(forbidden))
        try:
            cpus = self.allocator.allocate(self._integer_count(container), unavailable)
        except AllocationError as err:
            raise PluginError(
                f"failed to allocate exclusive CPUs (avoiding forbidden cores): {_insufficient(err)}"
            ) from None
        cpus = sorted(self._finalize_integer_cpus(container, cpus))
        self.by_cid[cid] = Record(cid, INTEGER, list(cpus), container.sandbox_id, container.pod_uid)
        for cpu in cpus:  # no conflict check at PRE: the last writer owns the CPU
            self.int_owner[cpu] = cid
        self.log(f"DEBUG: Recorded integer container {cid} with CPUs {go_slice(cpus)}")
        return Adjustment(cpus=format_ranges(cpus))

    # ------------------------------------------------------------------ annotated

    def _adjustment(self, cpus: list[int]) -> Adjustment:
        ordered = sorted(cpus)
        text = format_comma(ordered)
        self.log(
            f"DEBUG: createAnnotatedAdjustment received CPUs: {go_slice(ordered)}, formatted as: {text} "
            "(comma-separated)"
        )
        return Adjustment(cpus=text, mems=self._mems_for(ordered))

    def _record_from_adjustment(self, container: ContainerInfo, adjustment: Adjustment) -> None:
        if adjustment.cpus == "":
            raise PluginError("failed to record annotated container: no CPU list in adjustment")
        cpus = parse_cpu_list(adjustment.cpus)
        self.by_cid[container.container_id] = Record(
            container.container_id, ANNOTATED, cpus, container.sandbox_id, container.pod_uid
        )
        for cpu in cpus:
            self.annot_ref[cpu] = self.annot_ref.get(cpu, 0) + 1

    def _create_annotated(self, container: ContainerInfo) -> Adjustment:
        pod = f"{container.pod_namespace}/{container.pod_name}"
        int_reserved = self._integer_reserved_logged()
        self.log(f"DEBUG: Current integer reserved CPUs: {go_slice(int_reserved)}")
        self.log(f"DEBUG: Current integer containers in state: {len(self.int_owner)}")
        for cpu in int_reserved:
            rec = self.by_cid.get(self.int_owner[cpu])
            if rec is not None:
                self.log(
                    f"DEBUG: Integer container {short_id(rec.container_id)} owns CPU {cpu} "
                    f"(has CPUs {go_slice(rec.cpus)})"
                )
        value = container.pod_annotations[CORES_ANNOTATION]
        cpus = self._annotated_cpus_or_refuse(
            value, lambda message: self.log(f"DEBUG: Invalid CPU annotation for annotated pod {pod}: {message}"))
        conflict = next((cpu for cpu in cpus if cpu in self.int_owner), None)
        if conflict is not None:
            return self._create_annotated_with_conflict(container, value, conflict)
        self._log_annotation_returned(cpus, value)
        self.log(f"DEBUG: No conflicts detected for annotated pod {pod}")
        adjustment = self._adjustment(self._annotated_grant(container, cpus))
        self._record_from_adjustment(container, adjustment)
        return adjustment

    def _find_conflicting(self, requested: list[int]) -> dict[str, Record]:
        self.log(f"DEBUG: Finding conflicts for requested CPUs {go_slice(requested)}")
        self.log(f"DEBUG: Current intOwner map has {len(self.int_owner)} entries")
        for cpu in self.map_order.walk_sorted(self.int_owner):
            self.log(f"DEBUG: intOwner[{cpu}] = {short_id(self.int_owner[cpu])}")
        conflicting: dict[str, Record] = {}
        for cpu in requested:
            owner = self.int_owner.get(cpu)
            if owner is None:
                self.log(f"DEBUG: CPU {cpu} is not owned by any integer container")
                continue
            self.log(f"DEBUG: CPU {cpu} is owned by container {short_id(owner)}")
            rec = self.by_cid.get(owner)
            if rec is not None and rec.mode == INTEGER:
                self.log(f"DEBUG: Container {short_id(owner)} has CPUs {go_slice(rec.cpus)}, adding to conflicts")
                conflicting[owner] = rec
            else:
                self.log(f"DEBUG: Container {short_id(owner)} not found in byCID or not integer mode")
        self.log(f"DEBUG: Found {len(conflicting)} conflicting containers")
        return conflicting

    def _feasibility_error(self, conflicting: dict[str, Record], requested: list[int]) -> str | None:
        requested_set = set(requested)
        total = sum(len(rec.cpus) for rec in conflicting.values())
        freed = len({cpu for rec in conflicting.values() for cpu in rec.cpus if cpu in requested_set})
        moving = {cpu for rec in conflicting.values() for cpu in rec.cpus}
        effective = (self.reserved_cpus() - moving) | requested_set
        if total <= freed:
            self.log(f"DEBUG: Reallocation feasibility check passed: need {total} CPUs, freed {freed} CPUs (sufficient)")
            return None
        additional = total - freed
        try:
            self.allocator.allocate(additional, self.map_order.walk_sorted(effective))
        except AllocationError as err:
            cause = _insufficient(err)
            self.log(
                f"DEBUG: Reallocation feasibility check failed: need {total} CPUs, freed {freed} CPUs, "
                f"additional {additional} CPUs unavailable: {cause}"
            )
            return (
                f"insufficient free CPUs for reallocation: need {total} CPUs for {len(conflicting)} "
                f"containers but only {freed} CPUs freed by conflicts, and {additional} additional CPUs "
                f"unavailable: {cause}"
            )
        self.log(
            f"DEBUG: Reallocation feasibility check passed: need {total} CPUs, freed {freed} CPUs, "
            f"additional {additional} CPUs available"
        )
        return None

    def _create_annotated_with_conflict(self, container: ContainerInfo, value: str, conflict: int) -> Adjustment:
        pod = f"{container.pod_namespace}/{container.pod_name}"
        self.log(
            f"DEBUG: Conflicts detected for annotated pod {pod}, attempting live reallocation: "
            f"CPU {conflict} is reserved by an integer container"
        )
        requested = parse_cpu_list(value)
        conflicting = self._find_conflicting(requested)
        if not conflicting:
            raise PluginError("unknown conflict with annotated container allocation")
        self.log(f"DEBUG: Found {len(conflicting)} conflicting integer containers")
        cause = self._feasibility_error(conflicting, requested)
        plans: Plan = []
        if cause is None:
            all_reserved = self.reserved_cpus()
            requested_set = set(requested)
            for owner, rec in self.map_order.walk(conflicting.items()):
                try:
                    new = self.allocator.allocate(
                        len(rec.cpus), self.map_order.walk_sorted((all_reserved - set(rec.cpus)) | requested_set))
                except AllocationError:
                    cause = f"cannot reallocate integer container {owner}"
                    break
                plans.append((owner, list(rec.cpus), new))
                all_reserved = (all_reserved - set(rec.cpus)) | set(new)
        if cause is not None:
            self.log(f"DEBUG: Reallocation planning failed: {cause}")
            raise PluginError(f"cannot reallocate conflicting integer containers: {cause}")
        self.log(f"DEBUG: Executing reallocation plan with {len(plans)} containers")
        updates = [ContainerUpdate(owner, format_ranges(new)) for owner, _old, new in plans]
        self.log(f"DEBUG: Generated {len(updates)} container updates for live reallocation")
        self.pending_plan = plans  # the single slot: a previous, unapplied plan is lost here
        projected = dict(self.int_owner)
        for owner, old, new in plans:
            for cpu in old:
                if projected.get(cpu) == owner:
                    del projected[cpu]
            for cpu in new:
                projected[cpu] = owner
        current = self._integer_reserved_logged()
        self.log(
            f"DEBUG: Projected integer reserved CPUs after reallocation: {go_slice(self.map_order.walk_sorted(projected))} "
            f"(current: {go_slice(current)})"
        )
        cpus = parse_and_validate(value, self.topology.online)
        still = next((cpu for cpu in cpus if cpu in projected), None)
        if still is not None:
            self.pending_plan = None
            raise PluginError(
                "annotated container allocation failed after reallocation: "
                f"CPU {still} is reserved by an integer container"
            )
        self.log(
            f"DEBUG: HandleAnnotatedContainerWithIntegerConflictCheck returning CPUs: {go_slice(cpus)} "
            f"for annotation: {value}"
        )
        adjustment = self._adjustment(cpus)
        self.log(f"Queuing {len(updates)} live reallocation updates for annotated container {container.name}")
        self._queue_background(updates, OP_LIVE_REALLOCATION, self._reallocation_done)
        self.log("Queued live reallocation updates for background processing")
        self._record_from_adjustment(container, adjustment)
        return adjustment

    def _reallocation_done(self, success: bool) -> None:
        """PRE's callback: apply whatever plan is in the slot now (not necessarily this one)."""
        if not success:
            if self.pending_plan is not None:
                self.log("DEBUG: Clearing pending reallocation plan due to failure")
                self.pending_plan = None
            self.log("Cleared pending reallocation plan due to failed background updates")
            return
        plans = self.pending_plan
        if plans is not None:
            self.log(f"DEBUG: Applying pending reallocation plan with {len(plans)} containers")
            for owner, old, new in plans:
                rec = self.by_cid.get(owner)
                if rec is None:
                    continue
                for cpu in old:
                    self.int_owner.pop(cpu, None)
                for cpu in new:
                    self.int_owner[cpu] = owner
                rec.cpus = list(new)
            self.pending_plan = None
            self.log("DEBUG: Successfully applied pending reallocation plan")
        self.log("Applied reallocation plan after successful background updates")
