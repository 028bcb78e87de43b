"""Grouping for a parallel run (pytest-xdist, ``-n N --dist loadgroup`` as scripts/run-tests.sh
runs it): tests spread over the workers one by one, except

- every test that uses the real sshd runs in one worker, so one sshd (and one pair of throwaway
  local users: concurrent ``useradd`` calls contend for /etc/passwd's lock) serves them all;
- the tests of a module that share a module- or session-scoped fixture of ours (one simulated
  cluster per module, say) run in one worker, which starts that fixture once.

Without xdist the markers do nothing."""
from __future__ import annotations

import pytest

SHARED_SCOPES = ("module", "package", "session")


def _shares_a_fixture_of_ours(item: pytest.Item) -> bool:
    definitions = getattr(item, "_fixtureinfo", None)
    if definitions is None:
        return False
    return any(fixturedef.scope in SHARED_SCOPES and fixturedef.baseid  # baseid "": pytest's or a plugin's
               for defs in definitions.name2fixturedefs.values() for fixturedef in defs)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "sshd" in item.fixturenames:
            item.add_marker(pytest.mark.xdist_group("sshd"))
        elif _shares_a_fixture_of_ours(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
