"""Freeing a replaced config a piece at a time (engine.reload.release): everything goes, and no
step of the freeing runs long, however costly some of the objects are to free."""

from __future__ import annotations

import gc
import types
import weakref

import pytest

from engine.reload import release as releasing
from engine.steps import finish


class Leaf:
    """Something a config holds; `freed` notes in which step it was freed."""

    def __init__(
        self, log: list[int] | None = None, step: list[int] | None = None, cost: float = 0.0
    ) -> None:
        self.log, self.step, self.cost = log, step, cost

    def __del__(self) -> None:
        if self.log is not None and self.step is not None:
            self.log.append(self.step[0])
            _CLOCK[0] += self.cost


_CLOCK = [0.0]


def test_a_released_tree_is_freed_and_nothing_before_its_release() -> None:
    leaves = [Leaf() for _ in range(1_000)]
    watched = [weakref.ref(leaf) for leaf in leaves]
    root = {"rules": tuple(leaves[:600]), "more": [leaves[600:], {"deep": (leaves[-1],)}]}
    del leaves
    held = finish(releasing.hold(root))
    del root
    gc.collect()
    assert all(ref() is not None for ref in watched)  # held: dropping the root freed nothing yet
    finish(releasing.release(held))
    assert all(ref() is None for ref in watched)


def test_objects_that_are_slow_to_free_each_end_a_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five objects each costing 2 ms to free (as a keyword automaton of the routing index can)
    among cheap ones: each is freed in a step of its own, never two in one step."""
    monkeypatch.setattr(releasing, "time", types.SimpleNamespace(perf_counter=lambda: _CLOCK[0]))
    freed: list[int] = []
    step = [0]
    slow = [Leaf(freed, step, cost=0.002) for _ in range(5)]
    cheap = [Leaf() for _ in range(100)]
    held = finish(releasing.hold((*slow, *cheap)))
    del slow, cheap
    steps = releasing.release(held)
    for _ in steps:
        step[0] += 1
    assert len(freed) == 5
    assert len(set(freed)) == 5  # a step of its own each
