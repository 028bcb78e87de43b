"""Helpers shared by the node-access backends: log splitting, bounded polling, argument checks."""
from __future__ import annotations

import time
from typing import Callable, Sequence, TypeVar

from .base import NodeAccessError

T = TypeVar("T")

#: how many log lines an error message quotes at most
TAIL_LINES = 10


def split_log(data: bytes | str) -> list[str]:
    """Split raw log output into lines (undecodable bytes are replaced, not fatal)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    return text.splitlines()


def through_line(lines: Sequence[str], needle: str) -> tuple[str, ...] | None:
    """The lines up to and including the first one containing ``needle``, or None."""
    for index, line in enumerate(lines):
        if needle in line:
            return tuple(lines[: index + 1])
    return None


def tail_text(text: str, max_chars: int = 400) -> str:
    """The end of ``text``, stripped, for error messages."""
    text = text.strip()
    return text if len(text) <= max_chars else "..." + text[-max_chars:]


def quote_lines(lines: Sequence[str]) -> str:
    """The last few lines, formatted for an error message."""
    if not lines:
        return "(no new log lines)"
    shown = list(lines)[-TAIL_LINES:]
    return "last log lines:\n  " + "\n  ".join(shown)


class Deadline:
    """A point in time an operation must finish by (monotonic clock)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self._end


def poll_until(check: Callable[[], T | None], deadline: Deadline, interval: float,
               report: Callable[[], None] | None = None) -> T | None:
    """Call ``check`` until it returns non-None or ``deadline`` passes (then one last call).

    This waits on state with a bound; ``interval`` only paces the polling. ``report`` is
    called between checks (progress output).
    """
    while True:
        result = check()
        if result is not None:
            return result
        if deadline.expired():
            return None
        if report is not None:
            report()
        time.sleep(min(interval, max(deadline.remaining(), 0.001)))


def positive_seconds(name: str, value: object) -> float:
    """``value`` as seconds > 0, or a ValueError naming ``name``."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}") from None
    if not seconds > 0:
        raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
    return seconds


def non_empty_str(name: str, value: object) -> str:
    """``value`` as a non-empty string, or a ValueError naming ``name``."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def sync_timeout_error(target: str, sync_line: str, timeout: float, command: str,
                       seen: Sequence[str]) -> NodeAccessError:
    """The error for a restart whose sync-done line did not appear in time."""
    return NodeAccessError(
        f"{target}: the plugin did not log {sync_line!r} within {timeout:g}s after the restart "
        f"command {command!r} succeeded (exit status 0); {quote_lines(seen)}"
    )
