"""The map-order option: deterministic by default, a seeded shuffle of every walk over what
upstream keeps in Go maps otherwise; the CPUs granted stay correct under every order."""
from __future__ import annotations

import re

import pytest

from nrisim.plugin.head import HeadModel
from nrisim.plugin.interface import PluginError
from nrisim.plugin.maporder import MapOrder
from nrisim.topology import Topology

from plugin_fakes import annotated, integer, start


def _refusal(order: MapOrder) -> str:
    h = start(HeadModel, Topology(16, 2, 1))
    h.model.map_order = order
    for name in "abcdefg":
        h.model.create_container(integer(2, name))
    with pytest.raises(PluginError) as err:
        h.model.create_container(integer(4, "big"))
    return str(err.value)


def _reserved(message: str) -> list[int]:
    return [int(cpu) for cpu in re.search(r"\(reserved: \[([\d ]+)\]\)", message).group(1).split()]


def test_default_order_is_ascending_and_reproducible():
    message = _refusal(MapOrder())
    assert message.startswith("failed to allocate CPUs: failed to allocate exclusive CPUs (avoiding forbidden "
                              "cores): insufficient free CPUs: need 4, have 2 (reserved: [")
    assert _reserved(message) == sorted(_reserved(message))
    assert _refusal(MapOrder()) == message


def test_seeded_shuffle_varies_the_printed_order_not_the_set():
    orders = {tuple(_reserved(_refusal(MapOrder(seed)))) for seed in range(5)}
    assert len(orders) > 1
    assert len({frozenset(o) for o in orders}) == 1
    assert _refusal(MapOrder(3)) == _refusal(MapOrder(3))  # a seed replays the same run


def test_reallocation_of_two_containers_is_correct_in_every_planning_order():
    plans = set()
    for seed in range(8):
        h = start(HeadModel, Topology(16, 2, 1))
        h.model.map_order = MapOrder(seed)
        a, b = integer(2, "a"), integer(2, "b")
        h.model.create_container(a)  # 1,9
        h.model.create_container(b)  # 2,10
        h.model.create_container(annotated("1,2"))
        snap = h.model.snapshot()
        new_a, new_b = set(snap.cpus_of(a.container_id)), set(snap.cpus_of(b.container_id))
        assert len(new_a) == len(new_b) == 2 and not new_a & new_b and not (new_a | new_b) & {1, 2}
        plans.add((frozenset(new_a), frozenset(new_b)))
        first = next(line for line in h.lines if "cannot" in line or "Found 2 conflicting" in line)
        assert "Found 2 conflicting" in first
    assert len(plans) > 1, "the planning order never changed which container got which CPUs"
