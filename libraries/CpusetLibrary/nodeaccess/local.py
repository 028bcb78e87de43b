"""Node access on this machine: a local plugin log file and a local restart command.

Used for the simulated cluster, whose plugin model writes its log to a file here.
"""
from __future__ import annotations

import getpass
import os
import signal
import subprocess
import time

from ._common import (Deadline, non_empty_str, poll_until, positive_seconds, split_log,
                      sync_timeout_error, tail_text, through_line)
from .base import SYNC_DONE, LogMark, NodeAccess, NodeAccessError, RestartResult


class LocalNodeAccess(NodeAccess):
    """Reads a local log file from byte offsets and restarts the plugin with a local command.

    A mark is the file identity (device:inode) plus its size. When the file was replaced
    (rotation) or shrank (truncation), ``read_since`` returns the new file from its start.
    """

    def __init__(self, log_path: str, restart_command: str | list[str], command_timeout: float = 30.0,
                 *, sync_line: str = SYNC_DONE, poll_interval: float = 0.05) -> None:
        self.log_path = non_empty_str("log_path", log_path)
        if isinstance(restart_command, (list, tuple)):
            if not restart_command or not all(isinstance(a, str) and a for a in restart_command):
                raise ValueError("restart_command must be a non-empty string or a non-empty list of "
                                 f"non-empty strings, got {restart_command!r}")
            self.restart_command: str | list[str] = list(restart_command)
        else:
            self.restart_command = non_empty_str("restart_command", restart_command)
        self.command_timeout = positive_seconds("command_timeout", command_timeout)
        self.sync_line = non_empty_str("sync_line", sync_line)
        self.poll_interval = positive_seconds("poll_interval", poll_interval)

    def describe(self) -> str:
        return f"local {self.log_path}"

    # -- log ---------------------------------------------------------------------------
    def _stat(self) -> os.stat_result:
        try:
            return os.stat(self.log_path)
        except FileNotFoundError:
            raise NodeAccessError(f"{self.describe()}: plugin log file {self.log_path} does not exist") from None
        except OSError as err:
            raise NodeAccessError(f"{self.describe()}: cannot stat plugin log {self.log_path}: {err}") from None

    def _source(self, st: os.stat_result) -> str:
        return f"{self.log_path}@{st.st_dev}:{st.st_ino}"

    def mark(self) -> LogMark:
        st = self._stat()
        if not os.access(self.log_path, os.R_OK):
            raise NodeAccessError(f"{self.describe()}: permission denied: plugin log file {self.log_path} exists "
                                  f"but is not readable by {getpass.getuser()} (uid {os.geteuid()})")
        return LogMark(source=self._source(st), offset=st.st_size)

    def read_since(self, mark: LogMark) -> list[str]:
        try:
            with open(self.log_path, "rb") as handle:
                st = os.fstat(handle.fileno())
                if self._source(st) == mark.source and st.st_size >= mark.offset:
                    handle.seek(mark.offset)
                return split_log(handle.read())
        except FileNotFoundError:
            raise NodeAccessError(f"{self.describe()}: plugin log file {self.log_path} does not exist") from None
        except OSError as err:
            raise NodeAccessError(f"{self.describe()}: cannot read plugin log {self.log_path}: {err}") from None

    # -- restart -----------------------------------------------------------------------
    def _command_text(self) -> str:
        cmd = self.restart_command
        return cmd if isinstance(cmd, str) else " ".join(cmd)

    def _run_restart_command(self, timeout: float) -> None:
        cmd = self.restart_command
        # own process group, so a hanging command and its children can all be killed
        proc = subprocess.Popen(cmd, shell=isinstance(cmd, str), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            raise NodeAccessError(f"{self.describe()}: restart command {self._command_text()!r} did not "
                                  f"finish within {timeout:g}s (killed)") from None
        if proc.returncode != 0:
            detail = tail_text(stderr.decode("utf-8", errors="replace")) or "(no stderr)"
            raise NodeAccessError(f"{self.describe()}: restart command {self._command_text()!r} failed "
                                  f"with exit status {proc.returncode}; stderr: {detail}")

    def restart_plugin(self, timeout: float) -> RestartResult:
        timeout = positive_seconds("timeout", timeout)
        deadline = Deadline(timeout)
        started = time.monotonic()
        before = self.mark()
        self._run_restart_command(min(self.command_timeout, max(deadline.remaining(), 0.001)))
        seen: list[str] = []

        def synced() -> tuple[str, ...] | None:
            try:
                lines = self.read_since(before)
            except NodeAccessError:
                return None  # the log may be between rotation and re-creation
            seen[:] = lines
            return through_line(lines, self.sync_line)

        lines = poll_until(synced, deadline, self.poll_interval, self._sync_progress(timeout, seen))
        if lines is None:
            raise sync_timeout_error(self.describe(), self.sync_line, timeout, self._command_text(), seen)
        return RestartResult(seconds=time.monotonic() - started, log_lines=lines)
