"""The order in which the plugin model walks what upstream keeps in Go maps.

Go randomises map iteration order on every ``range``, so on a real node the order of the
reserved list in ``insufficient free CPUs ... (reserved: [...])``, the order in which the
conflicting integer containers of a live reallocation are planned (and so which CPUs each
gets), the order of the per-CPU state lines and the order in which Synchronize meets the
containers of one phase all vary from run to run.

:class:`MapOrder` is deterministic by default (ascending CPUs, first-encounter order of
containers, as the model always did) so runs are reproducible. With a seed it shuffles every
walk with one seeded RNG, so a suite can be run under many orders and shown not to depend on
one (``--shuffle-map-order --map-order-seed N``).
"""
from __future__ import annotations

import random
from typing import Iterable, TypeVar

T = TypeVar("T")


class MapOrder:
    """``walk(items)`` returns the items in the order a Go ``range`` over the map would."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._rng = random.Random(seed) if seed is not None else None

    @property
    def shuffled(self) -> bool:
        return self._rng is not None

    def walk(self, items: Iterable[T]) -> list[T]:
        """The items as given (deterministic mode) or in a fresh random permutation."""
        result = list(items)
        if self._rng is not None:
            self._rng.shuffle(result)
        return result

    def walk_sorted(self, items: Iterable[T]) -> list[T]:
        """Deterministic mode: ascending (the model's reproducible stand-in for map order)."""
        return self.walk(sorted(items))  # type: ignore[type-var]


#: the default for models built outside a runtime (tests, custom code): no shuffling
DETERMINISTIC = MapOrder()
