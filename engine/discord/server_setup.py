"""Taking the configured server into service: find it, sync the slash commands, apply channel permissions.

`GuildSetup.adopt` runs when the bot sees a server (ready, available, joined): the one named by
`discord.guild` gets the config's slash commands (sent to Discord only when their payload
changed), its channel permissions if `discord.apply_permissions` asks for it, and the feeds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands

from engine.config.model import Config
from engine.discord import commands as command_tree
from engine.discord import mycases, permissions
from engine.discord.announcements import FeedPoller
from engine.discord.sync import SettingsStore, SyncResult, merge, sync_scope

log = logging.getLogger(__name__)

GuildId = Callable[[], int | None]
"""The configured server's id, once the bot has seen it."""


def is_configured_guild(guild: discord.Guild, setting: str) -> bool:
    """`discord.guild` in the config is a server id or its name (any letter case)."""
    setting = setting.strip()
    if setting.isdigit():
        return guild.id == int(setting)
    return guild.name.casefold() == setting.casefold()


def configured_guild(client: discord.Client, config: Config) -> discord.Guild | None:
    """The server named by `discord.guild` among those the bot is in."""
    return next((g for g in client.guilds if is_configured_guild(g, config.discord.guild)), None)


@dataclass(eq=False)
class CommandSync:
    """The slash commands: rebuilt from a config, sent to Discord per scope when their payload changed."""

    tree: app_commands.CommandTree[Any]
    store: SettingsStore
    config_provider: Callable[[], Config]
    guild_id: GuildId
    run: command_tree.CommandRunner
    reload: command_tree.ReloadRunner
    mycases: mycases.Runner | None = None  # the built-in /mycases, unless the config has its own
    built: bool = field(default=False, init=False)
    _syncing: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)  # one rebuild-and-sync at a time

    def rebuild(self, config: Config | None = None) -> None:
        """Rebuild the command tree from a config (the current one by default); sync separately."""
        guild_id = self.guild_id()
        if guild_id is None:
            return
        config = config or self.config_provider()
        guild = discord.Object(guild_id)
        command_tree.install(self.tree, config, guild, self.run, self.reload)
        if self.mycases is not None and mycases.NAME not in config.commands:
            self.tree.add_command(mycases.build_command(self.mycases), guild=guild)
        self.built = True

    async def sync(self, force: bool = False) -> SyncResult:
        """Send the commands to Discord, for each scope whose payload hash changed (or all if `force`)."""
        async with self._syncing:
            return await self._sync(force)

    async def refresh(self, config: Config | None = None) -> SyncResult:
        """After a reload: rebuild the tree from the new config and sync only if something changed."""
        async with self._syncing:
            self.rebuild(config)
            return await self._sync(False)

    async def _sync(self, force: bool) -> SyncResult:
        guild_id = self.guild_id()
        if guild_id is None:
            return SyncResult(False)
        results = [
            await sync_scope(self.tree, self.store, discord.Object(guild_id), force=force),
            await sync_scope(self.tree, self.store, None, force=force),
        ]
        return merge(results)


@dataclass(eq=False)
class ChannelPermissions:
    """The channel permissions of the configured server, made to match the config on request."""

    config_provider: Callable[[], Config]
    guild: Callable[[], discord.Guild | None]

    def plan(self) -> permissions.Plan:
        """What `apply` would change in the configured server."""
        guild = self.guild()
        if guild is None:
            return permissions.Plan(problems=("the bot is not connected to the configured server",))
        return permissions.plan(self.config_provider(), permissions.snapshot(guild))

    async def apply(self) -> tuple[permissions.Plan, permissions.ApplyResult]:
        """Make the channel permissions match the config; logs what changed and what could not."""
        planned = self.plan()
        for problem in planned.problems:
            log.warning("channel permissions: %s", problem)
        result = permissions.ApplyResult()
        guild = self.guild()
        if guild is not None and planned.changes:
            result = await permissions.apply(planned, guild)
            log.info("channel permissions: %d overwrite(s) written", result.written)
            for failure in result.failures:
                log.warning("channel permissions: %s", failure)
        return planned, result


@dataclass(eq=False)
class GuildSetup:
    """Which server the bot serves, and what taking it into service does."""

    config_provider: Callable[[], Config]
    commands: CommandSync
    permissions: ChannelPermissions
    feeds: FeedPoller
    guild_id: int | None = field(default=None, init=False)
    _adopting: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def find(self, client: discord.Client) -> None:
        """On ready: adopt the configured server, or say it is missing."""
        config = self.config_provider()
        guild = configured_guild(client, config)
        if guild is None:
            log.warning(
                "the bot is not (yet) in a server matching discord.guild '%s'; invite it or fix the name",
                config.discord.guild,
            )
            return
        await self.adopt(guild)

    async def adopt(self, guild: discord.Guild) -> None:
        """Take the configured server into service: commands synced, permissions applied if asked, feeds."""
        config = self.config_provider()
        if not is_configured_guild(guild, config.discord.guild):
            return
        async with self._adopting:
            first = self.guild_id != guild.id
            self.guild_id = guild.id
            if first or not self.commands.built:
                try:
                    await self.commands.refresh(config)
                except discord.HTTPException as exc:
                    log.error("could not register slash commands on Discord: %s", exc)
                if config.discord.apply_permissions:
                    await self.permissions.apply()
            self.feeds.start()


__all__ = ["ChannelPermissions", "CommandSync", "GuildSetup", "configured_guild", "is_configured_guild"]
