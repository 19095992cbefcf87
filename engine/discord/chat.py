"""The runtime's chat side on Discord: DMs and channel posts, with errors the outbox understands.

Long text is split into clean parts, each part carries a nonce derived from the message's key,
sent with `enforce_nonce` (so Discord drops a duplicate of a send whose answer was lost, within
its window of a few minutes), and parts already delivered for a key are remembered, so a retried
message resumes where it stopped instead of repeating itself. When a DM ends without an answer
(a timeout, a dropped connection, a 5xx), the retry first looks at the DM's newest messages: if
the part is there, made by the bot after the newest message known before that send (our own
sends and the DMs the gateway shows keep that id), it counts as delivered. So a lost answer never
doubles a DM, even past the nonce window. Without such an id (the first send to a DM after a
restart) and for channel posts (the bot does not follow server channels), the nonce alone guards.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp
import discord

from engine.attachments import Upload
from engine.bounded import BoundedMap
from engine.discord import threads
from engine.discord.render import MessagePart, message_parts
from engine.events import OutMessage
from engine.ports import DeliveryError

log = logging.getLogger(__name__)

CANNOT_DM = 50007  # Discord: "Cannot send messages to this user"
_REMEMBERED = 4096
RECENT = 10  # newest messages read to find a part whose send ended without an answer


def delivery_error(exc: BaseException, where: str) -> DeliveryError:
    """The DeliveryError for a failed Discord call: permanent when retrying cannot help."""
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(f"Discord rate limit while sending to {where}", retry_after=exc.retry_after)
    if isinstance(exc, discord.Forbidden):
        if exc.code == CANNOT_DM:
            return DeliveryError(
                f"{where} does not accept direct messages from the bot (Discord error {CANNOT_DM})",
                permanent=True,
                dm_closed=True,
            )
        return DeliveryError(
            f"the bot is not allowed to send to {where}: {exc.text or 'Missing Permissions'}; "
            "check the bot's role and the channel permissions",
            permanent=True,
        )
    if isinstance(exc, discord.NotFound):
        return DeliveryError(f"{where} no longer exists on Discord", permanent=True)
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429 or exc.status >= 500:
            return DeliveryError(
                f"Discord answered {exc.status} while sending to {where}", retry_after=_retry_after(exc)
            )
        return DeliveryError(
            f"Discord refused the message for {where}: {exc.text or exc.status}", permanent=True
        )
    if isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError, OSError)):
        return DeliveryError(f"could not reach Discord while sending to {where}: {exc}")
    return DeliveryError(f"could not send to {where}: {exc}", permanent=True)


def _retry_after(exc: discord.HTTPException) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class DiscordChat:
    """engine.ports.ChatSide for Discord. `guild` returns the configured server once it is known."""

    def __init__(self, client: discord.Client, guild: Callable[[], discord.Guild | None]) -> None:
        self._client = client
        self._guild = guild
        self._sent: BoundedMap[str, list[str]] = BoundedMap(_REMEMBERED)  # message key -> ids sent
        self._uncertain: BoundedMap[str, int] = BoundedMap(_REMEMBERED)  # part nonce -> newest id before
        self._newest: BoundedMap[int, int] = BoundedMap(_REMEMBERED)  # channel -> newest message id seen

    async def send_dm(self, user_id: str, message: OutMessage, files: Sequence[Upload] = ()) -> str:
        """DM a player (then `files` as Discord file uploads); returns the id of the first message."""
        where = f"player {user_id}"
        try:
            user = self._client.get_user(int(user_id)) or await self._client.fetch_user(int(user_id))
            channel = user.dm_channel or await user.create_dm()
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            raise delivery_error(exc, where) from exc
        return await self._deliver_with_files(channel, message, files, where)

    async def post(self, channel: str, message: OutMessage, *, tags: tuple[str, ...] = ()) -> str:
        """Post in a channel of the configured server, by name; returns the id of the first message.

        In a forum, the message becomes a post of its own wearing `tags` ("<post id>/<message id>").
        """
        guild = self._guild()
        if guild is None:
            raise DeliveryError("the bot is not connected to the configured Discord server yet")
        target = threads.named_channel(guild, channel)
        if isinstance(target, discord.ForumChannel):
            return await threads.create_post(target, message, tags)
        if not isinstance(target, discord.TextChannel):
            raise DeliveryError(
                f"there is no #{channel} channel in {guild.name}; create it or change the config",
                permanent=True,
            )
        return await self._deliver(target, message, f"#{channel}")

    async def edit(
        self,
        channel: str,
        message_id: str,
        message: OutMessage,
        *,
        tags: tuple[str, ...] = (),
        closed: bool = False,
    ) -> None:
        """Replace a message the bot posted in a channel with the first part of `message`.

        A forum post gets the new tags too, and is locked when `closed`.
        """
        if "/" in message_id:
            await threads.edit_post(self._client, message_id, message, tags, closed)
            return
        guild = self._guild()
        target = discord.utils.get(guild.text_channels, name=channel) if guild is not None else None
        if target is None:
            raise DeliveryError(f"#{channel} is not reachable to update message {message_id}")
        kwargs = message_parts(message)[0].send_kwargs()
        try:
            await target.get_partial_message(int(message_id)).edit(**kwargs)
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            raise delivery_error(exc, f"#{channel}") from exc

    async def open_thread(self, channel: str, name: str, user_id: str, staff: str | None) -> str:
        """A private case thread in `channel` with the player (and the staff role) in it; its id."""
        guild = self._guild()
        if guild is None:
            raise DeliveryError("the bot is not connected to the configured Discord server yet")
        return await threads.open_case_thread(guild, channel, name, user_id, staff)

    async def send_thread(self, thread_id: str, message: OutMessage, files: Sequence[Upload] = ()) -> str:
        """Say something in a player's case thread (then `files` as Discord file uploads); returns the
        id of the first Discord message."""
        thread = await threads.thread_by_id(self._client, thread_id)
        return await self._deliver_with_files(thread, message, files, f"thread {thread.name}")

    async def close_thread(self, thread_id: str, *, closed: bool) -> None:
        """Archive and lock a case thread, or open it again."""
        await threads.set_closed(await threads.thread_by_id(self._client, thread_id), closed)

    async def _deliver_with_files(
        self, channel: discord.abc.Messageable, message: OutMessage, files: Sequence[Upload], where: str
    ) -> str:
        """The text (if any), then the files in one message; the id of the first message sent."""
        first = await self._deliver(channel, message, where) if message.text or message.embeds else ""
        if files:
            uploads = [discord.File(io.BytesIO(f.data), filename=f.name) for f in files]
            try:
                sent = await channel.send(files=uploads)
            except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as exc:
                raise delivery_error(exc, where) from exc
            first = first or str(sent.id)
        return first

    async def _deliver(self, channel: discord.abc.Messageable, message: OutMessage, where: str) -> str:
        parts = message_parts(message)
        if not parts:
            raise DeliveryError("the message is empty", permanent=True)
        sent = self._sent.get(message.key, []) if message.key else []
        for part in parts[len(sent) :]:
            sent.append(await self._send_once(channel, part, where))
            if message.key:
                self._sent.put(message.key, sent)
        return sent[0]

    async def _send_once(self, channel: discord.abc.Messageable, part: MessagePart, where: str) -> str:
        """Send one part, unless an earlier send of it whose answer was lost did arrive."""
        nonce = part.nonce
        before: int | None = None  # the newest id known in this DM before the send, if any
        try:
            if nonce is not None and nonce in self._uncertain:
                found = await self._find_sent(channel, part, self._uncertain[nonce])
                if found is not None:
                    del self._uncertain[nonce]
                    self.saw(_channel_id(channel), int(found))
                    return found
            if isinstance(channel, discord.DMChannel):
                before = self._newest.get(_channel_id(channel))
            result = await send_part(channel, part)
        except (TimeoutError, discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            if nonce is not None and before is not None and _outcome_unknown(exc):
                self._uncertain.remember(nonce, before)
            error = delivery_error(exc, where)
            log.warning(
                "send to %s failed (%s): %s", where, "permanent" if error.permanent else "will retry", error
            )
            raise error from exc
        if nonce is not None:
            self._uncertain.pop(nonce, None)
        self.saw(_channel_id(channel), result.id)
        return str(result.id)

    def saw(self, channel_id: int, message_id: int) -> None:
        """A message exists in this channel (sent by us, or shown by the gateway): looks start after it."""
        self._newest.put(channel_id, max(self._newest.get(channel_id, 0), message_id))

    async def _find_sent(self, channel: discord.abc.Messageable, part: MessagePart, after: int) -> str | None:
        """The id of the bot's message for `part` made after message `after`, if Discord has one."""
        me = self._client.user
        titles = [embed.title for embed in part.embeds]
        async for found in channel.history(limit=RECENT):
            if found.id <= after:
                break
            if (
                me is not None
                and found.author.id == me.id
                and found.content == part.content
                and [embed.title for embed in found.embeds] == titles
            ):
                return str(found.id)
        return None


def _channel_id(channel: discord.abc.Messageable) -> int:
    return int(getattr(channel, "id", 0))


def _outcome_unknown(exc: BaseException) -> bool:
    """True when a send may have reached Discord although no answer says so."""
    if isinstance(exc, discord.HTTPException):
        return exc.status >= 500
    if isinstance(exc, aiohttp.ClientConnectorError):  # never connected: nothing was sent
        return False
    return isinstance(exc, (TimeoutError, aiohttp.ClientError, OSError))


async def send_part(channel: discord.abc.Messageable, part: MessagePart) -> discord.Message:
    """Send one part of a message, with its nonce when it has one."""
    kwargs: dict[str, Any] = part.send_kwargs()
    if part.nonce is not None:
        kwargs["nonce"] = part.nonce
    return await channel.send(**kwargs)
