"""Free a large, dead config a piece at a time, off the event loop.

When the last reference to a 10,000-rule config goes, CPython frees the whole tree in one go, in
one C call that holds the interpreter lock: about 45 ms for the marked YAML document and 60 ms for
a generation, on whichever thread dropped it (after a swap, the event loop's). `hold` takes a
reference to every object of the tree in a worker thread, so the last reference dropped anywhere
frees only the top object; `release` then lets go of them one by one in a worker thread, which
gives the interpreter lock back to the loop every few milliseconds. `dismantle` does the same for a
tree of dicts and lists the caller owns alone (the marked YAML document), without holding it first.
"""

from __future__ import annotations

import gc
from types import MappingProxyType
from typing import Any

__all__ = ["MAX_HELD", "dismantle", "hold", "release"]

MAX_HELD = 5_000_000
"""At most this many objects are held; the rest of a larger tree is freed the usual way."""

_CONTAINERS = (dict, list, tuple, set, frozenset, MappingProxyType)


def _walked(node: object) -> bool:
    """Whether `node`'s parts belong to the config: containers and flexcord's own objects (never a
    class, a module or a function, which lead to everything else in the process)."""
    if isinstance(node, _CONTAINERS):
        return True
    if isinstance(node, type):
        return False
    return type(node).__module__.startswith("engine.")


def hold(root: object) -> list[Any]:
    """References to `root` and what it is made of, parents before their parts (run it in a thread)."""
    held: list[Any] = [root]
    seen = {id(root)}
    position = 0
    while position < len(held) and len(held) < MAX_HELD:
        node = held[position]
        position += 1
        if not _walked(node):
            continue
        for part in gc.get_referents(node):
            if id(part) not in seen:
                seen.add(id(part))
                held.append(part)
    return held


def release(held: list[Any]) -> None:
    """Let go of `held` (from `hold`) one object at a time, parents first, so each step frees little."""
    held.reverse()
    while held:
        held.pop()


def dismantle(node: object, depth: int = 4) -> None:
    """Empty the dicts and lists of `node` down to `depth` levels, one entry at a time, deepest
    first; each step frees one small subtree. Only for a tree nothing else refers to."""
    if depth <= 0:
        return
    if isinstance(node, dict):
        for attribute in vars(node).values() if hasattr(node, "__dict__") else ():
            dismantle(attribute, depth - 1)  # a MarkedDict's marks of its keys and values
        while node:
            _key, value = node.popitem()
            dismantle(value, depth - 1)
            del value
    elif isinstance(node, list):
        for attribute in vars(node).values() if hasattr(node, "__dict__") else ():
            dismantle(attribute, depth - 1)
        while node:
            value = node.pop()
            dismantle(value, depth - 1)
            del value
