"""The library's keywords called as Python against a simulated cluster it starts itself (shared
by the library-level tests; a module of its own because tests/robot has a conftest module of the
same name, so conftests cannot be imported)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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
    """A library connected to a new simulated cluster (``Connect To Cluster`` ``options``) with
    local plugin access; its files go to a fresh temporary directory."""
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


def in_namespace(tmp_path_factory, namespace: str, **options: Any) -> Iterator[Library]:
    """For a module fixture: ``start`` with ``options``, one test namespace ``namespace`` for the
    module, both removed at its end."""
    library = start(tmp_path_factory, **options)
    library("Create Test Namespace", namespace)
    try:
        yield library
    finally:
        library("Delete Test Namespace", grace_period=0)
        library("Disconnect From Cluster")
