"""Free a large, dead config a piece at a time, on the event loop between events.

When the last reference to a 10,000-rule config goes, CPython frees the whole tree in one go, in
one C call that holds the interpreter lock: about 60 ms for a generation, on whichever thread
dropped it (after a swap, the event loop's). `hold` takes a reference to every object of the tree,
so the last reference dropped anywhere frees only the top object; `release` then lets go of them
one by one, parents first, so each step frees little. Both are step functions (engine.steps): the
reloader runs them sliced on the loop, which then never waits for more than a slice.

A step ends after PER_STEP objects or STEP_S seconds, whichever comes first: some objects cost
milliseconds on their own (freeing one keyword automaton of the routing index takes 1 to 3 ms),
and five of them in one step of a fixed count stalled the loop for 10 to 20 ms.
"""

from __future__ import annotations

import gc
import time
from types import MappingProxyType

from engine.steps import Steps

__all__ = ["MAX_HELD", "PER_STEP", "STEP_S", "hold", "release"]

MAX_HELD = 5_000_000
"""At most this many objects are held; the rest of a larger tree is freed the usual way."""
PER_STEP = 500
"""Parts looked at, or objects let go of, per step at most."""
STEP_S = 0.001
"""A step ends once it has run this long, however few objects it has looked at or let go of."""
CHECK_EVERY = 32
"""While holding, the clock is read once per this many parts (reading it costs more than a part)."""

_CONTAINERS = (dict, list, tuple, set, frozenset, MappingProxyType)


def _walked(node: object) -> bool:
    """Whether `node`'s parts belong to the config: containers and flexcord's own objects (never a
    class, a module or a function, which lead to everything else in the process)."""
    if isinstance(node, _CONTAINERS):
        return True
    if isinstance(node, type):
        return False
    return type(node).__module__.startswith("engine.")


class _Seen:
    """The addresses (ids) already held, as one bit per 16 bytes of memory in 64 KB pages: a set
    of 300,000 ids would stall the loop for 10 to 30 ms each time it grows, and again when freed."""

    def __init__(self) -> None:
        self.pages: dict[int, bytearray] = {}

    def first(self, address: int) -> bool:
        """True the first time `address` is seen."""
        page = self.pages.get(address >> 16)
        if page is None:
            page = self.pages[address >> 16] = bytearray(512)
        slot = (address >> 4) & 4095
        bit = 1 << (slot & 7)
        if page[slot >> 3] & bit:
            return False
        page[slot >> 3] |= bit
        return True


def hold(root: object) -> Steps[list[object]]:
    """References to `root` and what it is made of, parents before their parts."""
    held: list[object] = [root]
    seen = _Seen()
    seen.first(id(root))
    position = walked = 0
    clock = time.perf_counter
    until = clock() + STEP_S
    while position < len(held) and len(held) < MAX_HELD:
        node = held[position]
        position += 1
        if position % PER_STEP == 0:  # most are strings and numbers, not walked
            yield
            until = clock() + STEP_S
        if not _walked(node):
            continue
        for part in gc.get_referents(node):  # a tuple of 10,000 rules is 10,000 parts
            walked += 1
            if walked % PER_STEP == 0 or (walked % CHECK_EVERY == 0 and clock() >= until):
                yield
                until = clock() + STEP_S
            if seen.first(id(part)):
                held.append(part)
    return held


def release(held: list[object]) -> Steps[None]:
    """Let go of `held` (from `hold`) one object at a time, parents first, so each step frees little."""
    held.reverse()
    clock = time.perf_counter
    while held:
        until = clock() + STEP_S
        for _ in range(min(PER_STEP, len(held))):
            held.pop()
            if clock() >= until:
                break
        yield
