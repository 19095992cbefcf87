"""Delivering to the player wherever their conversation lives: their DMs or their case thread.

The outbox hands this module the items of a player's DM lane: messages, and the case thread being
opened, closed (archived and locked) or reopened. A DM Discord refuses because the player does not
accept DMs (error 50007) opens a case thread instead, when `discord.threads.dm_fallback` allows it,
and the player is told there why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.attachments import Upload
from engine.config.model import ThreadSettings
from engine.deliveries import CaseThread
from engine.events import OutMessage
from engine.ports import ChatSide, DeliveryError, ThreadSide
from engine.runtime.generation import Generation
from engine.runtime.places import moved_to, thread_of
from engine.store import StorageError, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Fallback:
    """Where a player whose DMs are closed is moved, and what they are told there."""

    settings: ThreadSettings
    notice: str


def fallback_of(generation: Generation) -> Fallback | None:
    """A player whose DMs are closed is moved to a case thread, unless the config says not to."""
    settings = generation.config.discord.threads
    if settings is None or not settings.dm_fallback:
        return None
    return Fallback(settings, generation.templates.render(generation.message("moved_to_thread"), {}, ""))


class PlayerDelivery:
    """Sends a DM lane's items through the chat side, into the player's thread when they are in one."""

    def __init__(self, store: Store, chat: ChatSide, fallback: Callable[[], Fallback | None]) -> None:
        self.store = store
        self.chat = chat
        self.threads = chat if isinstance(chat, ThreadSide) else None
        self.fallback = fallback

    async def keep_agents_files(
        self, user_id: str, case_ref: str | None, who: str | None, files: list[Upload], at: datetime
    ) -> None:
        """An agent's files, once the player has them, are kept with the case like the player's own
        (`cases show` lists them; retention and `players forget` erase them). The player has them
        already: a store that fails now is logged, not a reason to send them twice."""
        if not files:
            return
        try:
            async with self.store.transaction() as tx:
                for file in files:
                    await tx.add_attachment(
                        case_ref=case_ref, user_id=user_id, who=who or "agent", file=file, at=at
                    )
        except StorageError as exc:
            log.error("an agent's file reached player %s but could not be kept: %s", user_id, exc)

    async def dm(
        self,
        user_id: str,
        message: OutMessage,
        case_ref: str | None,
        thread: str | None,
        files: Sequence[Upload] = (),
    ) -> str:
        """Say something to the player where their conversation is: `thread`, the case thread it is
        in (read with the item's claim), or their DMs (an agent's `files` after the text)."""
        if thread is not None and self.threads is not None:
            return await self.threads.send_thread(thread, message, files)
        try:
            return await self.chat.send_dm(user_id, message, files)
        except DeliveryError as exc:
            plan = self.fallback()
            if not exc.dm_closed or plan is None or self.threads is None:
                raise
            name = f"{case_ref} · chat" if case_ref else "Chat with the support team"
            moved = CaseThread(user_id, "open", plan.settings.channel, name, plan.settings.staff)
            thread = await self._open(moved)
            await self.threads.send_thread(thread, OutMessage(plan.notice, key=f"{message.key}:moved"))
            return await self.threads.send_thread(thread, message, files)

    async def thread(self, change: CaseThread, thread: str | None) -> None:
        """Open the player's case thread, or close (archive and lock) or reopen `thread`, the one
        they are in."""
        if change.action == "open":
            await self._open(change)
            return
        if thread is not None and self.threads is not None:
            await self.threads.close_thread(thread, closed=change.action == "close")

    async def _thread_of(self, user_id: str) -> str | None:
        async with self.store.view() as view:
            return await thread_of(view, user_id)

    async def _open(self, change: CaseThread) -> str:
        if self.threads is None:
            raise DeliveryError("this chat side has no threads", permanent=True)
        known = await self._thread_of(change.user_id)
        if known is not None:
            return known
        thread = await self.threads.open_thread(change.channel, change.name, change.user_id, change.staff)
        async with self.store.transaction() as tx:
            await moved_to(tx, change.user_id, thread)
        return thread
