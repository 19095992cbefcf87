"""Delivering to the player wherever their conversation lives: their DMs or their case thread.

The outbox hands this module the items of a player's DM lane: messages, and the case thread being
opened, closed (archived and locked) or reopened. A DM Discord refuses because the player does not
accept DMs (error 50007) opens a case thread instead, when `discord.threads.dm_fallback` allows it,
and the player is told there why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.config.model import ThreadSettings
from engine.events import OutMessage
from engine.ports import ChatSide, DeliveryError, ThreadSide
from engine.runtime.generation import Generation
from engine.runtime.places import moved_to, thread_of
from engine.runtime.wire import message_from_payload
from engine.store import OutboxItem, Store

THREAD_KINDS = ("thread_open", "thread_close", "thread_reopen")


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

    async def deliver(self, item: OutboxItem) -> str | None:
        """Deliver one item of a player's DM lane; returns the platform id of a message sent."""
        payload = item.payload
        user_id = str(payload.get("user_id") or payload.get("target"))
        if item.kind == "thread_open":
            await self._open(user_id, dict(payload))
            return None
        async with self.store.view() as view:
            thread = await thread_of(view, user_id)
        if item.kind in ("thread_close", "thread_reopen"):
            if thread is not None and self.threads is not None:
                await self.threads.close_thread(thread, closed=item.kind == "thread_close")
            return None
        message = message_from_payload(payload["message"])
        if thread is not None and self.threads is not None:
            return await self.threads.send_thread(thread, message)
        try:
            return await self.chat.send_dm(user_id, message)
        except DeliveryError as exc:
            plan = self.fallback()
            if not exc.dm_closed or plan is None or self.threads is None:
                raise
            thread = await self._open(user_id, _fallback_payload(plan.settings, item))
            await self.threads.send_thread(thread, OutMessage(plan.notice, key=f"{message.key}:moved"))
            return await self.threads.send_thread(thread, message)

    async def _open(self, user_id: str, payload: dict[str, Any]) -> str:
        if self.threads is None:
            raise DeliveryError("this chat side has no threads", permanent=True)
        async with self.store.view() as view:
            known = await thread_of(view, user_id)
        if known is not None:
            return known
        thread = await self.threads.open_thread(
            str(payload["channel"]), str(payload["name"]), user_id, payload.get("staff")
        )
        async with self.store.transaction() as tx:
            await moved_to(tx, user_id, thread)
        return thread


def _fallback_payload(settings: ThreadSettings, item: OutboxItem) -> dict[str, Any]:
    """A thread for a player whose DMs are closed: named after their case when there is one."""
    name = f"{item.case_ref} · chat" if item.case_ref else "Chat with the support team"
    return {"channel": settings.channel, "staff": settings.staff, "name": name}
