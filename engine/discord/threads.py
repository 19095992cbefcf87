"""Private case threads and forum posts on Discord.

A case thread is a private thread in `discord.threads.channel`: the bot adds the player and the
members of the staff role, and archives and locks it when the case closes. A forum post is a
thread of its own in a forum channel: the case's form as its first message, a tag per status.
The ids the runtime keeps for a forum post are "<thread id>/<first message id>".
"""

from __future__ import annotations

import re

import aiohttp
import discord

from engine.discord import chat
from engine.discord.render import message_parts
from engine.events import OutMessage
from engine.ports import DeliveryError

CASE_REF = re.compile(r"^([A-Z][A-Z0-9]{0,9}-\d+)\b")
ERRORS = (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError)


def case_ref_of(channel: object) -> str | None:
    """The case reference a case thread or forum post is named after ("BUG-3: crash" -> "BUG-3")."""
    if not isinstance(channel, discord.Thread):
        return None
    found = CASE_REF.match(channel.name)
    return found.group(1) if found else None


def named_channel(guild: discord.Guild, name: str) -> discord.abc.GuildChannel | None:
    """A text or forum channel of the server, by name."""
    return next(
        (
            c
            for c in guild.channels
            if c.name == name and isinstance(c, (discord.TextChannel, discord.ForumChannel))
        ),
        None,
    )


def forum_tags(forum: discord.ForumChannel, names: tuple[str, ...]) -> list[discord.ForumTag]:
    """The forum's tags with these names (any letter case); a tag the forum lacks is left out."""
    wanted = {name.casefold() for name in names}
    return [tag for tag in forum.available_tags if tag.name.casefold() in wanted]


async def open_case_thread(
    guild: discord.Guild, channel: str, name: str, user_id: str, staff: str | None
) -> str:
    """Open a private thread in `channel`, add the player and the staff role's members; its id."""
    parent = named_channel(guild, channel)
    if not isinstance(parent, discord.TextChannel):
        raise DeliveryError(
            f"there is no text channel #{channel} in {guild.name} for case threads; create it or change "
            "discord.threads.channel",
            permanent=True,
        )
    try:
        thread = await parent.create_thread(
            name=name, type=discord.ChannelType.private_thread, invitable=False, auto_archive_duration=10080
        )
        await thread.add_user(discord.Object(int(user_id)))
        role = discord.utils.find(lambda r: r.name.casefold() == (staff or "").casefold(), guild.roles)
        if role is not None:  # mentioning the role brings its members in (the bot cannot list them)
            await thread.send(
                f"{role.mention}: a private case thread with <@{user_id}>.",
                allowed_mentions=discord.AllowedMentions(roles=[role], users=False),
            )
    except ERRORS as exc:
        raise chat.delivery_error(exc, f"a case thread in #{channel}") from exc
    return str(thread.id)


async def thread_by_id(client: discord.Client, thread_id: str) -> discord.Thread:
    """A thread the bot can reach, from its cache or from Discord."""
    try:
        found = client.get_channel(int(thread_id)) or await client.fetch_channel(int(thread_id))
    except ERRORS as exc:
        raise chat.delivery_error(exc, f"thread {thread_id}") from exc
    if not isinstance(found, discord.Thread):
        raise DeliveryError(f"thread {thread_id} no longer exists on Discord", permanent=True)
    return found


async def set_closed(thread: discord.Thread, closed: bool) -> None:
    """Archive and lock a thread (its case closed), or open it again (the case reopened)."""
    try:
        await thread.edit(archived=closed, locked=closed)
    except ERRORS as exc:
        raise chat.delivery_error(exc, f"thread {thread.id}") from exc


async def create_post(forum: discord.ForumChannel, message: OutMessage, tags: tuple[str, ...]) -> str:
    """A forum post for a case: named after the case, its form as the first message, its status tag."""
    parts = message_parts(message)
    if not parts:
        raise DeliveryError("the message is empty", permanent=True)
    first = parts[0].send_kwargs()
    name = (message.embeds[0].title if message.embeds else message.text)[:100] or "Case"
    try:
        created = await forum.create_thread(name=name, applied_tags=forum_tags(forum, tags), **first)
    except ERRORS as exc:
        raise chat.delivery_error(exc, f"#{forum.name}") from exc
    return f"{created.thread.id}/{created.message.id}"


async def edit_post(
    client: discord.Client, post_id: str, message: OutMessage, tags: tuple[str, ...], closed: bool
) -> None:
    """Follow the case on its forum post: the first message and the tags change; closed, it is locked."""
    thread_id, _, first_id = post_id.partition("/")
    thread = await thread_by_id(client, thread_id)
    forum = thread.parent
    try:
        if thread.archived:
            await thread.edit(archived=False)
        await thread.get_partial_message(int(first_id)).edit(**message_parts(message)[0].send_kwargs())
        applied = forum_tags(forum, tags) if isinstance(forum, discord.ForumChannel) else []
        await thread.edit(applied_tags=applied, locked=closed, archived=closed)
    except ERRORS as exc:
        raise chat.delivery_error(exc, f"the post {thread.name}") from exc
