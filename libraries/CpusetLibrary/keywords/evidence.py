"""Evidence of a failure, logged where log.html opens: under the failing keyword.

The library runs every keyword through :meth:`EvidenceKeywords.keyword_failed` when it fails
(see ``CpusetLibrary.run_keyword``), so each oracle keyword gets the same evidence without
doing anything itself: the CPU map at that moment (with the CPUs the plugin reserves and no
container holds), the pods that are not Ready with their events, and the decisive plugin lines
of the step so far. Robot opens a failed keyword in log.html, so a reader sees this at once,
not inside the collapsed teardown.
"""
from __future__ import annotations

from typing import Callable

from robot.api import logger
from robot.api.deco import keyword
from robot.libraries.BuiltIn import BuiltIn

from .. import pluginlog
from ..context import LibraryContext
from ..evidence import log_lines_html
from ..nodeaccess.base import NodeAccessError
from ..nodemap import log_node_map
from ..podstate import view

#: failures that get evidence: an oracle's verdict (AssertionError, AccountingCorruption) and a
#: node-side wait that did not end (restart without synchronization)
EVIDENCE_FOR = (AssertionError, NodeAccessError)
#: keywords that are evidence themselves (a failure inside them must not recurse)
_SELF = frozenset({"log_failure_evidence", "attach_plugin_log_of_step", "log_node_cpu_map",
                   "log_pods_that_are_not_ready", "log_pod_events"})


#: BuiltIn keywords under which a failure is expected, tolerated or retried: it gets no evidence
#: (a real failure that ends the step is then logged by the teardown's Log Failure Evidence)
_TOLERANT = frozenset({"Run Keyword And Expect Error", "Run Keyword And Ignore Error",
                       "Run Keyword And Return Status", "Run Keyword And Warn On Failure",
                       "Wait Until Keyword Succeeds"})


def _failure_is_tolerated() -> bool:
    """The failing keyword runs inside one of :data:`_TOLERANT`."""
    try:
        from robot.running.context import EXECUTION_CONTEXTS
        context = EXECUTION_CONTEXTS.current
        steps = list(context.steps) if context is not None else []
    except Exception:  # noqa: BLE001 - no robot context, or a robot without these internals
        return False
    return any(getattr(result, "owner", None) == "BuiltIn" and getattr(result, "name", "") in _TOLERANT
               for _, result, _ in steps)


def _current_test() -> str | None:
    """``suite::test`` of the running test, None outside a test (or outside a robot run)."""
    try:
        test = BuiltIn().get_variable_value("${TEST NAME}")
        suite = BuiltIn().get_variable_value("${SUITE NAME}")
    except Exception:  # noqa: BLE001 - no robot context (unit tests)
        return None
    return f"{suite}::{test}" if test else None


class EvidenceKeywords:
    def __init__(self, context: LibraryContext, log_pods_not_ready: Callable[[], object]) -> None:
        self.ctx = context
        self._log_pods_not_ready = log_pods_not_ready
        self._logged_for: str | None = None  # the test whose failure evidence is logged

    def keyword_failed(self, name: str, error: BaseException) -> None:
        """Called by the library when keyword ``name`` raised ``error``: log the evidence once
        per test, before the error propagates."""
        if name in _SELF or not isinstance(error, EVIDENCE_FOR) or _failure_is_tolerated():
            return
        test = _current_test()
        if test is not None and test == self._logged_for:
            return
        self._logged_for = test
        self._log(f"Evidence when '{name.replace('_', ' ').title()}' failed")

    @keyword
    def log_failure_evidence(self) -> bool:
        """Log the failure evidence of the current test unless a library keyword already logged
        it under its failure. For the teardown of a step that failed in a keyword of another
        library (e.g. a BuiltIn comparison). Returns whether anything was logged.

        Example: ``Run Keyword And Ignore Error    Log Failure Evidence``
        """
        test = _current_test()
        if test is not None and test == self._logged_for:
            logger.info("The failure evidence is logged under the failing keyword.")
            return False
        self._logged_for = test
        self._log("Evidence when the step failed")
        return True

    def _log(self, heading: str) -> None:
        logger.info(f"<b>{heading}</b>: the CPU map, pods that are not Ready with their events, and the "
                    "decisive plugin lines of this step so far.", html=True)
        parts = (("CPU map", lambda: log_node_map(self.ctx, "Node at the failure")),
                 ("pods that are not Ready", self._log_pods_not_ready),
                 ("decisive plugin lines", self._log_decisive_lines))
        for what, part in parts:
            if self.ctx.cluster is None:
                logger.info("No evidence: not connected to a cluster.")
                return
            try:
                part()
            except Exception as err:  # noqa: BLE001 - evidence is best effort; the failure is the verdict
                logger.info(f"Could not log the {what}: {err}")

    def _marks(self) -> list[str]:
        ids = {cid for group in self.ctx.container_ids.values() for cid in group}
        marks = [pluginlog.short_id(cid) for cid in ids]
        if self.ctx.namespace:
            for pod in self.ctx.require_cluster().list_pods(self.ctx.namespace):
                marks += [pluginlog.short_id(cid) for cid in view(pod).container_ids]
            marks += [f"{self.ctx.namespace}/{pod}" for pod in self.ctx.container_names]
        return marks

    def _log_decisive_lines(self) -> None:
        access = self.ctx.node_access
        if access is None:
            logger.info("No plugin lines: no node access yet.")
            return
        lines = access.read_since(self.ctx.step_mark or self.ctx.run_mark or access.mark())
        decisive = pluginlog.decisive_lines(lines, self._marks())
        logger.info(f"Decisive plugin lines of this step so far: {len(decisive)} of {len(lines)} "
                    "(the whole step's log is attached by the teardown)<br>"
                    + log_lines_html(decisive, []), html=True)
