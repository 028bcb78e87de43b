"""Plugin models: the Weka NRI CPUSet plugin as the simulated runtime sees it.

Pick one with :func:`load_model` (``"head"``, ``"pre-fix"``, a defect variant, or
``module:Class``); see :mod:`nrisim.plugin.registry` for how to write your own.
"""
from .registry import MODEL_NAMES, load_model

__all__ = ["MODEL_NAMES", "load_model"]
