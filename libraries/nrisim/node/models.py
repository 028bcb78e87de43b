"""Choosing a plugin model by name (``head``, ``pre-fix``, ...) or ``module:Class``."""
from __future__ import annotations

import importlib

from ..plugin.interface import PluginModel


def load_plugin_model(name: str) -> type[PluginModel]:
    """Resolve a model class; raises ValueError naming the bad input."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"plugin model must be a name or module:Class, got {name!r}")
    try:
        from ..plugin.registry import load_model  # written alongside; optional until it exists
    except ImportError:
        load_model = None
    if load_model is not None:
        return load_model(name)
    module_name, sep, class_name = name.partition(":")
    if not sep:
        raise ValueError(f"unknown plugin model {name!r} (the model registry is not available; "
                         "use module:Class)")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"cannot load plugin model {name!r}: {err}") from err
    if not isinstance(cls, type):
        raise ValueError(f"plugin model {name!r} is not a class")
    return cls
