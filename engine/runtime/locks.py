"""One asyncio lock per key (a player, an outbox lane), created on demand and dropped when idle."""

from __future__ import annotations

import asyncio
from types import TracebackType


class KeyedLock:
    """Serialises work per key while different keys run concurrently."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._holders: dict[str, int] = {}

    def hold(self, key: str) -> Held:
        """`async with locks.hold(key):` the key's work, one at a time."""
        return Held(self, key)

    def busy(self, key: str) -> bool:
        """Whether someone holds the key's lock or waits for it."""
        return key in self._holders


class Held:
    """One holding of a key's lock (a class, not a generator: it is taken for every event)."""

    __slots__ = ("_key", "_lock", "_locks")

    def __init__(self, locks: KeyedLock, key: str) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        locks, key = self._locks, self._key
        self._lock = locks._locks.setdefault(key, asyncio.Lock())
        locks._holders[key] = locks._holders.get(key, 0) + 1
        try:
            await self._lock.acquire()
        except BaseException:
            self._leave()
            raise

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._lock.release()
        self._leave()

    def _leave(self) -> None:
        holders = self._locks._holders
        holders[self._key] -= 1
        if not holders[self._key]:
            del holders[self._key]
            del self._locks._locks[self._key]
