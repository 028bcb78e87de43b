"""One plugin binary's process on a simulated node: a private mount namespace that shows the
node's generated ``/sys/devices/system``, stdout and stderr through one pipe (their order
kept), and the process killed with its parent (PR_SET_PDEATHSIG) so a killed run leaves none."""
from __future__ import annotations

import asyncio
import ctypes
import hashlib
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Callable

PR_SET_PDEATHSIG = 1
# the bind mount happens inside the new namespace only; exec keeps the PID, so the PID the
# runtime sees is the plugin's own
BIND_AND_EXEC = 'mount --bind "$0" /sys/devices/system && exec "$@"'


class PluginBinaryError(ValueError):
    """The plugin binary cannot be run here; the message says what is wrong and what is needed."""


def _die_with_parent() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def check_binary(path: str) -> Path:
    """The binary's resolved path; PluginBinaryError when it is missing or not executable."""
    binary = Path(path).expanduser()
    if not binary.exists():
        raise PluginBinaryError(f"plugin binary {path!r} does not exist")
    if not binary.is_file() or not os.access(binary, os.X_OK):
        raise PluginBinaryError(f"plugin binary {path!r} is not an executable file")
    return binary.resolve()


def check_host() -> None:
    """Root and Linux mount namespaces: what hosting a binary needs."""
    if os.geteuid() != 0:
        raise PluginBinaryError("hosting a plugin binary needs root (it runs in a private mount namespace "
                                "with the node's sysfs bind-mounted over /sys/devices/system)")
    for tool in ("unshare", "mount"):
        if shutil.which(tool) is None:
            raise PluginBinaryError(f"hosting a plugin binary needs util-linux's {tool!r} on PATH")
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "--", "true"],
                           capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        raise PluginBinaryError("hosting a plugin binary needs Linux mount namespaces "
                                f"(`unshare -m` failed: {probe.stderr.strip() or probe.returncode})")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: for the ``--version`` probe: a plugin that ignores the flag and starts must not reach any
#: runtime (the stub refuses a socket fd that is not a number; no one listens on that name)
VERSION_PROBE_ENV = {"NRI_PLUGIN_SOCKET": "none", "NRI_SOCKET": "@nrisim-version-probe-nobody-listens"}


def binary_version(path: Path) -> str:
    """What ``PATH --version`` prints first (outside any namespace; "" when it prints nothing
    within 5 s or fails)."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=5,
                             env={**os.environ, **VERSION_PROBE_ENV}, preexec_fn=_die_with_parent)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0][:200] if text and out.returncode == 0 else ""


class PluginProcess:
    """``binary --socket SOCKET`` in its own mount namespace; every output line goes to ``on_line``."""

    def __init__(self, binary: Path, socket_path: str, sysfs_root: Path,
                 on_line: Callable[[str], None]) -> None:
        self.binary = binary
        self.argv = [str(binary), "--socket", socket_path]
        self.sysfs_root = sysfs_root
        self.on_line = on_line
        self.proc: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task | None = None
        self.stopped = False  # SIGSTOP sent and not yet continued

    @property
    def command(self) -> str:
        return " ".join(self.argv)

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    async def start(self) -> int:
        self.proc = await asyncio.create_subprocess_exec(
            "unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", BIND_AND_EXEC,
            str(self.sysfs_root), *self.argv,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            # a socket inherited from the environment would win over --socket in NRI's stub
            env={k: v for k, v in os.environ.items() if k not in VERSION_PROBE_ENV},
            preexec_fn=_die_with_parent, start_new_session=True)
        self._pump = asyncio.get_running_loop().create_task(self._read_output())
        return self.proc.pid

    async def _read_output(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                return
            self.on_line(line.decode("utf-8", "replace").rstrip("\n"))

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc else None

    async def wait(self) -> int:
        """The exit code, after every output line was handed on."""
        assert self.proc is not None
        code = await self.proc.wait()
        if self._pump is not None:
            await asyncio.shield(self._pump)
        return code

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.returncode is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def pause(self) -> None:
        self.signal(signal.SIGSTOP)
        self.stopped = True

    def resume(self) -> None:
        self.signal(signal.SIGCONT)
        self.stopped = False

    async def terminate(self, grace: float) -> int:
        """SIGTERM, SIGKILL after ``grace`` seconds; the exit code."""
        if self.proc is None:
            return 0
        self.resume()
        self.signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.wait(), grace)
        except asyncio.TimeoutError:
            self.kill()
            return await self.wait()

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
