"""Players' direct messages to the bot: each goes to the runtime, its replies back in the DM.

What a player writes in their own private case thread goes to the runtime the same way (as
`where: thread`); anyone else's words in a case thread (staff reading along) are not the player's.

Discord does not replay messages to a bot that was down, so at start-up `catch_up` reads the
DMs of the most recently active players after the newest message already handled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import discord

from engine.config.model import DM, THREAD, Config
from engine.discord.chat import DiscordChat, send_part
from engine.discord.interactions import person, read_attachments
from engine.discord.render import message_parts
from engine.events import Event, Outcome, User
from engine.runtime.places import player_key

log = logging.getLogger(__name__)

CATCH_UP_PLAYERS = 200  # at start-up, the DMs of this many most recently active players are read back
CATCH_UP_MESSAGES = 50  # per player


class EventHandler(Protocol):
    """The part of engine.runtime.Runtime the Discord side calls."""

    async def handle(self, event: Event) -> Outcome: ...


class DmWatermarks(Protocol):
    """Where each player's DM was read to (the store keeps it)."""

    async def dm_watermarks(self, limit: int) -> dict[str, int]: ...

    async def get_setting(self, key: str) -> str | None: ...


@dataclass(eq=False)
class DmIntake:
    """A player's DM becomes an Event for the runtime; the replies are sent in the same DM."""

    client: discord.Client
    chat: DiscordChat
    store: DmWatermarks
    config_provider: Callable[[], Config]
    guild: Callable[[], discord.Guild | None]
    runtime: Callable[[], EventHandler | None]

    async def where(self, message: discord.Message) -> str | None:
        """'dm', 'thread' for the player writing in their own case thread, else None (not for the bot)."""
        if message.guild is None:
            return DM
        if isinstance(message.channel, (discord.TextChannel, discord.ForumChannel)):
            return None  # an archived thread may come as a partial channel: looked up by id below
        owner = await self.store.get_setting(player_key(str(message.channel.id)))
        return THREAD if owner == str(message.author.id) else None

    async def on_message(self, message: discord.Message) -> None:
        """A player's DM to the bot, or words in their case thread, go to the runtime; replies go back."""
        if message.guild is None:
            self.chat.saw(message.channel.id, message.id)
        runtime = self.runtime()
        if message.author.bot or runtime is None:
            return
        where = await self.where(message)
        if where is None:
            return
        event = Event(
            kind="message",
            id=str(message.id),
            user=await self.player(message.author),
            where=where,
            at=message.created_at,
            text=message.content,
            files=await downloaded(message),
            mentions={str(user.id): user.display_name for user in message.mentions},
        )
        try:
            outcome = await runtime.handle(event)
        except Exception:
            log.exception("handling a DM from %s failed", message.author.id)
            return
        try:
            for reply in outcome.replies:
                for part in message_parts(reply):
                    await send_part(message.channel, part)
        except discord.HTTPException as exc:
            log.warning("could not answer a DM from %s: %s", message.author.id, exc)

    async def player(self, author: discord.abc.User) -> User:
        """The player behind a DM; their server roles are looked up only when a rule asks for roles."""
        guild = self.guild()
        if guild is None or not self.config_provider().index.uses_roles:
            return person(author)
        member = guild.get_member(author.id)
        if member is None:
            try:
                member = await guild.fetch_member(author.id)
            except discord.HTTPException:
                return person(author)
        return person(member)

    async def catch_up(self) -> int:
        """Read the DMs players sent while the bot was away; returns how many were handled.

        For the players who talked to the bot most recently, the DM is read after the newest
        message already handled. Each goes through `on_message`; an id seen before is dropped
        by the runtime.
        """
        if self.runtime() is None:
            return 0
        try:
            marks = await self.store.dm_watermarks(CATCH_UP_PLAYERS)
        except Exception:
            log.exception("could not read which DMs to catch up on")
            return 0
        handled = 0
        for user_id, newest in marks.items():
            try:
                user = self.client.get_user(int(user_id)) or await self.client.fetch_user(int(user_id))
                channel = user.dm_channel or await user.create_dm()
                after = discord.Object(newest)
                async for message in channel.history(after=after, oldest_first=True, limit=CATCH_UP_MESSAGES):
                    if not message.author.bot:
                        await self.on_message(message)
                        handled += 1
            except (discord.HTTPException, ValueError) as exc:
                log.warning("could not catch up on the DMs of player %s: %s", user_id, exc)
        if handled:
            log.info("caught up on %d DM(s) sent while the bot was away", handled)
        return handled


__all__ = ["CATCH_UP_MESSAGES", "CATCH_UP_PLAYERS", "DmIntake", "DmWatermarks", "EventHandler"]


async def downloaded(message: discord.Message) -> tuple[tuple[str, bytes], ...]:
    """The message's files, read at once (Discord's links to them expire)."""
    return await read_attachments(message.attachments, message.author.id)
