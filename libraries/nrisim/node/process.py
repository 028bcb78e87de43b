"""What a container's command does over time, read from the command line (nothing runs).

The rule, from the container's ``command`` + ``args``:

* no command: the image's own entrypoint, taken to be a long-running service that ignores
  SIGTERM (the simulator cannot know what an image does).
* ``sleep N`` / ``sleep infinity``, ``true``, ``false``: run N seconds / forever / exit 0 / exit 1.
  As PID 1 of the container a process without a SIGTERM handler ignores SIGTERM (the kernel
  drops default-action signals to a namespace's init), so it is killed at the grace period.
  ``exec sleep ...`` in a shell is the same: ``exec`` replaces the shell, its traps are gone.
* ``sh -c SCRIPT`` (also ``bash``/``ash``, ``/bin/sh``): the script's statements (``;``, ``&&``,
  ``||``, newlines) are walked in order: ``sleep N`` adds N seconds, ``exit N`` ends with N,
  ``true``/``false``/``:`` set the status, output commands (``echo``, ``cat``, ``printf``,
  ``date``, ``nproc``, ``grep``, ``taskset``) take no time, ``CMD &`` starts a background job and
  ``wait`` waits for it, ``while true``/``while :`` loops forever. A command the model does not
  know makes the script run until stopped.
  ``trap ACTION TERM`` (or ``SIGTERM``, ``15``) installs a handler: the shell (PID 1) then
  honours SIGTERM. It runs the handler at once when it is in ``wait`` (or between commands),
  but only after the foreground child ends when a foreground ``sleep`` is running (a shell runs
  traps between commands). The exit code is N of an ``exit N`` in the action, else 143.
"""
from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass

SHELLS = {"sh", "bash", "ash", "dash"}
INSTANT = {"echo", "cat", "printf", "date", "nproc", "grep", "taskset", "ls", "hostname", "env", "id", "set"}
TERM_NAMES = {"TERM", "SIGTERM", "15"}
KILLED = 137  # 128 + SIGKILL


@dataclass(frozen=True)
class ProcessModel:
    """How one container's main process behaves.

    ``duration``: seconds until it ends by itself (``math.inf``: never); ``exit_code``: its code then.
    ``on_term``: ``"ignore"`` (killed at the grace period), ``"exit"`` (handler runs at once) or
    ``"deferred"`` (handler runs when the foreground child ends, ``term_exit_code`` then).
    """

    duration: float
    exit_code: int
    on_term: str
    term_exit_code: int = KILLED

    @property
    def ends_by_itself(self) -> bool:
        return math.isfinite(self.duration)

    def stop_after(self, elapsed: float, grace: float) -> tuple[float, int]:
        """(seconds after SIGTERM until the process is gone, exit code) given ``elapsed``
        seconds of run time when SIGTERM arrives and the grace period."""
        remaining = max(0.0, self.duration - elapsed)
        if self.on_term == "exit":
            return 0.0, self.term_exit_code
        if self.on_term == "deferred":
            if remaining <= grace:
                return remaining, self.term_exit_code
            return grace, KILLED
        if remaining <= grace:
            return remaining, self.exit_code
        return grace, KILLED


FOREVER_IGNORING = ProcessModel(math.inf, 0, "ignore")


def _sleep_seconds(args: list[str]) -> float | None:
    """busybox sleep: N[smhd] summed; ``infinity``; None when not understood."""
    if not args:
        return None
    total = 0.0
    for arg in args:
        if arg in ("inf", "infinity"):
            return math.inf
        m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", arg)
        if not m:
            return None
        total += float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return total


def model_command(command: list[str] | None, args: list[str] | None) -> ProcessModel:
    argv = list(command or []) + list(args or [])
    if not argv:
        return FOREVER_IGNORING
    prog = argv[0].rsplit("/", 1)[-1]
    if prog in SHELLS:
        if len(argv) >= 3 and argv[1] == "-c":
            return model_script(argv[2])
        return FOREVER_IGNORING if len(argv) == 1 else ProcessModel(0.0, 127, "ignore")
    return _single(argv)


def _single(argv: list[str]) -> ProcessModel:
    prog = argv[0].rsplit("/", 1)[-1]
    if prog == "sleep":
        seconds = _sleep_seconds(argv[1:])
        return ProcessModel(seconds, 0, "ignore") if seconds is not None else ProcessModel(0.0, 1, "ignore")
    if prog in ("true", ":"):
        return ProcessModel(0.0, 0, "ignore")
    if prog == "false":
        return ProcessModel(0.0, 1, "ignore")
    if prog in INSTANT:
        return ProcessModel(0.0, 0, "ignore")
    return FOREVER_IGNORING


def _statements(script: str) -> list[tuple[str, str]] | None:
    """(separator before, statement) pairs; None when the script cannot be tokenized."""
    try:
        lexer = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return None
    out: list[tuple[str, str]] = []
    current: list[str] = []
    sep = ";"
    for tok in tokens:
        if tok in (";", "&&", "||", "&"):
            if current:
                out.append((sep, shlex.join(current) + (" &" if tok == "&" else "")))
            current = []
            sep = tok if tok != "&" else ";"
        elif tok in ("|", ";;", "&;"):
            current.append("|")
        else:
            current.append(tok)
    if current:
        out.append((sep, shlex.join(current)))
    return out


def model_script(script: str) -> ProcessModel:
    statements = _statements(script)
    if statements is None:
        return ProcessModel(0.0, 2, "ignore")  # sh: syntax error
    elapsed = 0.0
    status = 0
    background = 0.0  # when the last background job ends (absolute, from start)
    trap_code: int | None = None
    foreground_sleep = False  # is the long wait a foreground child (traps deferred)?
    for sep, text in statements:
        if (sep == "&&" and status != 0) or (sep == "||" and status == 0):
            continue
        words = shlex.split(text)
        bg = words[-1:] == ["&"]
        if bg:
            words = words[:-1]
        if not words:
            continue
        head = words[0]
        if head == "trap":
            if len(words) >= 3 and any(w in TERM_NAMES for w in words[2:]):
                m = re.search(r"\bexit\s+(\d+)", words[1])
                trap_code = int(m.group(1)) if m else (0 if re.search(r"\bexit\b", words[1]) else 143)
            status = 0
            continue
        if head == "exit":
            code = int(words[1]) if len(words) > 1 and words[1].isdigit() else status
            return _ended(elapsed, code, trap_code, foreground_sleep)
        if head == "exec":
            # the shell is replaced: traps are gone, the new program is PID 1
            rest = _single(words[1:]) if len(words) > 1 else ProcessModel(0.0, status, "ignore")
            return ProcessModel(elapsed + rest.duration, rest.exit_code, "ignore")
        if head == "while" and len(words) > 1 and words[1] in ("true", ":"):
            return ProcessModel(math.inf, 0, "exit" if trap_code is not None else "ignore",
                                trap_code if trap_code is not None else KILLED)
        if head == "wait":
            if background > elapsed:
                elapsed = background
                foreground_sleep = False
            status = 0
            if math.isinf(elapsed):
                break
            continue
        if "|" in words:
            words = words[:words.index("|")]  # the pipeline's first stage decides its time
        proc = _single(words)
        if bg:
            background = max(background, elapsed + proc.duration)
            status = 0
            continue
        if proc.duration > 0:
            foreground_sleep = True
        elapsed += proc.duration
        status = proc.exit_code
        if math.isinf(elapsed):
            break
    return _ended(elapsed, status, trap_code, foreground_sleep)


def _ended(elapsed: float, code: int, trap_code: int | None, foreground: bool) -> ProcessModel:
    if trap_code is None:
        return ProcessModel(elapsed, code, "ignore")
    return ProcessModel(elapsed, code, "deferred" if foreground else "exit", trap_code)
