"""The library's keywords called as Python against the simulated cluster (fast profile), through
the real kubernetes client: one simulated cluster per module, one test namespace per test."""
from __future__ import annotations

from collections.abc import Iterator
import pytest

from library_caller import Library, start


@pytest.fixture(scope="module")
def connected(tmp_path_factory) -> Iterator[Library]:
    library = start(tmp_path_factory, sim_cpus=16)
    try:
        yield library
    finally:
        library("Disconnect From Cluster")


@pytest.fixture
def lib(connected: Library) -> Iterator[Library]:
    """The connected library with a fresh test namespace (deleted after the test)."""
    connected("Create Test Namespace", "lib")
    try:
        yield connected
    finally:
        connected("Delete Test Namespace", grace_period=0)
