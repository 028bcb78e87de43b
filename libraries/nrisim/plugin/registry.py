"""Choosing a plugin model: a built-in name or a user's ``module:Class``.

Built-in names (``MODEL_NAMES``):

- ``head`` — the current upstream plugin (the default);
- ``pre-fix`` — the plugin before "fix: better state management" (lost reallocation plan);
- ``leak-on-remove``, ``integer-one-too-many``, ``integer-shared-cpu``,
  ``restart-forgets-integer``, ``annotated-plus-one``, ``shared-includes-integer``,
  ``forbid-ignored``, ``annotated-mems-missing``, ``annotation-not-validated``,
  ``refused-annotation-reserves``, ``siblings-ignored``, ``impossible-move-admitted``,
  ``move-off-first-conflict-only``, ``realloc-splits-cores`` — one documented defect each (``defects.py``);
- ``exit-on-removal-burst``, ``sync-leaves-unpinned`` — one lifecycle defect each
  (``lifecycle_defects.py``).

Writing your own model (the extension point)
--------------------------------------------
Put a module on ``sys.path`` (e.g. next to your suites, or via ``PYTHONPATH``) and pass
``--plugin-model mymodule:MyPlugin``. The class must subclass
:class:`nrisim.plugin.interface.PluginModel` and accept ``(topology, log, runtime)``.
The easiest start is to subclass :class:`nrisim.plugin.head.HeadModel` and override one
hook (look at ``defects.py`` for ten examples of a few lines each):

- ``_integer_count(container)`` — how many CPUs an integer container gets;
- ``_finalize_integer_cpus(container, cpus)`` — change the chosen integer CPUs;
- ``_annotated_grant(container, cpus)`` — CPUs granted to an annotated container;
- ``_create_annotated_with_conflict(container, value, conflict_cpu)`` — live reallocation;
- ``_reallocation_cpus(count, reserved)`` — the new CPUs of an integer container moved live;
- ``_release(record)`` / ``_release_annotated(record)`` — RemoveContainer bookkeeping;
- ``_sync_integer(containers, updates, skipped)`` — Synchronize phase 2;
- ``annotated_cpus()`` — the CPUs treated as annotated;
- ``_annotated_cpus_or_refuse(value, log_invalid)`` — parse and validate an annotation;
- ``_mems_for(cpus)`` — ``cpuset.mems`` of an annotated container;
- ``_forbidden(container)`` — a pod's forbidden CPUs (integer and shared admission);
- ``_shared_reserved()`` — the CPUs a new shared container must not get.

Go map order: walk anything upstream keeps in a Go map through ``self.map_order.walk(...)``
(or ``walk_sorted``); the simulator's ``--shuffle-map-order`` then randomises it.

Rules: the runtime serialises every hook call, so no locking; never sleep (ask the runtime
for asynchronous work through ``self.runtime.update_containers(updates, on_done)``); write
plugin stdout lines with ``self.log(line)``; refuse a container by raising
:class:`~nrisim.plugin.interface.PluginError` with the plugin's message; set ``name``.
"""
from __future__ import annotations

import importlib
import inspect

from .defects import (
    AnnotatedMemsMissingModel,
    AnnotatedPlusOneModel,
    AnnotationNotValidatedModel,
    ForbidIgnoredModel,
    SharedIncludesIntegerModel,
    ImpossibleMoveAdmittedModel,
    IntegerOneTooManyModel,
    IntegerSharedCpuModel,
    LeakOnRemoveModel,
    MoveOffFirstConflictOnlyModel,
    RefusedAnnotationReservesModel,
    ReallocationSplitsCoresModel,
    RestartForgetsIntegerModel,
    SiblingsIgnoredModel,
)
from .head import HeadModel
from .interface import PluginModel
from .lifecycle_defects import ExitOnRemovalBurstModel, SyncLeavesUnpinnedModel

_BUILTIN: dict[str, type[PluginModel]] = {
    model.name: model
    for model in (
        HeadModel,
        LeakOnRemoveModel,
        IntegerOneTooManyModel,
        IntegerSharedCpuModel,
        RestartForgetsIntegerModel,
        AnnotatedPlusOneModel,
        SharedIncludesIntegerModel,
        ForbidIgnoredModel,
        AnnotatedMemsMissingModel,
        AnnotationNotValidatedModel,
        ExitOnRemovalBurstModel,
        SyncLeavesUnpinnedModel,
        RefusedAnnotationReservesModel,
        SiblingsIgnoredModel,
        ImpossibleMoveAdmittedModel,
        MoveOffFirstConflictOnlyModel,
        ReallocationSplitsCoresModel,
    )
}


def _register_prefix() -> None:
    try:
        from .prefix import PreFixModel
    except ImportError:  # pragma: no cover - only while prefix.py is being written
        return
    _BUILTIN[PreFixModel.name] = PreFixModel


_register_prefix()

MODEL_NAMES: tuple[str, ...] = tuple(_BUILTIN)


def load_model(spec: str) -> type[PluginModel]:
    """Return the model class for a built-in name or ``module:Class``.

    Raises ValueError naming the spec and what is wrong (unknown name, no such module,
    no such class, not a PluginModel).
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(
            f"plugin model spec must be a non-empty string, got {spec!r}; "
            f"expected one of {', '.join(MODEL_NAMES)} or module:Class"
        )
    spec = spec.strip()
    if spec in _BUILTIN:
        return _BUILTIN[spec]
    if ":" not in spec:
        raise ValueError(
            f"unknown plugin model {spec!r}: expected one of {', '.join(MODEL_NAMES)} "
            "or module:Class (a class importable from sys.path)"
        )
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"plugin model {spec!r}: expected module:Class with both parts non-empty")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        raise ValueError(
            f"plugin model {spec!r}: no module named {err.name!r} on sys.path"
        ) from err
    try:
        obj = getattr(module, class_name)
    except AttributeError:
        raise ValueError(
            f"plugin model {spec!r}: module {module_name!r} has no class {class_name!r}"
        ) from None
    if not (inspect.isclass(obj) and issubclass(obj, PluginModel)):
        raise ValueError(
            f"plugin model {spec!r}: {class_name} is not a subclass of "
            "nrisim.plugin.interface.PluginModel"
        )
    if inspect.isabstract(obj):
        missing = ", ".join(sorted(obj.__abstractmethods__))
        raise ValueError(f"plugin model {spec!r}: {class_name} does not implement {missing}")
    return obj
