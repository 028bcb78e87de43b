"""Plugin variants with one documented defect each, for checking that the suites catch them.

Each is :class:`HeadModel` with one hook overridden; logs stay those of HEAD, so a defect is
visible only in cpusets and capacity, the way a real regression would be.
"""
from __future__ import annotations

from typing import Callable, Sequence

from .cpulist import CpuListError, format_comma, parse_cpu_list
from .head import HeadModel
from .interface import Adjustment, ContainerInfo, PluginError
from .state import Record


class LeakOnRemoveModel(HeadModel):
    """Annotated CPUs are never released on RemoveContainer.

    The removal lines (including ``Released annotated CPU``) are logged exactly as at HEAD
    and the consistency check stays silent: the leaked CPUs are held outside ``annotRef``.
    Only a plugin restart (Synchronize) frees them, which is the symptom the manual
    "annotated pod state corruption" procedure was written for.
    """

    name = "leak-on-remove"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.leaked: set[int] = set()

    def annotated_cpus(self) -> set[int]:
        return super().annotated_cpus() | self.leaked

    def _release_annotated(self, rec: Record) -> None:
        self.leaked.update(rec.cpus)
        super()._release_annotated(rec)

    def _clear_state(self) -> None:
        super()._clear_state()
        self.leaked = set()


class IntegerOneTooManyModel(HeadModel):
    """An integer container gets N+1 CPUs instead of N."""

    name = "integer-one-too-many"

    def _integer_count(self, container: ContainerInfo) -> int:
        return super()._integer_count(container) + 1


class IntegerSharedCpuModel(HeadModel):
    """The second integer container admitted gets one CPU of an existing integer container
    (its highest CPU is swapped for the lowest CPU another integer container owns)."""

    name = "integer-shared-cpu"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.integer_admissions = 0

    def _finalize_integer_cpus(self, container: ContainerInfo, cpus: list[int]) -> list[int]:
        self.integer_admissions += 1
        owned = sorted(self.int_owner)
        if self.integer_admissions != 2 or not owned or not cpus:
            return cpus
        return sorted(cpus[:-1] + [owned[0]])


class RestartForgetsIntegerModel(HeadModel):
    """Synchronize does not re-record integer containers: after a plugin restart their CPUs
    look free and are handed out again."""

    name = "restart-forgets-integer"

    def _sync_integer(self, containers, updates, skipped) -> None:
        return None


class AnnotatedPlusOneModel(HeadModel):
    """An annotated container gets one CPU beyond its annotation: the lowest CPU that is
    neither annotated nor integer-owned and not in the annotation."""

    name = "annotated-plus-one"

    def _annotated_grant(self, container: ContainerInfo, cpus: list[int]) -> list[int]:
        if not cpus:
            return cpus
        taken = self.reserved_cpus() | set(cpus)
        extra = next((cpu for cpu in self.topology.online if cpu not in taken), None)
        return cpus if extra is None else cpus + [extra]


class SharedIncludesIntegerModel(HeadModel):
    """A new shared container's pool leaves out annotated and forbidden CPUs but not the CPUs
    of integer containers, so shared pods run on "exclusive" CPUs."""

    name = "shared-includes-integer"

    def _shared_reserved(self) -> set[int]:
        return self.annotated_cpus()


class ForbidIgnoredModel(HeadModel):
    """``weka.io/forbid-core-ids`` is ignored for integer and shared pods (the ``Integer
    container ... forbidden CPUs`` line prints ``[]``)."""

    name = "forbid-ignored"

    def _forbidden(self, container: ContainerInfo) -> list[int]:
        return []


class AnnotatedMemsMissingModel(HeadModel):
    """Annotated containers get no ``cpuset.mems`` (direct path and Synchronize): they keep
    every memory node instead of the nodes of their CPUs. Visible only with 2+ NUMA nodes."""

    name = "annotated-mems-missing"

    def _mems_for(self, cpus: Sequence[int]) -> str:
        return ""


class AnnotationNotValidatedModel(HeadModel):
    """Annotations are parsed but not checked against the online CPUs: ``999`` or an offline
    CPU is admitted and reserved instead of refused with ``CPU(s) not online``. The runtime
    then fails the container's start as runc does (``StartError``) and the plugin keeps the
    CPUs reserved until the container is removed. Syntax errors are still refused."""

    name = "annotation-not-validated"

    def _annotated_cpus_or_refuse(self, value: str, log_invalid: Callable[[str], None]) -> list[int]:
        try:
            return parse_cpu_list(value)
        except CpuListError:
            return super()._annotated_cpus_or_refuse(value, log_invalid)


class RefusedAnnotationReservesModel(HeadModel):
    """An annotation that parses but names a CPU that is not online (``0,999``) is refused as at
    HEAD, but its online CPUs were reserved first and are not given back (no rollback on the
    error path): they stay out of the shared pool and of integer grants until a restart
    (Synchronize) clears the state. An annotation naming only offline CPUs (``999``) reserves
    nothing, so only a partly valid list shows it."""

    name = "refused-annotation-reserves"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stranded: set[int] = set()

    def annotated_cpus(self) -> set[int]:
        return super().annotated_cpus() | self.stranded

    def _annotated_cpus_or_refuse(self, value: str, log_invalid: Callable[[str], None]) -> list[int]:
        try:
            named = parse_cpu_list(value)
        except CpuListError:
            named = []
        try:
            return super()._annotated_cpus_or_refuse(value, log_invalid)
        except PluginError:
            self.stranded.update(cpu for cpu in named if cpu in set(self.topology.online))
            raise

    def _clear_state(self) -> None:
        super()._clear_state()
        self.stranded = set()


class SiblingsIgnoredModel(HeadModel):
    """Integer CPUs are chosen as on a node without hyper-threading whatever the topology: the
    lowest free CPUs (CPU 0 last), so a 2-CPU pod gets two neighbouring CPU numbers of two
    different cores instead of one core's two threads. Counts and exclusivity stay right."""

    name = "siblings-ignored"

    def _finalize_integer_cpus(self, container: ContainerInfo, cpus: list[int]) -> list[int]:
        unavailable = self.reserved_cpus() | set(self._forbidden(container))
        free = [cpu for cpu in self.topology.online if cpu not in unavailable]
        return sorted(sorted(free, key=lambda cpu: (cpu == 0, cpu))[:len(cpus)])


class ImpossibleMoveAdmittedModel(HeadModel):
    """When the integer container on an annotated pod's CPUs cannot be moved (no CPU is free for
    it), the annotated container is admitted anyway on its CPUs, which the integer container
    keeps: two containers share "exclusive" CPUs instead of the annotated pod being refused
    with ``cannot reallocate conflicting containers: ...``. Possible moves are made as at HEAD."""

    name = "impossible-move-admitted"

    def _create_annotated_with_conflict(self, container: ContainerInfo, value: str, conflict: int) -> Adjustment:
        try:
            return super()._create_annotated_with_conflict(container, value, conflict)
        except PluginError:
            cpus = sorted(parse_cpu_list(value))
            self._record_annotated(container, cpus)
            return Adjustment(cpus=format_comma(cpus), mems=self._mems_for(cpus))


class MoveOffFirstConflictOnlyModel(HeadModel):
    """A live reallocation plans the integer container's new CPUs avoiding only the first CPU the
    annotated pod asks for (the annotation's other CPUs are not reserved while planning), so the
    moved container can keep, or land on, another CPU the annotated pod now has. A conflict of one
    CPU is handled as at HEAD."""

    name = "move-off-first-conflict-only"

    def _plan_reallocation(self, requested: list[int]):
        return super()._plan_reallocation(requested[:1])


__all__ = [
    "LeakOnRemoveModel",
    "IntegerOneTooManyModel",
    "IntegerSharedCpuModel",
    "RestartForgetsIntegerModel",
    "AnnotatedPlusOneModel",
    "SharedIncludesIntegerModel",
    "ForbidIgnoredModel",
    "AnnotatedMemsMissingModel",
    "AnnotationNotValidatedModel",
    "RefusedAnnotationReservesModel",
    "SiblingsIgnoredModel",
    "ImpossibleMoveAdmittedModel",
    "MoveOffFirstConflictOnlyModel",
]


class ReallocationSplitsCoresModel(HeadModel):
    """A live reallocation moves an integer container to the lowest free CPUs, ignoring thread
    siblings (HEAD moves it with the same sibling-aware allocation as a new container): a
    2-CPU pod on one core's two threads moved off them lands on two different cores. Its count
    and exclusivity stay right; the allocator's lines are logged as at HEAD."""

    name = "realloc-splits-cores"

    def _reallocation_cpus(self, count: int, reserved: set[int]) -> list[int]:
        chosen = super()._reallocation_cpus(count, reserved)  # HEAD's lines and errors
        free = sorted(set(self.topology.online) - set(reserved))
        return free[:len(chosen)]
