"""Node access over SSH (robotframework-sshlibrary): a native plugin's log file or journald unit,
and a restart command such as ``systemctl restart k3s``.

SSHLibrary accepts any host key. When ``known_hosts`` is given, the paramiko client under the
SSHLibrary connection is switched to ``RejectPolicy`` with that file loaded *before* logging in,
so no credential is sent to a host whose key is unknown or different.
"""
from __future__ import annotations

import math
import os
import shlex
import socket
import threading
import time
from typing import Any, Callable, TypeVar

import paramiko

from ._common import (Deadline, non_empty_str, poll_until, positive_seconds, split_log,
                      sync_timeout_error, tail_text, through_line)
from .base import SYNC_DONE, LogMark, NodeAccess, NodeAccessError, RestartResult

T = TypeVar("T")

#: extra time a bounded SSH call gets beyond its own timeout before it is abandoned
_GRACE = 2.0
#: stat output: "<device>:<inode> <size>"
_STAT = "stat -L -c '%d:%i %s' -- \"$f\""


class _Hidden:
    """Holds a password; its repr/str never show it (so ``vars(obj)`` cannot leak it)."""

    __slots__ = ("value",)

    def __init__(self, value: str | None) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<hidden>" if self.value else "<none>"

    __str__ = __repr__


def _secret_value(password: object) -> str | None:
    """Accept a plain string or a Robot Framework ``Secret`` (anything with ``.value``)."""
    if password is None:
        return None
    value = getattr(password, "value", password)
    if not isinstance(value, str):
        raise ValueError("password must be a string or a robot.api.types.Secret")
    return value


class SshNodeAccess(NodeAccess):
    """Plugin log and restart on a node reached over SSH. One connection, opened lazily."""

    def __init__(self, host: str, port: int = 22, *, user: str, key_file: str | None = None,
                 password: Any = None, passphrase: Any = None, known_hosts: str | None = None, sudo: bool = False,
                 log_path: str | None = "/var/log/weka-cpuset.log", journal_unit: str | None = None,
                 restart_command: str = "systemctl restart k3s", command_timeout: float = 30.0,
                 connect_timeout: float = 10.0, sync_line: str = SYNC_DONE,
                 poll_interval: float = 0.2, restart_command_timeout: float | None = None) -> None:
        self.host = non_empty_str("host", host)
        try:
            self.port = int(port)
        except (TypeError, ValueError):
            raise ValueError(f"port must be an integer 1-65535, got {port!r}") from None
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be an integer 1-65535, got {port!r}")
        self.user = non_empty_str("user", user)
        self.key_file = key_file or None
        self._password = _Hidden(_secret_value(password) or None)
        #: the key file's passphrase (an encrypted key); the password is tried when it is not given
        self._passphrase = _Hidden(_secret_value(passphrase) or None)
        if self.key_file is None and self._password.value is None:
            raise ValueError(f"SSH to {self._target()}: give key_file or password")
        self.known_hosts = known_hosts or None
        self.sudo = bool(sudo)
        self.journal_unit = journal_unit or None
        self.log_path = None if self.journal_unit else non_empty_str("log_path", log_path)
        self.restart_command = non_empty_str("restart_command", restart_command)
        self.command_timeout = positive_seconds("command_timeout", command_timeout)
        # `systemctl restart k3s` can take longer than a log read: its own bound (None: command_timeout)
        self.restart_command_timeout = (self.command_timeout if restart_command_timeout in (None, "")
                                        else positive_seconds("restart_command_timeout", restart_command_timeout))
        self.connect_timeout = positive_seconds("connect_timeout", connect_timeout)
        self.sync_line = non_empty_str("sync_line", sync_line)
        self.poll_interval = positive_seconds("poll_interval", poll_interval)
        self._lib: Any = None
        self._lock = threading.Lock()
        #: the host is the target node's address (no host given): another node of a procedure
        #: over several nodes is then reached at its own address with the same options
        self.host_from_node = False

    def for_host(self, host: str, log_path: str | None = None, restart_command: str | None = None) -> "SshNodeAccess":
        """The same SSH options (user, key, password, passphrase, known hosts, sudo, journal unit,
        timeouts) for another node at ``host``, with its own log path and restart command when
        given (the simulated cluster's nodes have their own files)."""
        other = SshNodeAccess(
            host, self.port, user=self.user, key_file=self.key_file, password=self._password.value,
            passphrase=self._passphrase.value, known_hosts=self.known_hosts, sudo=self.sudo,
            log_path=log_path or self.log_path, journal_unit=self.journal_unit,
            restart_command=restart_command or self.restart_command, command_timeout=self.command_timeout,
            connect_timeout=self.connect_timeout, sync_line=self.sync_line, poll_interval=self.poll_interval,
            restart_command_timeout=self.restart_command_timeout)
        other.host_from_node = self.host_from_node
        other.progress = self.progress
        return other

    def __repr__(self) -> str:
        return f"SshNodeAccess({self.describe()!r})"

    # -- description / errors ----------------------------------------------------------
    def _target(self) -> str:
        return f"{self.user}@{self.host}:{self.port}"

    def describe(self) -> str:
        where = f"journal unit {self.journal_unit}" if self.journal_unit else self.log_path
        auth = "key" if self.key_file else "password"
        return f"ssh {self._target()} ({auth} auth{', sudo' if self.sudo else ''}) {where}"

    def _scrub(self, text: str) -> str:
        """Remove the password from any text that may reach a message."""
        for hidden in (self._password, self._passphrase):
            if hidden.value:
                text = text.replace(hidden.value, "***")
        return text

    def _error(self, message: str) -> NodeAccessError:
        return NodeAccessError(self._scrub(f"ssh {self._target()}: {message}"))

    # -- bounded execution -------------------------------------------------------------
    def _bounded(self, what: str, call: Callable[[], T], timeout: float) -> T:
        """Run ``call`` in a helper thread and give up after ``timeout`` seconds.

        paramiko has unbounded waits (banner, channel open on a dead link); abandoning the
        call and closing the connection keeps every step bounded.
        """
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                box["value"] = call()
            except BaseException as err:  # handed to the caller's thread
                box["error"] = err

        worker = threading.Thread(target=run, name=f"ssh {self._target()}", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            self.close()
            raise self._error(f"{what} did not finish within {timeout:g}s")
        if "error" in box:
            raise box["error"]
        return box["value"]

    # -- connection --------------------------------------------------------------------
    def _check_files(self) -> None:
        for name, path in (("key file", self.key_file), ("known_hosts file", self.known_hosts)):
            if path is not None and not os.access(path, os.R_OK):
                raise self._error(f"{name} {path} does not exist or is not readable")

    def _connect(self) -> Any:
        from SSHLibrary import SSHLibrary  # imported late: it patches paramiko on import

        self._check_files()
        # loglevel NONE: SSHLibrary would log every command (a restart command may hold a secret);
        # our errors name the command already, with the password scrubbed.
        lib = SSHLibrary(timeout=self.connect_timeout, loglevel="NONE", encoding_errors="replace")
        lib.open_connection(self.host, port=self.port, timeout=self.connect_timeout)
        if self.known_hosts:
            # SSHLibrary has no API for host-key checking; configure its paramiko client.
            client: paramiko.SSHClient = lib.current.client
            client.load_host_keys(self.known_hosts)
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            self._bounded("login", lambda: self._login(lib), self.connect_timeout + _GRACE)
        except NodeAccessError:
            lib.close_all_connections()
            raise
        except BaseException as err:
            lib.close_all_connections()
            raise self._login_error(err) from None
        return lib

    def _login(self, lib: Any) -> None:
        if self.key_file:
            lib.login_with_public_key(self.user, self.key_file,
                                      self._passphrase.value or self._password.value or "")
        else:
            lib.login(self.user, self._password.value)

    def _login_error(self, err: BaseException) -> NodeAccessError:
        text = self._scrub(str(err)) or type(err).__name__
        if isinstance(err, paramiko.BadHostKeyException):
            return self._error(f"host key MISMATCH: the server offered a {err.key.get_name()} key that differs "
                               f"from the one in known_hosts file {self.known_hosts} (host reinstalled, or "
                               "someone in the middle); not logging in")
        if isinstance(err, paramiko.SSHException) and "not found in known_hosts" in text:
            return self._error(f"host key UNKNOWN: {self.host} (port {self.port}) is not in known_hosts file "
                               f"{self.known_hosts}; add it with ssh-keyscan -p {self.port} {self.host} "
                               "after checking its fingerprint; not logging in")
        if isinstance(err, ConnectionRefusedError) or "Unable to connect" in text or "refused" in text:
            return self._error(f"connection refused (nothing listens on port {self.port}): {text}")
        if isinstance(err, (socket.timeout, TimeoutError)) or "timed out" in text.lower():
            return self._error(f"connect timed out after {self.connect_timeout:g}s: {text}")
        if isinstance(err, (socket.gaierror, OSError)) and not isinstance(err, paramiko.SSHException):
            return self._error(f"cannot connect: {text}")
        if isinstance(err, paramiko.SSHException) and ("banner" in text.lower() or "No existing session" in text):
            return self._error(f"no SSH handshake within {self.connect_timeout:g}s (something accepts TCP on "
                               f"port {self.port} but does not answer as an SSH server): {text}")
        if isinstance(err, paramiko.SSHException) and "banner" in text.lower():
            return self._error(f"no SSH server answered (protocol banner): {text}")
        how = f"key file {self.key_file}" if self.key_file else "password"
        return self._error(f"authentication failed with {how} ({type(err).__name__}: {text})")

    def _connection(self) -> Any:
        if self._lib is None:
            self._lib = self._connect()
        return self._lib

    def close(self) -> None:
        lib, self._lib = self._lib, None
        if lib is not None:
            try:
                lib.close_all_connections()
            except Exception:  # closing a broken connection must not mask the real error
                pass

    # -- commands ----------------------------------------------------------------------
    def _wrap(self, script: str, timeout: float) -> str:
        # The node kills the script a second after we stop waiting (`timeout`, where installed):
        # closing the SSH channel alone leaves a hung command running there.
        guard = (f"if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 {math.ceil(timeout) + 1} "
                 'sh -c "$0"; else exec sh -c "$0"; fi')
        command = f"sh -c {shlex.quote(guard)} {shlex.quote(script)}"
        if self.sudo and not self._password.value:
            return f"sudo -n {command}"  # -n: fail at once instead of waiting for a password
        return command

    def _connection_dropped(self) -> bool:
        """True when the SSH connection we hold is no longer alive (dropped by the network or
        the server)."""
        try:
            transport = self._lib.current.client.get_transport() if self._lib is not None else None
        except Exception:  # noqa: BLE001 - no usable connection object: treat as dropped
            return True
        return transport is None or not transport.is_active()

    def run(self, script: str, timeout: float | None = None, reopen: bool = True) -> tuple[str, str, int]:
        """Run a shell script on the node: (stdout, stderr, exit status). Bounded by ``timeout``.

        A connection found dropped is re-opened once before a command that is safe to repeat
        (``reopen``; never a restart command, which may have run before the drop)."""
        if reopen and self._lib is not None and self._connection_dropped():
            self.close()  # the next call opens a new connection (once: a failure then is reported)
        timeout = self.command_timeout if timeout is None else timeout
        retry = False
        with self._lock:
            lib = self._connection()
            command = self._wrap(script, timeout)
            use_lib_sudo = self.sudo and bool(self._password.value)

            def execute() -> tuple[str, str, int]:
                return lib.execute_command(command, return_stdout=True, return_stderr=True, return_rc=True,
                                           sudo=use_lib_sudo, sudo_password=self._password.value if use_lib_sudo
                                           else None, timeout=timeout)
            try:
                stdout, stderr, rc = self._bounded(f"command {script!r}", execute, timeout + _GRACE)
            except NodeAccessError:
                raise
            except Exception as err:
                dropped = self._connection_dropped()
                self.close()  # a timed-out channel is left open by SSHLibrary; start clean next time
                text = self._scrub(str(err))
                retry = dropped and reopen and "Timed out" not in text  # died under the command: once more
                if "Timed out" in text:
                    raise self._error(f"command {script!r} did not finish within {timeout:g}s") from None
                if not retry:
                    raise self._error(f"command {script!r} failed: {type(err).__name__}: {text}") from None
        if retry:
            return self.run(script, timeout, reopen=False)
        return stdout, stderr, rc

    def _checked(self, script: str, what: str, timeout: float | None = None, shown: str | None = None,
                 reopen: bool = True) -> str:
        """stdout of ``script``, or an error naming ``shown`` (a short form of the script)."""
        stdout, stderr, rc = self.run(script, timeout, reopen=reopen)
        if rc != 0:
            raise self._error(f"{what}: command {shown or script!r} exited with status {rc}; "
                              f"stderr: {tail_text(stderr) or '(none)'}")
        return stdout

    # -- log: file ---------------------------------------------------------------------
    def _file_prelude(self) -> str:
        return (f"f={shlex.quote(self.log_path or '')}; "
                f"[ -e \"$f\" ] || {{ echo \"plugin log $f does not exist\" >&2; exit 2; }}; "
                f"[ -r \"$f\" ] || {{ echo \"permission denied: $f is not readable by $(id -un)\" >&2; exit 13; }}; ")

    def _file_source(self, identity: str) -> str:
        return f"{self.log_path}@{identity}"

    def _parse_stat(self, line: str, script: str) -> tuple[str, int]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            raise self._error(f"unexpected output {line!r} from {script!r} (expected '<dev>:<inode> <size>')")
        return parts[0], int(parts[1])

    def _file_mark(self) -> LogMark:
        script = self._file_prelude() + _STAT
        identity, size = self._parse_stat(self._checked(
            script, "reading the plugin log size", shown=f"stat {self.log_path}").strip(), script)
        return LogMark(source=self._file_source(identity), offset=size)

    def _file_read(self, mark: LogMark) -> list[str]:
        # one round trip: identity line, then the bytes after the offset (or the whole new file)
        want = mark.source.rsplit("@", 1)[-1] if mark.source.startswith(f"{self.log_path}@") else ""
        script = (self._file_prelude() + f"s=$({_STAT}) || exit $?; echo \"$s\"; set -- $s; "
                  f"if [ \"$1\" = {shlex.quote(want)} ] && [ \"$2\" -ge {int(mark.offset)} ]; "
                  f"then tail -c +{int(mark.offset) + 1} -- \"$f\"; else cat -- \"$f\"; fi")
        out = self._checked(script, "reading the plugin log", shown=f"stat + tail -c +N {self.log_path}")
        _, _, body = out.partition("\n")
        return split_log(body)

    # -- log: journald -----------------------------------------------------------------
    def _journal_base(self) -> str:
        # -q: no "-- No entries --" line, which would read as a plugin log line
        return f"journalctl --no-pager -q -o cat -u {shlex.quote(self.journal_unit or '')}"

    def _journal_mark(self) -> LogMark:
        script = self._journal_base() + " -n 1 --show-cursor"
        cursor = parse_cursor(self._checked(script, "reading the journal cursor"))
        return LogMark(source=f"journal:{self.journal_unit}#{cursor}", offset=0)

    def _journal_read(self, mark: LogMark) -> list[str]:
        prefix = f"journal:{self.journal_unit}#"
        cursor = mark.source[len(prefix):] if mark.source.startswith(prefix) else ""
        script = self._journal_base()
        if cursor:
            script += f" --after-cursor={shlex.quote(cursor)}"
        stdout, stderr, rc = self.run(script)
        if rc != 0 and cursor and "cursor" in stderr.lower():
            stdout = self._checked(self._journal_base(), "reading the journal")  # cursor vacuumed: read all
        elif rc != 0:
            raise self._error(f"reading the journal: command {script!r} exited with status {rc}; "
                              f"stderr: {tail_text(stderr) or '(none)'}")
        return split_log(stdout)

    # -- NodeAccess --------------------------------------------------------------------
    def mark(self) -> LogMark:
        return self._journal_mark() if self.journal_unit else self._file_mark()

    def read_since(self, mark: LogMark) -> list[str]:
        return self._journal_read(mark) if self.journal_unit else self._file_read(mark)

    def restart_plugin(self, timeout: float) -> RestartResult:
        timeout = positive_seconds("timeout", timeout)
        deadline = Deadline(timeout)
        started = time.monotonic()
        before = self.mark()
        self._checked(self.restart_command, "restarting the plugin",
                      timeout=min(self.restart_command_timeout, max(deadline.remaining(), 0.001)), reopen=False)
        seen: list[str] = []

        def synced() -> tuple[str, ...] | None:
            lines = self.read_since(before)
            seen[:] = lines
            return through_line(lines, self.sync_line)

        lines = poll_until(synced, deadline, self.poll_interval, self._sync_progress(timeout, seen))
        if lines is None:
            raise sync_timeout_error(self.describe(), self.sync_line, timeout, self.restart_command, seen)
        return RestartResult(seconds=time.monotonic() - started, log_lines=lines)


def parse_cursor(output: str) -> str:
    """The cursor from ``journalctl --show-cursor`` output ('' when the unit has no entries yet)."""
    for line in reversed(output.splitlines()):
        if line.startswith("-- cursor: "):
            return line[len("-- cursor: "):].strip()
    return ""
