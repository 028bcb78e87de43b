"""A child process that dies with its parent, however the parent ends (SIGKILL included).

On Linux the child asks the kernel, between fork and exec, for SIGTERM when the thread that
started it exits (``prctl(PR_SET_PDEATHSIG)``); the simulator stops cleanly on SIGTERM.
Elsewhere this does nothing (the library's own shutdown still stops the child)."""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent_hook(parent_pid: int | None = None) -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` (None where the platform has no such call)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid() if parent_pid is None else parent_pid

    def hook() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return
        if os.getppid() != parent:  # the parent died before the call: go at once
            os.kill(os.getpid(), signal.SIGTERM)

    return hook
