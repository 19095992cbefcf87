"""The sandbox's Discord: a SimCord server built from the config, with the real flexcord bot attached.

SimCord runs the unmodified discord.py client against an in-memory Discord, so slash commands,
forms, buttons, permission checks and DMs go through the same adapter code as production.
The server has the config's roles and channels plus #general, and five people: three players,
a moderator and an admin; what they do is in engine.sandbox.players.

SimCord allows one driving operation at a time and waits after each one until the bot's work
has settled, so every operation here holds `lock`. Discord's clock only moves when it is told
to; a follower task moves it along with the sandbox clock every second (the bot reads the time
of a message or command from Discord, so rules with `hours:` follow the sandbox clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import simcord
from simcord import ChannelHandle, GuildHandle, MemberActor, RoleHandle, UserHandle
from simcord.backend.cdn import CDN_BASE

from engine.config.model import DM, Channel, Config
from engine.discord.chat import CANNOT_DM
from engine.sandbox import threads
from engine.sandbox.clock import SandboxClock
from engine.sandbox.ledger import MessageLedger
from engine.sandbox.locales import CLIENT_LOCALES
from engine.sandbox.payloads import message_json

# Who a channel permission overwrite is for, as SimCord's guild takes it.
Overwritten = (
    RoleHandle | MemberActor | UserHandle | discord.Role | discord.Member | discord.User | discord.ClientUser
)

log = logging.getLogger(__name__)


GENERAL = "general"
PLAYERS = ("ash", "misty", "brock", "lucia", "joao")
MODERATOR = ("mod_jenny", "moderator")
ADMIN = "prof_oak"
LEAP = 300.0  # seconds: a longer jump of Discord's clock reconnects the bot rather than stepping
KEEP_LOG = 2000  # SimCord keeps every REST call and gateway event; a long session keeps the last ones
_MANAGED = {
    "view": ("view_channel",),
    "send": ("send_messages",),
    "threads": ("create_public_threads", "create_private_threads", "send_messages_in_threads"),
}


class Refused(Exception):
    """A player action that cannot be done, in plain words; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(slots=True)
class Person:
    """A sample member of the server: their user (for DMs), member (for channels) and role names."""

    name: str
    user: UserHandle
    member: MemberActor
    roles: tuple[str, ...]
    locale: str = "en-US"  # the language of their Discord app


class SandboxGuild:
    """The emulated Discord server: its channels, roles and people, its clock, and what each person sees."""

    def __init__(
        self,
        client: discord.Client,
        config: Config,
        clock: SandboxClock,
        *,
        settle: float = 10.0,
        receipts: Path | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        # SimCord's clock starts on 2026-01-01 and only moves forward, stepping through every timer
        # the bot set. A stand-in bot (no timers) is attached while it leaps to the sandbox's time.
        # Everything below is made at that fixed moment, in the same order every time, so the
        # server, its channels and its people keep their ids when the sandbox restarts.
        self._stand_in = discord.Client(intents=discord.Intents(guilds=True))
        self.env = simcord.Env(self._stand_in, check_errors=False, settle_timeout=settle)
        self.ledger = MessageLedger(receipts)  # nonces enforced as Discord does; receipts if asked
        self.ledger.attach(self.env.backend)
        self.lock = asyncio.Lock()
        self._follower: asyncio.Task[None] | None = None
        self._errors_seen = 0
        self._members: dict[str, discord.Member] = {}
        self.topics: dict[str, str | None] = {}
        self._send_roles: dict[str, tuple[str, ...]] = {}
        self.guild: GuildHandle = self.env.create_guild(config.discord.guild)
        self._bot_role = next(r for n, r in self.guild.roles.items() if n != "@everyone")  # the bot's own
        self.roles: dict[str, RoleHandle] = {}
        self._ensure_roles(config)
        self.channels: dict[str, ChannelHandle] = {}
        self._ensure_channels(config)
        self.people: dict[str, Person] = {}
        for name, roles in self._cast(config):
            user = self.env.create_user(name)
            member = self.guild.add_member(user, roles=[self.roles[r] for r in roles])
            self.people[name] = Person(name, user, member, roles, CLIENT_LOCALES.get(name, "en-US"))
        self._remember_send_roles(config)

    def client_locale(self, user_id: int) -> str | None:
        """The app language of the person with this Discord id (None: not one of the sample people)."""
        return next((p.locale for p in self.people.values() if p.user.id == user_id), None)

    @staticmethod
    def _cast(config: Config) -> list[tuple[str, tuple[str, ...]]]:
        return [(name, ()) for name in PLAYERS] + [
            (MODERATOR[0], (MODERATOR[1],)),
            (ADMIN, (config.discord.admin_role,)),
        ]

    def _ensure_roles(self, config: Config) -> None:
        for name in dict.fromkeys((*config.roles, MODERATOR[1], config.discord.admin_role)):
            if name not in self.roles:
                self.roles[name] = self.guild.create_role(name)

    def _ensure_channels(self, config: Config) -> None:
        """Create the config's channels (and #general) that the server does not have yet."""
        wanted: dict[str, Channel | None] = {GENERAL: None, **dict(config.channels)}
        for name, channel in wanted.items():
            if name in self.channels:
                continue
            overwrites = self._overwrites(channel) if channel is not None else {}
            topic = channel.topic if channel is not None else "Chat with the community"
            if channel is not None and channel.forum:
                self.channels[name] = self._forum(config, name)
            else:
                overwrites |= self._staff(config, name)
                self.channels[name] = self.guild.create_text_channel(name, topic=topic, overwrites=overwrites)
            self.topics[name] = topic

    def _forum(self, config: Config, name: str) -> ChannelHandle:
        """A forum channel offering the status tags of the cases posted there."""
        forum = self.guild.create_forum_channel(name)
        names = threads.forum_tags(config, name)
        ids = [self.env.backend.snowflake() for _ in names]
        forum._channel.available_tags = threads.tag_payloads(names, ids)  # SimCord has no tag builder
        return forum

    def _staff(self, config: Config, name: str) -> dict[Overwritten, discord.PermissionOverwrite]:
        """In the case-thread channel the staff role manages threads, as `flexcord plan` sets it up."""
        settings = config.discord.threads
        role = (
            self.roles.get(settings.staff or "")
            if settings is not None and settings.channel == name
            else None
        )
        return {role: discord.PermissionOverwrite(manage_threads=True)} if role is not None else {}

    def _overwrites(self, channel: Channel) -> dict[Overwritten, discord.PermissionOverwrite]:
        """The config's view/send/threads lists as overwrites: @everyone denied, listed roles allowed."""
        everyone = discord.PermissionOverwrite()
        allowed: dict[Overwritten, discord.PermissionOverwrite] = {}
        for key, permissions in _MANAGED.items():
            roles = getattr(channel, key)
            if roles is None:
                continue
            for permission in permissions:
                setattr(everyone, permission, False)
            for role in (*roles, None):
                target = self._bot_role if role is None else self.roles.get(role)
                if target is not None:
                    overwrite = allowed.setdefault(target, discord.PermissionOverwrite())
                    for permission in permissions:
                        setattr(overwrite, permission, True)
        return {self.guild.default_role: everyone, **allowed} if allowed else {}

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect the bot (READY, the server, its commands synced), then let Discord's clock follow ours.

        Under the lock: a replica taking over the gateway starts this while its page already serves.
        """
        async with self.lock:
            await self.env.start()
            await self._attach_bot()
        self._follower = asyncio.get_running_loop().create_task(self._follow())

    async def _attach_bot(self) -> None:
        """With the stand-in attached, jump Discord's clock to the sandbox's in one step; then the bot."""
        ahead = (self.clock() - self.env.now()).total_seconds()
        if ahead > 0:
            await self.env.advance_time(ahead)
        await self.env.restart_bot(self.client)
        # The bot asks for no member intent, so it caches no members: fetch each one (roles do not
        # change here) to compute their permissions the way discord.py does.
        guild = self.client.get_guild(self.guild.id)
        if guild is not None:
            for person in self.people.values():
                self._members[person.name] = await guild.fetch_member(person.member.id)

    async def stop(self) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        async with self.lock:
            await self.env.shutdown()

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.follow_clock()
            except Exception:  # a slow bot must not stop the clock for good
                log.debug("Discord's clock could not follow this time", exc_info=True)

    async def follow_clock(self) -> None:
        async with self.lock:
            ahead = (self.clock() - self.env.now()).total_seconds()
            if ahead > LEAP:  # stepping through every timer of the bot would take long: reconnect it
                await self.env.restart_bot(self._stand_in)
                await self._attach_bot()
            elif ahead > 0:
                await self.env.advance_time(ahead)
            for log_list in (self.env.http_requests, self.env.backend.transcript):
                del log_list[:-KEEP_LOG]
            self.log_bot_errors()

    def log_bot_errors(self) -> None:
        """Log what the bot raised since the last look (SimCord captures it instead of crashing)."""
        for error in self.env.errors_since(self._errors_seen):
            log.error("the bot raised an error: %s", error, exc_info=error)
        self._errors_seen = self.env.error_cursor

    async def update(self, config: Config) -> None:
        """After a reload: create channels and roles the new config names (nothing is deleted)."""
        async with self.lock:
            self._ensure_roles(config)
            self._ensure_channels(config)
            self._remember_send_roles(config)

    async def inject_fault(self, status: int | str, count: int) -> None:
        """Fail the bot's next `count` message sends with `status` (429, 500; "timeout": made, unanswered)."""
        async with self.lock:
            if status == "timeout":
                self.ledger.lose_answers(count)
                return
            self.env.inject_error(
                "POST",
                "/channels/*/messages",
                status=int(status),
                times=count,
                message="Injected by the sandbox",
            )

    async def refuse_dms(self, person: Person) -> None:
        """The player blocks DMs from the bot: every DM to them fails with Discord's error 50007."""
        async with self.lock:
            channel = person.user.dm_channel
            self.env.inject_error(
                "POST",
                f"/channels/{channel.id}/messages",
                status=403,
                code=CANNOT_DM,
                message="Cannot send messages to this user",
                times=None,
            )

    # --- what players see ----------------------------------------------------------------------

    def person(self, name: str) -> Person:
        person = self.people.get(name)
        if person is None:
            raise Refused(f"There is no player called '{name}'; pick one of {', '.join(self.people)}.", 404)
        return person

    def channel(self, name: str) -> ChannelHandle:
        found = (
            threads.find(self.channels, name) if threads.is_key(name) else self.channels.get(name.lstrip("#"))
        )
        channel = found
        if channel is None:
            raise Refused(f"There is no #{name} channel in {self.guild.name}.", 404)
        return channel

    def permissions(self, person: Person, channel: str) -> discord.Permissions:
        """What Discord lets this person do in a channel (computed by discord.py from the overwrites)."""
        guild = self.client.get_guild(self.guild.id)
        member = self._members.get(person.name)
        target = guild.get_channel_or_thread(self.channel(channel).id) if guild is not None else None
        if member is None or target is None:
            return discord.Permissions.none()
        return target.permissions_for(member)

    @property
    def bot_id(self) -> int | None:
        return self.client.user.id if self.client.user is not None else None

    def messages(self, user: str, channel: str) -> list[dict[str, Any]]:
        """The messages this person sees in a channel or in their DM with the bot, oldest first."""
        person = self.person(user)
        if channel == DM:
            history = person.user.dm_channel.history(viewer=person.user)
        else:
            handle = self.channel(channel)
            if not self.can_view(person, channel):
                raise Refused(f"{person.name} cannot see {handle.name}.")
            try:
                history = handle.history(viewer=person.member)
            except simcord.SetupError as exc:  # e.g. reading the history is not allowed
                raise Refused(f"{person.name} cannot read #{channel}.") from exc
        return [message_json(message, self.bot_id) for message in history]

    def file(self, channel_id: int, attachment_id: int, name: str) -> bytes | None:
        """The bytes of a file on a message, as the emulated Discord's CDN keeps them."""
        return self.env.backend.cdn.get(f"{CDN_BASE}/attachments/{channel_id}/{attachment_id}/{name}")

    def can_view(self, person: Person, channel: str) -> bool:
        """Whether this person sees a channel, a forum post or a (private) case thread."""
        handle = self.channel(channel)
        if not handle.is_thread:
            return bool(self.permissions(person, channel).view_channel)
        parent = next(name for name, h in self.channels.items() if h.id == handle._channel.parent_id)
        return threads.can_view(handle, person.member.id, self.permissions(person, parent))

    def threads_of(self, channel: str) -> list[dict[str, Any]]:
        """The threads or forum posts of a channel, newest last, with who sees each."""
        handle = self.channels[channel]
        tags = threads.available(handle)
        return [
            threads.thread_json(
                t, tags, {p.name: self.can_view(p, threads.key(t.id)) for p in self.people.values()}
            )
            for t in handle.threads
        ]

    def who_may_send(self, channel: str) -> str:
        roles = self._send_roles.get(channel, ())
        return f"only {', '.join(roles)} can post there." if roles else "the channel is read-only for them."

    def _remember_send_roles(self, config: Config) -> None:
        """Remember who may post where, for refusals in plain words."""
        self._send_roles = {name: tuple(c.send or ()) for name, c in config.channels.items()}
