"""Refusals that must last: a pod the plugin refuses keeps being refused when the kubelet
retries, and the plugin's log carries the line it writes when it refuses."""
from __future__ import annotations

import re
import time
from datetime import timedelta

from robot.api import logger
from robot.api.deco import keyword

from .. import pluginlog
from ..context import LibraryContext
from ..podstate import ended_for_good, view
from .shapes import plugin_message

POLL_INTERVAL = 0.05  # seconds between reads of the plugin log while waiting on it
REFUSED = "CreateContainerError"


class RefusalKeywords:
    def __init__(self, context: LibraryContext) -> None:
        self.ctx = context

    def _refusals(self, name: str) -> list[str]:
        """The plugin's messages of every ``Failed`` event of the pod's container creation."""
        events = self.ctx.require_cluster().pod_events(self.ctx.require_namespace(), name)
        found: list[str] = []
        for event in events:
            if event.reason == "Failed" and "NRI adjustment" in (event.message or ""):
                found.extend([plugin_message(event.message)] * int(event.count or 1))
        return found

    @keyword
    def pod_should_stay_refused_by_the_plugin(self, name: str, message: str, attempts: int = 2,
                                              timeout: timedelta = timedelta(minutes=1)) -> int:
        """The pod never runs: wait (watch, bounded) until the kubelet has tried to create its
        container ``attempts`` times and the plugin refused every try with exactly ``message``
        (its own words inside containerd's wrapping, from the pod's ``Failed`` events), while the
        container stays ``Waiting``/``CreateContainerError``. Fails at once when the pod runs,
        is refused with another message or by the scheduler. Returns the refusals seen.

        Example:
        | Pod Should Stay Refused By The Plugin | invalid-annotation-pod | message=invalid CPU list in annotation '5-2': invalid CPU range 5-2: start > end |
        """
        cluster = self.ctx.require_cluster()
        namespace = self.ctx.require_namespace()
        attempts = int(attempts)
        seen = {"refusals": 0}

        def judge(state) -> bool:
            pod = state[name]
            if pod is None:
                raise AssertionError(f"pod '{namespace}/{name}' does not exist")
            pod_view = view(pod)
            if pod_view.phase == "Running" or pod_view.container_ids:
                raise AssertionError(f"pod {name} got a container: {pod_view.describe()}")
            if pod_view.unschedulable:
                raise AssertionError(f"pod {name} was refused by the scheduler, not the plugin: "
                                     f"{pod_view.unschedulable}")
            if pod_view.waiting_reason != REFUSED:
                final = ended_for_good(pod)
                if final:
                    raise AssertionError(f"pod {name} was not left waiting for a container: {final}")
                return False
            refusals = self._refusals(name)
            wrong = [said for said in refusals if said != message]
            if wrong:
                raise AssertionError(f"pod {name} was refused with '{wrong[0]}', expected '{message}'")
            seen["refusals"] = len(refusals)
            return len(refusals) >= attempts

        state, done = cluster.watch_pods(namespace, [name], judge, timeout.total_seconds())
        if not done:
            now = view(state[name]).describe() if state[name] is not None else "gone"
            raise AssertionError(f"pod {name} was refused {seen['refusals']} times within "
                                 f"{timeout.total_seconds():g} s, expected {attempts}: {now}")
        logger.info(f"Plugin refused pod {name} {seen['refusals']} times, each with: {message}")
        return seen["refusals"]

    @keyword
    def plugin_log_should_have_line_matching(self, pattern: str, since: str = "test",
                                             timeout: timedelta = timedelta(seconds=30)) -> list[str]:
        """Wait (bounded) until a plugin log line written since ``since`` (``test``/``step``, or
        ``run``) matches the regular expression ``pattern`` in full (``re.fullmatch``, after the
        native wrapper's ``[date time]`` prefix is removed). Returns the matching lines.

        Example:
        | Plugin Log Should Have Line Matching | DEBUG: Invalid annotation for annotated container [0-9a-f]{12}: .* |
        """
        try:
            regex = re.compile(pattern)
        except re.error as err:
            raise ValueError(f"pattern '{pattern}' is not a regular expression: {err}") from None
        if since not in ("test", "step", "run"):
            raise ValueError(f"since '{since}' is not a plugin log mark; expected test, step or run")
        access = self.ctx.require_node_access()
        mark = self.ctx.run_mark if since == "run" else self.ctx.step_mark
        mark = mark or access.mark()
        deadline = time.monotonic() + timeout.total_seconds()
        while True:
            lines = [pluginlog.strip_timestamp(line) for line in access.read_since(mark)]
            found = [line for line in lines if regex.fullmatch(line)]
            if found:
                logger.info(f"Plugin log lines matching '{pattern}':\n" + "\n".join(found))
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no plugin log line since the {since} started matches '{pattern}' "
                                     f"within {timeout.total_seconds():g} s ({len(lines)} lines read)")
            time.sleep(POLL_INTERVAL)  # polling the log: a bounded wait on state
