"""The plugin's latest word on each container's CPUs, including live moves.

The plugin logs the CPUs it grants at admission and at Synchronize, but when it moves an
integer container live (an annotated pod wants its CPUs) it logs only *that* it moves it:
``Found conflicting integer container <id> on CPU <n>`` ... ``Successfully planned reallocation
of <k> containers`` (PRE: ``CPU <n> is owned by container <id>`` ... ``Executing reallocation plan``). After such a move the last logged grant is stale; what the plugin did say
is: same CPU count, and off the conflicting CPUs. :func:`latest_words` reads the log in order
and keeps, per container, either its latest grant or its latest move.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import pluginlog

_CONFLICT = re.compile(  # HEAD, then upstream PRE (7132bc2)
    r"DEBUG: Found conflicting integer container (?P<cid>[0-9a-f]{12,64}) on CPU (?P<cpu>\d+)"
    r"|DEBUG: CPU (?P<pre_cpu>\d+) is owned by container (?P<pre_cid>[0-9a-f]{12,64})")
_PLANNED = re.compile(r"DEBUG: Successfully planned reallocation of \d+ containers"
                      r"|DEBUG: Executing reallocation plan with \d+ containers")
_PLAN_FAILED = re.compile(r"DEBUG: Reallocation planning failed")


@dataclass(frozen=True)
class Grant:
    """What the plugin last said about one container: ``cpus`` granted, or (``moved``) that it
    moved the container off ``left`` keeping the count of ``cpus`` (its grant before the move)."""

    cpus: frozenset[int]
    moved: bool = False
    left: frozenset[int] = frozenset()

    def matches(self, actual: frozenset[int]) -> bool:
        if not self.moved:
            return actual == self.cpus
        return len(actual) == len(self.cpus) and not actual & self.left


def latest_words(lines: list[str]) -> dict[str, Grant]:
    """Short container id -> :class:`Grant`, from the plugin log lines in order."""
    found: dict[str, Grant] = {}
    pending: dict[str, set[int]] = {}
    for line in lines:
        granted = pluginlog.grants([line])
        for cid, cpus in granted.items():
            found[cid] = Grant(cpus)
        if match := _CONFLICT.search(line):
            cid, cpu = (match["cid"], match["cpu"]) if match["cid"] else (match["pre_cid"], match["pre_cpu"])
            pending.setdefault(pluginlog.short_id(cid), set()).add(int(cpu))
        elif _PLAN_FAILED.search(line):
            pending.clear()
        elif _PLANNED.search(line):
            for cid, left in pending.items():
                before = found.get(cid)
                if before is not None:
                    found[cid] = Grant(before.cpus, True, frozenset(left))
            pending.clear()
    return found
