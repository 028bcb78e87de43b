"""The library's keywords called as Python against the simulated cluster (fast profile), through
the real kubernetes client: one simulated cluster per module, one test namespace per test."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from CpusetLibrary import CpusetLibrary
from CpusetLibrary.keywords import connection


class Library:
    """Calls keywords by their Robot name: ``lib("Create Pods Together", body)``."""

    def __init__(self) -> None:
        self.lib = CpusetLibrary()

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.lib.run_keyword(name.lower().replace(" ", "_"), list(args), kwargs)

    @property
    def ctx(self):
        return self.lib._context


def start(tmp_path_factory, **options: Any) -> Library:
    out = tmp_path_factory.mktemp("robot-out")
    original = connection._output_dir
    connection._output_dir = lambda: out
    try:
        library = Library()
        library("Connect To Cluster", **options)
        library("Connect To Plugin", "local")
    finally:
        connection._output_dir = original
    return library


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
