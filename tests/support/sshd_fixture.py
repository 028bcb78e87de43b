"""The session fixture of a real sshd on 127.0.0.1 (import it into a conftest to use it)."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sshd_server import Sshd, SshdUnavailable, start_sshd


@pytest.fixture(scope="session")
def sshd() -> Iterator[Sshd]:
    """A real sshd with throwaway users; in CI (``CI`` set) it must start, never skip."""
    try:
        server = start_sshd()
    except SshdUnavailable as why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the sshd lane, but: {why}", pytrace=False)
        pytest.skip(f"no sshd: {why}")
    try:
        yield server
    finally:
        server.stop()
