"""The flexcord bot on discord.py: the client that wires Discord's events to the features that handle them.

Intents are the minimum: `guilds` (the server's channels and roles, for names and permissions) and
`dm_messages` (players writing to the bot). No privileged intent is needed for DMs: message content
in a DM with the bot is always delivered, and slash commands, forms and buttons carry the member
and their roles. Only with case threads configured (`discord.threads`) does the bot read server
messages: `guild_messages` and the privileged `message_content`, for what players write in their
case thread.

The features live in their own modules: server_setup (the server, its slash commands and channel
permissions), dm_intake (players' DMs and catching up on them), interaction_handler (commands,
forms, buttons and `/flexcord reload`), chat (sending), announcements (feeds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import discord
from discord import app_commands

from engine.config.model import Config
from engine.discord import permissions, sync
from engine.discord.announcements import FeedFetch, FeedPoller, FeedStore
from engine.discord.chat import DiscordChat
from engine.discord.dm_intake import CATCH_UP_MESSAGES, CATCH_UP_PLAYERS, DmIntake, EventHandler
from engine.discord.interaction_handler import Interaction, InteractionHandler, ReloadCallback, ReloadCommand
from engine.discord.mycases import MyCases
from engine.discord.render import FlexcordButton
from engine.discord.server_setup import (
    ChannelPermissions,
    CommandSync,
    GuildSetup,
    configured_guild,
    is_configured_guild,
)
from engine.discord.translator import ConfigTranslator


class DiscordStore(FeedStore, Protocol):
    """The store as the Discord side uses it: settings, feeds, and where each player's DM was read to."""

    async def dm_watermarks(self, limit: int) -> dict[str, int]: ...


def intents(config: Config | None = None) -> discord.Intents:
    """The gateway intents flexcord asks for (see the module docstring for why these)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.dm_messages = True
    if config is not None and config.discord.threads is not None:
        wanted.guild_messages = True
        wanted.message_content = True
    return wanted


class FlexcordClient(discord.Client):
    """The Discord bot for one configured server; built by `create_client`, started by the caller.

    `runtime` and `reload_callback` may be attached after construction (the runtime needs the
    client's chat side first).
    """

    def __init__(
        self,
        runtime: EventHandler | None,
        *,
        config_provider: Callable[[], Config],
        store: DiscordStore,
        reload_callback: ReloadCallback | None = None,
        fetch_feed: FeedFetch | None = None,
    ) -> None:
        super().__init__(
            intents=intents(config_provider()),
            allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=True),
        )
        self.tree: app_commands.CommandTree[FlexcordClient] = app_commands.CommandTree(self)
        self.runtime = runtime
        self.config_provider = config_provider
        self.store = store
        self.reload_callback = reload_callback
        self.chat = DiscordChat(self, lambda: self.guild)
        self.feeds = FeedPoller(config_provider, store, self.chat.post, fetch=fetch_feed)
        self.interactions = InteractionHandler(lambda: self.runtime, config_provider)
        self.mycases = MyCases(store, lambda: self.guild_id, config_provider)
        self.reload_command = ReloadCommand(config_provider, lambda: self.reload_callback)
        self.commands = CommandSync(
            self.tree,
            store,
            config_provider,
            lambda: self.guild_id,
            self.interactions.run_command,
            self.reload_command.run,
            self.mycases.run,
        )
        self.permissions = ChannelPermissions(config_provider, lambda: self.guild)
        self.setup = GuildSetup(config_provider, self.commands, self.permissions, self.feeds)
        self.dms = DmIntake(self, self.chat, store, config_provider, lambda: self.guild, lambda: self.runtime)

    @property
    def guild_id(self) -> int | None:
        """The configured server's id, once the bot has seen it."""
        return self.setup.guild_id

    @property
    def guild(self) -> discord.Guild | None:
        """The configured server, once the bot has seen it."""
        guild_id = self.guild_id
        return self.get_guild(guild_id) if guild_id is not None else None

    # --- Discord's events -------------------------------------------------------------------

    async def setup_hook(self) -> None:
        self.add_dynamic_items(FlexcordButton)
        await self.tree.set_translator(ConfigTranslator(self.config_provider))  # commands by locale

    async def close(self) -> None:
        await self.feeds.stop()
        await super().close()

    async def on_ready(self) -> None:
        await self.setup.find(self)
        await self.dms.catch_up()

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.setup.adopt(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.setup.adopt(guild)

    async def on_message(self, message: discord.Message) -> None:
        await self.dms.on_message(message)

    async def on_flexcord_button(self, interaction: Interaction, button_id: str, label: str) -> None:
        """A pressed flexcord button (FlexcordButton calls this on the interaction's client)."""
        await self.interactions.press_button(interaction, button_id, label)

    # --- what the reloader, the CLI and the sandbox ask of the Discord side -------------------

    async def refresh_commands(self, config: Config | None = None) -> sync.SyncResult:
        """After a reload: rebuild the slash commands from `config`; sync only if their payload changed."""
        return await self.commands.refresh(config)

    async def sync_commands(self, force: bool = False) -> sync.SyncResult:
        """Send the slash commands to Discord where their payload changed (or everywhere if `force`)."""
        return await self.commands.sync(force)

    def permission_plan(self) -> permissions.Plan:
        """What `apply_permissions` would change in the configured server."""
        return self.permissions.plan()

    async def apply_permissions(self) -> tuple[permissions.Plan, permissions.ApplyResult]:
        """Make the channel permissions match the config serving now."""
        return await self.permissions.apply()

    async def catch_up(self) -> int:
        """Read the DMs players sent while the bot was away; returns how many were handled."""
        return await self.dms.catch_up()


def create_client(
    runtime: EventHandler | None,
    *,
    config_provider: Callable[[], Config],
    store: DiscordStore,
    reload_callback: ReloadCallback | None = None,
    fetch_feed: FeedFetch | None = None,
) -> FlexcordClient:
    """The bot, ready for `client.start(token)` or `simcord.run(client)`; attach `runtime` later if needed."""
    return FlexcordClient(
        runtime,
        config_provider=config_provider,
        store=store,
        reload_callback=reload_callback,
        fetch_feed=fetch_feed,
    )


__all__ = [
    "CATCH_UP_MESSAGES",
    "CATCH_UP_PLAYERS",
    "DiscordStore",
    "EventHandler",
    "FlexcordClient",
    "ReloadCallback",
    "configured_guild",
    "create_client",
    "intents",
    "is_configured_guild",
]
