"""A throwaway OpenSSH server on 127.0.0.1 for the node-access tests.

Creates two local users (one key-only, one password-only) with random names, a host key, an
ed25519 client key, and runs ``/usr/sbin/sshd -D`` on a free loopback port. Needs root or
passwordless sudo (CI runners have it); everything is removed again in ``stop()``.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SSHD = "/usr/sbin/sshd"


class SshdUnavailable(RuntimeError):
    """sshd cannot be started here (not installed, or no root/sudo)."""


#: the journalctl stand-in the test sshd puts first on its sessions' PATH (copied next to the
#: server's files, which every test user can reach)
FAKE_JOURNALCTL = Path(__file__).resolve().parent / "fakebin" / "journalctl"


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _privileged_prefix() -> list[str]:
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    raise SshdUnavailable("the sshd tests create local users: run as root or with passwordless sudo")


@dataclass
class Sshd:
    root: Path
    port: int
    key_user: str
    password_user: str
    password: str
    client_key: Path
    known_hosts: Path
    host_public_key: str
    _proc: subprocess.Popen | None = None
    _priv: list[str] = field(default_factory=list)

    def user_dir(self, user: str) -> Path:
        """A directory on this machine the given user can write (for test log files)."""
        path = self.root / f"files-{user}"
        return path

    def write_as(self, user: str, name: str, content: str, mode: int = 0o644) -> Path:
        path = self.user_dir(user) / name
        path.write_text(content)
        shutil.chown(path, user=user, group=None)
        os.chmod(path, mode)
        return path

    def stop(self) -> None:
        if self._proc is not None:
            if self._priv:
                subprocess.run([*self._priv, "kill", str(self._proc.pid)], capture_output=True)
            else:
                self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None
        for user in (self.key_user, self.password_user):
            subprocess.run([*self._priv, "userdel", "-r", "-f", user], capture_output=True)
        subprocess.run([*self._priv, "rm", "-rf", str(self.root)], capture_output=True)


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=30, **kwargs)


def start_sshd(timeout: float = 15.0) -> Sshd:
    if not os.path.exists(SSHD) or not shutil.which("ssh-keygen"):
        raise SshdUnavailable(f"{SSHD} or ssh-keygen not installed (apt-get install openssh-server)")
    priv = _privileged_prefix()
    root = Path(tempfile.mkdtemp(prefix="nri-sshd-"))
    os.chmod(root, 0o755)
    tag = secrets.token_hex(3)
    key_user, password_user = f"nrik{tag}", f"nrip{tag}"
    password = "pw-" + secrets.token_urlsafe(12)
    port = free_loopback_port()
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "host_key")])
    _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / "client_key")])
    host_pub = (root / "host_key.pub").read_text().split()
    (root / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    (root / "journal").mkdir()
    os.chmod(root / "journal", 0o755)
    (root / "fakebin").mkdir()
    shutil.copy(FAKE_JOURNALCTL, root / "fakebin" / "journalctl")
    os.chmod(root / "fakebin" / "journalctl", 0o755)
    auth_dir = root / "authorized_keys"
    auth_dir.mkdir()
    (auth_dir / key_user).write_text((root / "client_key.pub").read_text())
    os.chmod(auth_dir / key_user, 0o644)
    server = Sshd(root=root, port=port, key_user=key_user, password_user=password_user, password=password,
                  client_key=root / "client_key", known_hosts=root / "known_hosts",
                  host_public_key=f"{host_pub[0]} {host_pub[1]}", _priv=priv)
    try:
        for user in (key_user, password_user):
            _run([*priv, "useradd", "-m", "-s", "/bin/sh", user])
            server.user_dir(user).mkdir()
            _run([*priv, "chown", user, str(server.user_dir(user))])
        # a locked account ('!') is refused even for key login when UsePAM is off
        _run([*priv, "usermod", "-p", "*", key_user])
        _run([*priv, "chpasswd"], input=f"{password_user}:{password}\n")
        config = root / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {root / 'host_key'}",
            f"PidFile {root / 'sshd.pid'}", f"AuthorizedKeysFile {auth_dir}/%u",
            "UsePAM no", "StrictModes no", "PermitRootLogin no", "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no", f"AllowUsers {key_user} {password_user}",
            "MaxStartups 50", "LogLevel ERROR",
            # a journalctl stand-in first on the sessions' PATH (no journald here), reading the
            # journal files of FAKE_JOURNAL_DIR; nothing else on PATH changes
            f"SetEnv PATH={root / 'fakebin'}:/usr/local/bin:/usr/bin:/bin FAKE_JOURNAL_DIR={root / 'journal'}", "",
        ]))
        _run([*priv, "mkdir", "-p", "/run/sshd"])  # privilege separation directory
        _run([*priv, SSHD, "-t", "-f", str(config)])
        server._proc = subprocess.Popen([*priv, SSHD, "-D", "-e", "-f", str(config)],
                                        stdout=subprocess.DEVNULL, stderr=open(root / "sshd.log", "wb"))
        _wait_for_banner(port, timeout, server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_for_banner(port: int, timeout: float, server: Sshd) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server._proc is not None and server._proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {server._proc.returncode}: "
                               f"{(server.root / 'sshd.log').read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                if sock.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"sshd did not answer on 127.0.0.1:{port} within {timeout}s")
