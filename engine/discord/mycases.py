"""`/mycases`: a player's open cases, each with its status and a link to its thread or forum post."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord
from discord import app_commands

from engine.runtime.places import thread_key
from engine.store import CaseRecord, MessageRecord

NAME = "mycases"
CLOSED = "closed"


class CaseStore(Protocol):
    async def list_cases(
        self, *, status: str | None = None, template: str | None = None
    ) -> list[CaseRecord]: ...

    async def case_transcript(self, ref: str) -> list[MessageRecord]: ...

    async def get_setting(self, key: str) -> str | None: ...

    async def conversation(self, user_id: str) -> Any: ...


def channel_link(guild_id: int, channel_id: str) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}"


async def case_links(
    store: CaseStore, guild_id: int, user_id: str, cases: list[CaseRecord]
) -> dict[str, str]:
    """Where each case lives: its forum post, or the player's case thread."""
    links: dict[str, str] = {}
    for case in cases:
        posted = [
            m.platform_id
            for m in await store.case_transcript(case.ref)
            if m.platform_id and "/" in m.platform_id
        ]
        if posted:
            links[case.ref] = channel_link(guild_id, posted[0].partition("/")[0])
    thread = await store.get_setting(thread_key(user_id))
    conversation = await store.conversation(user_id)
    if thread and conversation is not None and conversation.case_ref:
        links.setdefault(conversation.case_ref, channel_link(guild_id, thread))
    return links


async def my_cases_text(store: CaseStore, guild_id: int, user_id: str) -> str:
    """The answer to /mycases, newest case first."""
    cases = [c for c in await store.list_cases() if c.reporter_id == user_id and c.status != CLOSED]
    if not cases:
        return "You have no open cases."
    cases.sort(key=lambda c: c.created_at, reverse=True)
    links = await case_links(store, guild_id, user_id, cases)
    lines = ["Your open cases:"]
    for case in cases:
        where = f" · {links[case.ref]}" if case.ref in links else ""
        lines.append(f"**{case.ref}** · {case.title} · {case.status}{where}")
    return "\n".join(lines)[:2000]


Runner = Callable[[discord.Interaction[Any]], Awaitable[None]]


class MyCases:
    """Answers /mycases from the store, privately."""

    def __init__(self, store: object, guild_id: Callable[[], int | None]) -> None:
        self.store = store
        self.guild_id = guild_id

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        store: Any = self.store  # the full store (engine.store.Store) in every real assembly
        text = await my_cases_text(store, self.guild_id() or 0, str(interaction.user.id))
        await interaction.response.send_message(text, ephemeral=True)


def build_command(run: Runner) -> app_commands.Command[Any, ..., None]:
    """The built-in /mycases command (ephemeral answer)."""

    async def callback(interaction: discord.Interaction[Any]) -> None:
        await run(interaction)

    return app_commands.Command(
        name=NAME, description="Your open cases and where to follow them", callback=callback
    )
