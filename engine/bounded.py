"""A map that keeps at most `limit` entries, forgetting the least recently stored or touched first.

Caches whose entries can be read again elsewhere (Discord, Twilio) use it, so memory stays
bounded however long the bot runs: `BoundedMap(3)` holding a, b, c forgets `a` when `d` is put.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(OrderedDict[K, V]):
    """A dict that forgets its least recently stored entries past `limit`."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        if limit < 1:
            raise ValueError("a bounded map must hold at least one entry")
        self.limit = limit

    def put(self, key: K, value: V) -> None:
        """Store `value` as the newest entry, forgetting the oldest past the limit."""
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)

    def remember(self, key: K, value: V) -> V:
        """Store `value` only if `key` is new (as dict.setdefault), and return what `key` holds."""
        if key not in self:
            self.put(key, value)
        return self[key]


__all__ = ["BoundedMap"]
