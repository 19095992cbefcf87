"""Channel permissions: a pure, printable plan of what differs from the config, and `apply` to make it so.

`plan(config, snapshot)` compares the `view`/`send`/`threads` lists of routes/server.yaml with a plain
snapshot of the server and lists each overwrite to change; only `apply` talks to Discord.
A list means "@everyone is denied, these roles are allowed"; no list means flexcord leaves that
permission alone. The bot always keeps access to the channels it manages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import discord

from engine.config.model import Config

log = logging.getLogger(__name__)

EVERYONE = "@everyone"
BOT = "@bot"  # the bot's own member overwrite
State = Literal["allow", "deny", "inherit"]

MANAGED: Mapping[str, tuple[str, ...]] = {
    "view": ("view_channel",),
    "send": ("send_messages",),
    "threads": ("create_public_threads", "create_private_threads", "send_messages_in_threads"),
}
"""Which Discord permissions each list in the config controls."""

CASE_THREADS = ("create_private_threads", "send_messages_in_threads", "manage_threads")
"""What the bot needs in the channel case threads open in (manage_threads: archive, lock, reopen)."""
FORUM_POSTS = ("send_messages", "send_messages_in_threads", "manage_threads")
"""What the bot needs in a forum of case posts (manage_threads: change tags, lock)."""
STAFF = ("manage_threads",)
"""What the staff role gets in the case-thread channel: it sees and can help in every case thread."""


@dataclass(frozen=True, slots=True)
class ChannelSnapshot:
    """A channel's overwrites: target ("@everyone", a lowercase role name, or "@bot") -> (allowed, denied)."""

    name: str
    overwrites: Mapping[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GuildSnapshot:
    """What `plan` needs to know about a server, as plain data."""

    name: str
    channels: Mapping[str, ChannelSnapshot]
    roles: frozenset[str]  # lowercase role names
    bot_roles: frozenset[str] = frozenset()  # lowercase names of the bot's roles
    bot_permissions: frozenset[str] = frozenset()  # the bot's server-wide permissions


@dataclass(frozen=True, slots=True)
class Change:
    """One permission of one overwrite that should change."""

    channel: str
    target: str
    permission: str
    before: State
    after: State

    def __str__(self) -> str:
        return f"#{self.channel}: {self.target} {self.permission}: {self.before} -> {self.after}"


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes that would make the server match the config, and what stands in the way."""

    changes: tuple[Change, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes

    def text(self) -> str:
        """The plan as lines a community manager reads."""
        lines = [str(change) for change in self.changes]
        if not lines:
            lines.append("No changes: channel permissions already match the config.")
        lines.extend(f"problem: {problem}" for problem in self.problems)
        return "\n".join(lines)


def _state(overwrite: tuple[frozenset[str], frozenset[str]] | None, permission: str) -> State:
    if overwrite is None:
        return "inherit"
    allowed, denied = overwrite
    if permission in allowed:
        return "allow"
    if permission in denied:
        return "deny"
    return "inherit"


def _where(channel: str, kind: str, source: object) -> str:
    return f"{source} (channels.{channel}.{kind})" if source else f"channels.{channel}.{kind}"


def plan(config: Config, guild: GuildSnapshot) -> Plan:
    """The overwrite changes that make each configured channel's permissions match the config."""
    changes: list[Change] = []
    problems: list[str] = []
    if "administrator" not in guild.bot_permissions and "manage_roles" not in guild.bot_permissions:
        problems.append(
            "the bot lacks the Manage Roles permission, so it cannot change channel permissions; "
            "give its role Manage Roles in Server Settings > Roles"
        )
    bot_is_admin = "administrator" in guild.bot_permissions
    for name, channel in config.channels.items():
        lists = {kind: getattr(channel, kind) for kind in MANAGED if getattr(channel, kind) is not None}
        if not lists:
            continue
        current = guild.channels.get(name)
        if current is None:
            problems.append(
                f"there is no #{name} channel in the server; create it, or remove it from the config "
                f"({channel.source or 'channels'})"
            )
            continue
        for kind, roles in lists.items():
            wanted = {role.lower() for role in roles}
            for role in sorted(wanted - guild.roles):
                problems.append(
                    f"role '{role}' does not exist in the server; create it, or remove it from "
                    f"{_where(name, kind, channel.source)}"
                )
            allowed = wanted & guild.roles
            bot_covered = bot_is_admin or bool(allowed & guild.bot_roles)
            for permission in MANAGED[kind]:
                desired: dict[str, State] = {EVERYONE: "deny"}
                desired.update({role: "allow" for role in allowed})
                for target, overwrite in current.overwrites.items():
                    if target not in desired and target != BOT and _state(overwrite, permission) == "allow":
                        desired[target] = "inherit"  # roles not on the list lose their extra access
                if not bot_covered:
                    desired[BOT] = "allow"
                for target in sorted(desired, key=_target_order):
                    before = _state(current.overwrites.get(target), permission)
                    if before != desired[target]:
                        changes.append(Change(name, target, permission, before, desired[target]))
    thread_changes, thread_problems = _thread_plan(config, guild)
    return Plan(tuple(changes + thread_changes), tuple(problems + thread_problems))


def _thread_plan(config: Config, guild: GuildSnapshot) -> tuple[list[Change], list[str]]:
    """Allows for case threads and forum posts: the bot's (unless it is an administrator), the staff's."""
    wanted: dict[tuple[str, str], tuple[str, ...]] = {}
    bot_is_admin = "administrator" in guild.bot_permissions
    settings = config.discord.threads
    if settings is not None:
        if not bot_is_admin:
            wanted[(settings.channel, BOT)] = CASE_THREADS
        if settings.staff and settings.staff.lower() in guild.roles:
            wanted[(settings.channel, settings.staff.lower())] = STAFF
    if not bot_is_admin:
        for name, channel in config.channels.items():
            if channel.forum:
                wanted[(name, BOT)] = FORUM_POSTS
    changes: list[Change] = []
    problems: list[str] = []
    for (name, target), permissions in wanted.items():
        current = guild.channels.get(name)
        if current is None:
            problems.append(f"there is no #{name} channel in the server for case threads or posts; create it")
            continue
        for permission in permissions:
            before = _state(current.overwrites.get(target), permission)
            if before != "allow":
                changes.append(Change(name, target, permission, before, "allow"))
    return changes, sorted(set(problems))


def _target_order(target: str) -> tuple[int, str]:
    return (0 if target == EVERYONE else 2 if target == BOT else 1, target)


# --- talking to Discord --------------------------------------------------------------------


def _names(permissions: discord.Permissions) -> frozenset[str]:
    """Every name under which a permission is on (aliases such as read_messages included)."""
    return frozenset(name for name in discord.Permissions.VALID_FLAGS if getattr(permissions, name))


def _overwrite_sets(overwrite: discord.PermissionOverwrite) -> tuple[frozenset[str], frozenset[str]]:
    allowed, denied = overwrite.pair()
    return _names(allowed), _names(denied)


def snapshot(guild: discord.Guild) -> GuildSnapshot:
    """The plain-data view of a server that `plan` compares against."""
    me = guild.me
    channels: dict[str, ChannelSnapshot] = {}
    managed: list[discord.TextChannel | discord.ForumChannel] = [*guild.text_channels, *guild.forums]
    for channel in managed:
        if channel.name in channels:
            continue
        overwrites: dict[str, tuple[frozenset[str], frozenset[str]]] = {}
        for target, overwrite in channel.overwrites.items():
            if isinstance(target, discord.Role):
                key = EVERYONE if target.is_default() else target.name.lower()
            elif me is not None and target.id == me.id:
                key = BOT
            else:
                continue  # other members' overwrites are not flexcord's business
            overwrites[key] = _overwrite_sets(overwrite)
        channels[channel.name] = ChannelSnapshot(channel.name, overwrites)
    return GuildSnapshot(
        name=guild.name,
        channels=channels,
        roles=frozenset(role.name.lower() for role in guild.roles if not role.is_default()),
        bot_roles=frozenset(role.name.lower() for role in me.roles if not role.is_default())
        if me
        else frozenset(),
        bot_permissions=_names(me.guild_permissions) if me else frozenset(),
    )


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """How many overwrites were written, and what failed (in plain words)."""

    written: int = 0
    failures: tuple[str, ...] = ()


def _group(changes: Iterable[Change]) -> dict[tuple[str, str], list[Change]]:
    """Changes by (channel, target); the bot's own and the roles' come before @everyone's, so a
    deny for everyone never lands before the allow that keeps the bot in the channel."""
    grouped: dict[tuple[str, str], list[Change]] = {}
    order = {BOT: 0, EVERYONE: 2}
    for change in sorted(changes, key=lambda c: (c.channel, order.get(c.target, 1), c.target)):
        grouped.setdefault((change.channel, change.target), []).append(change)
    return grouped


def _target(guild: discord.Guild, name: str) -> discord.Role | discord.Member | None:
    if name == EVERYONE:
        return guild.default_role
    if name == BOT:
        return guild.me
    return next((role for role in guild.roles if role.name.lower() == name), None)


async def apply(plan: Plan, guild: discord.Guild) -> ApplyResult:
    """Write the planned overwrites, one call per channel and target; a failure does not stop the rest."""
    written = 0
    failures: list[str] = []
    for (channel_name, target_name), changes in _group(plan.changes).items():
        places: list[discord.TextChannel | discord.ForumChannel] = [*guild.text_channels, *guild.forums]
        channel = discord.utils.get(places, name=channel_name)
        target = _target(guild, target_name)
        if channel is None or target is None:
            failures.append(f"#{channel_name}: {target_name} no longer exists")
            continue
        overwrite = channel.overwrites_for(target)
        for change in changes:
            setattr(
                overwrite, change.permission, {"allow": True, "deny": False, "inherit": None}[change.after]
            )
        try:
            await channel.set_permissions(
                target,
                overwrite=None if overwrite.is_empty() else overwrite,
                reason="flexcord: match channel permissions to the config",
            )
        except discord.HTTPException as exc:
            failures.append(f"#{channel_name}: could not change {target_name}: {exc.text or exc.status}")
            log.warning("permission change failed on #%s for %s: %s", channel_name, target_name, exc)
            continue
        written += 1
    return ApplyResult(written, tuple(failures))
