"""Did the plugin process stay up during a test? Its restarts and exits the test did not ask for.

A test's start takes a :class:`Baseline`: the plugin pod of the target node (when the plugin
runs in one: a DaemonSet, or the simulator's) and how many restarts the run had asked for so
far (``Restart Plugin``, ``Delete Plugin Pod``, a rollout of the plugin's DaemonSet). At its end,
the process starts since then are counted twice over, and the larger count is taken: the
plugin's own ``Synchronizing state with`` lines in its log since the test's mark (every process
synchronizes once when it registers) and the pod's ``restartCount`` (a replaced pod counts
one more). Starts beyond the restarts asked for, or a plugin container ended at the end, are a
crash of the test: :func:`unrequested_restarts` says how many, how the process last ended
(exit code) and what it logged just before.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import pluginlog

#: the native wrapper's first line of every process it starts
WRAPPER_START = "Starting Weka NRI Plugin (PID:"
LAST_LINES = 5


@dataclass(frozen=True)
class PluginPodState:
    name: str
    uid: str
    restart_count: int
    running: bool
    ended: str  # how the container last ended ("exit code 0 (Completed)"), "" when never
    exit_code: int | None


@dataclass(frozen=True)
class Baseline:
    pod: PluginPodState | None
    requested: int  # restarts the run had asked for when the test started


def pod_state(pod: Any) -> PluginPodState:
    """The plugin pod's restart count, whether its container runs now and how it last ended."""
    statuses = (pod.status.container_statuses if pod.status else None) or []
    running = bool(statuses) and all(s.state is not None and s.state.running is not None for s in statuses)
    ended, code = "", None
    for status in statuses:
        done = (status.state.terminated if status.state else None) or (
            status.last_state.terminated if status.last_state else None)
        if done is not None:
            ended, code = f"exit code {done.exit_code} ({done.reason or 'no reason'})", done.exit_code
    return PluginPodState(pod.metadata.name, pod.metadata.uid, sum(s.restart_count or 0 for s in statuses),
                          running, ended, code)


def pod_starts(before: PluginPodState | None, now: PluginPodState | None) -> int:
    """Process starts between two looks at the node's plugin pod (0 when either is unknown)."""
    if before is None or now is None:
        return 0
    if now.uid == before.uid:
        return max(now.restart_count - before.restart_count, 0)
    return 1 + now.restart_count


def log_starts(lines: list[str]) -> int:
    """Process starts in the plugin log lines: each synchronizes once when it registers."""
    return sum(1 for line in lines if pluginlog.SYNC_START in line)


def lines_before_last_start(lines: list[str]) -> list[str]:
    """The last lines the plugin wrote before its last (re)start in ``lines`` (its wrapper's start
    line, else its Synchronize line); empty when no start is in them."""
    for marker in (WRAPPER_START, pluginlog.SYNC_START):
        for index in range(len(lines) - 1, -1, -1):
            if marker in lines[index]:
                return lines[max(0, index - LAST_LINES):index]
    return []


def unrequested_restarts(baseline: Baseline, now: PluginPodState | None, requested_now: int,
                         lines: list[str], previous_log: list[str]) -> str:
    """A sentence naming the restarts and exits the test did not ask for, or "" when there were
    none. ``lines``: the plugin log since the test started; ``previous_log``: the last lines of
    the plugin container before its current one (DaemonSet: its log starts afresh with each
    container), used instead of ``lines`` when given."""
    asked = requested_now - baseline.requested
    starts = max(pod_starts(baseline.pod, now), log_starts(lines))
    down = now is not None and not now.running
    extra = starts - asked
    if extra <= 0 and not down:
        return ""
    parts = []
    if extra > 0:
        parts.append(f"the plugin restarted {starts} times during the test, {asked} of them asked for by the test")
    if down:
        parts.append("the plugin process has ended and is not running now")
    if now is not None:
        before_pod = baseline.pod
        count = (f"pod {now.name} restartCount {before_pod.restart_count} -> {now.restart_count}"
                 if before_pod is not None and before_pod.uid == now.uid else
                 f"pod {before_pod.name if before_pod else '(none)'} replaced by {now.name} "
                 f"(restartCount {now.restart_count})")
        parts.append(f"{count}, its container last ended with {now.ended or 'an exit code not reported'}")
    else:
        parts.append("exit code not reported (no plugin pod on the node; the native wrapper does not log it)")
    before = previous_log[-LAST_LINES:] or lines_before_last_start(lines)
    parts.append("the last plugin log lines before it: " + (" | ".join(
        pluginlog.strip_timestamp(line) for line in before) if before else "none read"))
    return "; ".join(parts)
