"""Stopping a run of several procedures early when nothing can pass.

An unreachable cluster, an unreadable kubeconfig, a target node that does not exist or an
invalid run variable fail every procedure the same way. The first procedure that finds one fails
with the cause; every later one is skipped at the start of its setup, saying it was not run and
why, instead of repeating the same error (and its waits). Within one robot process the reason is
kept in memory; ``scripts/run-suites.sh`` runs each procedure in its own process and passes a
file (robot variable ``RUN_STOP_FILE``) that carries the reason from one process to the next.
"""
from __future__ import annotations

from pathlib import Path

#: robot variable naming the file that carries the reason across robot processes
STOP_FILE_VARIABLE = "RUN_STOP_FILE"


class RunStop:
    """The reason this run was stopped, if any."""

    def __init__(self) -> None:
        self.reason = ""

    def record(self, procedure: str, cause: str, stop_file: str = "") -> None:
        """``procedure`` found ``cause``: later procedures of the run are not run."""
        if self.reason:
            return
        first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else "unknown cause"
        self.reason = f"not run: procedure '{procedure}' found that no procedure can pass: {first_line}"
        if stop_file:
            try:
                path = Path(stop_file)
                if not path.exists():
                    path.write_text(self.reason + "\n", encoding="utf-8")
            except OSError:
                pass  # the next process repeats the check and the failure; nothing is lost

    def current(self, stop_file: str = "") -> str:
        """The reason recorded in this process or by an earlier procedure's process ('' if none)."""
        if self.reason:
            return self.reason
        if stop_file:
            try:
                return Path(stop_file).read_text(encoding="utf-8").strip()
            except OSError:
                return ""
        return ""
