"""Long work cut into small steps, so a serving process can do it on its event loop between events.

A step function is a generator that yields after each small piece of work (a rule, a keyword, a
chunk of a shipped config) and returns its result. `finish` runs every step at once; `sliced` runs
them on the event loop, giving the loop back whenever `budget` seconds of steps have run, so other
events wait at most about one budget (plus one step) instead of the whole work.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from typing import TypeVar

__all__ = ["BUDGET_S", "Steps", "finish", "sliced"]

T = TypeVar("T")
Steps = Generator[None, None, T]

BUDGET_S = 0.002
"""How long `sliced` runs steps before it lets the event loop serve other events."""


def _advance(steps: Steps[T]) -> tuple[T] | None:
    """Run one step; `(result,)` once there are no more."""
    try:
        next(steps)
    except StopIteration as done:
        return (done.value,)
    return None


def finish(steps: Steps[T]) -> T:
    """Run every step; the result."""
    while (done := _advance(steps)) is None:
        pass
    return done[0]


async def sliced(steps: Steps[T], budget: float = BUDGET_S) -> T:
    """Run the steps on the event loop, `budget` seconds at a time; the result."""
    import asyncio  # here, not above: `flexcord validate` builds with `finish` and needs no event loop

    clock = time.perf_counter
    until = clock() + budget
    while (done := _advance(steps)) is None:
        if clock() >= until:
            await asyncio.sleep(0)
            until = clock() + budget
    return done[0]
