"""A plugin model written the way a user would, outside the ``nrisim`` package.

Loaded by the simulator with ``--plugin-model my_models:IntegerLeakOnRemove`` when this
directory is on ``PYTHONPATH`` (the suites pass ``-v PLUGIN_MODEL:my_models:IntegerLeakOnRemove``).
"""
from __future__ import annotations

from nrisim.plugin.head import HeadModel
from nrisim.plugin.classification import INTEGER
from nrisim.plugin.state import Record



class IntegerLeakOnRemove(HeadModel):
    """Integer CPUs are never released on RemoveContainer (HEAD's log lines are kept, so only
    the CPUs the plugin goes on refusing give it away); a plugin restart frees them."""

    name = "integer-leak-on-remove"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.leaked: set[int] = set()

    def annotated_cpus(self) -> set[int]:
        return super().annotated_cpus() | self.leaked

    def _release(self, rec: Record) -> None:
        if rec.mode == INTEGER:
            self.leaked.update(rec.cpus)
        super()._release(rec)

    def _clear_state(self) -> None:
        super()._clear_state()
        self.leaked = set()


class NotAModel:
    """Not a PluginModel: the simulator must refuse it, naming the spec."""
