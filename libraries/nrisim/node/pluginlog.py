"""The plugin's output: the native wrapper's log file and the DaemonSet pod's container log."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

PLUGIN_BINARY = "/usr/local/bin/weka-cpuset"
PLUGIN_ID = "99-weka-cpuset"
EVENTS = "RunPodSandbox,CreateContainer,UpdateContainer,RemoveContainer"


@dataclass
class PluginInstanceLog:
    """Lines of one plugin process, as its container log holds them (UTC timestamps)."""

    pid: int
    lines: list[tuple[datetime, str]] = field(default_factory=list)


class PluginLogSink:
    """Writes ``[YYYY-MM-DD HH:MM:SS] <line>`` to the log file (what the native wrapper
    does) and keeps each process's lines for the plugin pod's ``/log`` endpoint."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()
        self.instances: list[PluginInstanceLog] = []

    def start_instance(self, pid: int, command: str = f"{PLUGIN_BINARY} ") -> PluginInstanceLog:
        inst = PluginInstanceLog(pid)
        self.instances.append(inst)
        self._file_line(f"Starting Weka NRI Plugin (PID: {pid})")
        self._file_line(f"Command: {command}")
        return inst

    def _file_line(self, line: str) -> None:
        stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        with self._lock:
            if not self._file.closed:
                self._file.write(f"[{stamp}] {line}\n")

    def line(self, inst: PluginInstanceLog, line: str) -> None:
        """One line of plugin stdout/stderr (multi-line text is split like the wrapper does)."""
        for part in str(line).split("\n"):
            inst.lines.append((datetime.now(timezone.utc), part))
            self._file_line(part)

    def close(self) -> None:
        with self._lock:
            self._file.close()
