"""The node-access interface every backend implements."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Callable


class NodeAccessError(Exception):
    """A node-side action failed. The message names host/pod, command and exit status."""


@dataclass(frozen=True)
class LogMark:
    """A position in the plugin log. ``source`` identifies the file/pod it belongs to
    (a log that rotated or a pod that was replaced is read from its start)."""

    source: str
    offset: int


@dataclass(frozen=True)
class RestartResult:
    """What a restart did: how long until the plugin had synchronized, and the log lines
    written from the restart to the end of synchronization."""

    seconds: float
    log_lines: tuple[str, ...]


#: the line the plugin writes when Synchronize has finished (FIX and later)
SYNC_DONE = "Synchronize() completed - state manager now synchronized"


class NodeAccess(ABC):
    """Reads the plugin log from a mark and restarts the plugin, bounded in time."""

    #: where a long restart wait reports progress (the console in a robot run; None: silent)
    progress: Callable[[str], None] | None = None
    sync_line: str = SYNC_DONE

    def _sync_progress(self, timeout: float, seen: list[str]) -> Callable[[], None]:
        """A ``poll_until`` reporter for the wait on the sync line after a restart."""
        from ..progress import Progress

        progress = Progress(f"waiting up to {timeout:g} s for the plugin to log {self.sync_line!r} after its "
                            "restart", self.progress)
        return lambda: progress(lambda: f"{len(seen)} plugin log lines since the restart"
                                        + (f", the last: {seen[-1][:160]}" if seen else ""))

    @abstractmethod
    def describe(self) -> str:
        """Human-readable target, e.g. ``ssh root@10.0.0.5:/var/log/weka-cpuset.log``.
        Never contains a secret."""

    @abstractmethod
    def mark(self) -> LogMark:
        """The current end of the plugin log."""

    @abstractmethod
    def read_since(self, mark: LogMark) -> list[str]:
        """Plugin log lines written after ``mark`` (whole log if it rotated/was replaced)."""

    @abstractmethod
    def restart_plugin(self, timeout: float) -> RestartResult:
        """Restart the plugin and wait until it has synchronized again, or raise
        :class:`NodeAccessError` naming what did not happen within ``timeout`` seconds."""

    def close(self) -> None:
        """Release connections. Idempotent."""
