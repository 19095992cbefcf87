"""Player messages the store refused (disk full, read-only, file gone), kept in order until it takes them.

A message is never marked handled before it is stored. While one of a player's DMs waits here,
that player's later DMs wait behind it, so no later message is recorded first: after a restart,
catch-up (which reads a player's DMs after the newest one recorded) still finds every one.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

from engine.config.model import DM
from engine.events import Event

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.05, 0.25, 1.0)  # seconds between the tries of one write before the message waits
MAX_WAITING = 10_000  # messages kept in memory; past it they are left to catch-up after a restart


def waits_when_refused(event: Event) -> bool:
    """DMs wait for the store; commands, forms and buttons fail and the player tries again."""
    return event.kind == "message" and event.where == DM


class Unstored:
    """Per player, in order: the DMs the store refused."""

    def __init__(self) -> None:
        self._waiting: dict[str, deque[Event]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def holds(self, user_id: str) -> bool:
        return user_id in self._waiting

    def add(self, event: Event) -> None:
        queue = self._waiting.setdefault(event.user.id, deque())
        if self._count < MAX_WAITING:
            queue.append(event)
            self._count += 1

    def players(self) -> list[str]:
        return list(self._waiting)

    def first(self, user_id: str) -> Event | None:
        queue = self._waiting.get(user_id)
        return queue[0] if queue else None

    def stored(self, user_id: str) -> None:
        """The player's first waiting message is stored (and handled) now."""
        queue = self._waiting[user_id]
        if queue:
            queue.popleft()
            self._count -= 1
        if not queue:
            del self._waiting[user_id]


class StorageObserver(Protocol):
    def storage_refused(self, waiting: int) -> None: ...

    def storage_recovered(self) -> None: ...


class StorageAlarm:
    """Tells /metrics of every refused write, and the admin channel once per outage and when it ends."""

    def __init__(
        self, observer: StorageObserver | None, alert: Callable[[str], Awaitable[None]] | None
    ) -> None:
        self._observer = observer
        self._alert = alert
        self._raised = False

    async def refused(self, exc: Exception, waiting: int) -> None:
        log.error("the store refused a write (%s); %d player message(s) wait to be stored", exc, waiting)
        if self._observer is not None:
            self._observer.storage_refused(waiting)
        if not self._raised:
            self._raised = True
            await self._tell(
                f"flexcord cannot save to its database ({exc}). Players' messages are kept and "
                "tried again; none is lost or marked handled until it is saved. Check the disk "
                "and the database file."
            )

    async def recovered(self, handled: int) -> None:
        if not self._raised:
            return
        self._raised = False
        if self._observer is not None:
            self._observer.storage_recovered()
        await self._tell(f"flexcord saves to its database again; {handled} waiting message(s) were handled.")

    async def _tell(self, text: str) -> None:
        if self._alert is None:
            return
        try:
            await self._alert(text)
        except Exception:
            log.exception("could not tell the admin channel about the database")
