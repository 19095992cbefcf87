"""The flexcord bot on discord.py: commands, forms, buttons and DMs go to the runtime, answers come back.

Intents are the minimum: `guilds` (the server's channels and roles, for names and permissions) and
`dm_messages` (players writing to the bot). No privileged intent is needed: message content in a DM
with the bot is always delivered, slash commands, forms and buttons carry the member and their
roles, and the bot never reads messages in server channels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord
from discord import app_commands

from engine.config.model import DM, THREAD, Config
from engine.discord import commands as command_tree
from engine.discord import mycases, permissions, sync
from engine.discord.announcements import FeedFetch, FeedPoller, FeedStore
from engine.discord.chat import DiscordChat, send_part
from engine.discord.interactions import (
    CaseForm,
    answer,
    answer_failure,
    disable_buttons,
    handle_in_time,
    interaction_event,
    person,
    refused,
)
from engine.discord.render import FlexcordButton, message_parts
from engine.discord.threads import case_ref_of
from engine.events import Event, Outcome, User
from engine.runtime.places import player_key
from engine.runtime.runtime import RATING_BUTTON

log = logging.getLogger(__name__)

CATCH_UP_PLAYERS = 200  # at start-up, the DMs of this many most recently active players are read back
CATCH_UP_MESSAGES = 50  # per player

ReloadCallback = Callable[[], Awaitable[tuple[bool, str]]]
"""Reloads the config; returns (ok, text to show the admin)."""


class EventHandler(Protocol):
    """The part of engine.runtime.Runtime the Discord side calls."""

    async def handle(self, event: Event) -> Outcome: ...


class DiscordStore(FeedStore, Protocol):
    """The store as the Discord side uses it: settings, feeds, and where each player's DM was read to."""

    async def dm_watermarks(self, limit: int) -> dict[str, int]: ...


def intents(config: Config | None = None) -> discord.Intents:
    """The gateway intents flexcord asks for (see the module docstring for why these).

    With case threads configured, also the messages of server channels and their content (the
    privileged Message Content intent): what a player writes in their case thread.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.dm_messages = True
    if config is not None and config.discord.threads is not None:
        wanted.guild_messages = True
        wanted.message_content = True
    return wanted


def is_configured_guild(guild: discord.Guild, setting: str) -> bool:
    """`discord.guild` in the config is a server id or its name (any letter case)."""
    setting = setting.strip()
    if setting.isdigit():
        return guild.id == int(setting)
    return guild.name.casefold() == setting.casefold()


def configured_guild(client: discord.Client, config: Config) -> discord.Guild | None:
    """The server named by `discord.guild` among those the bot is in."""
    return next((g for g in client.guilds if is_configured_guild(g, config.discord.guild)), None)


class FlexcordClient(discord.Client):
    """The Discord bot for one configured server; built by `create_client`, started by the caller."""

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
        self.guild_id: int | None = None
        self.chat = DiscordChat(self, lambda: self.guild)
        self.feeds = FeedPoller(config_provider, store, self.chat.post, fetch=fetch_feed)
        self._adopting = asyncio.Lock()
        self._syncing = asyncio.Lock()  # one rebuild-and-sync at a time (start-up, reloads)
        self._commands_built = False

    @property
    def guild(self) -> discord.Guild | None:
        """The configured server, once the bot has seen it."""
        return self.get_guild(self.guild_id) if self.guild_id is not None else None

    async def setup_hook(self) -> None:
        self.add_dynamic_items(FlexcordButton)

    async def close(self) -> None:
        await self.feeds.stop()
        await super().close()

    # --- finding the server, commands and permissions -----------------------------------

    async def on_ready(self) -> None:
        config = self.config_provider()
        guild = configured_guild(self, config)
        if guild is None:
            log.warning(
                "the bot is not (yet) in a server matching discord.guild '%s'; invite it or fix the name",
                config.discord.guild,
            )
        else:
            await self.adopt(guild)
        await self.catch_up()

    async def catch_up(self) -> int:
        """Read the DMs players sent while the bot was away; returns how many were handled.

        Discord does not replay messages to a bot that was down (or restarted), so for the
        players who talked to the bot most recently, the DM is read after the newest message
        already handled. Each goes through `on_message`; an id seen before is dropped by the runtime.
        """
        if self.runtime is None:
            return 0
        handled = 0
        try:
            marks = await self.store.dm_watermarks(CATCH_UP_PLAYERS)
        except Exception:
            log.exception("could not read which DMs to catch up on")
            return 0
        for user_id, newest in marks.items():
            try:
                user = self.get_user(int(user_id)) or await self.fetch_user(int(user_id))
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

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.adopt(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.adopt(guild)

    async def adopt(self, guild: discord.Guild) -> None:
        """Take the configured server into service: commands synced, permissions applied if asked, feeds."""
        config = self.config_provider()
        if not is_configured_guild(guild, config.discord.guild):
            return
        async with self._adopting:
            first = self.guild_id != guild.id
            self.guild_id = guild.id
            if first or not self._commands_built:
                try:
                    await self.refresh_commands(config)
                except discord.HTTPException as exc:
                    log.error("could not register slash commands on Discord: %s", exc)
                if config.discord.apply_permissions:
                    await self.apply_permissions()
            self.feeds.start()

    def rebuild_commands(self, config: Config | None = None) -> None:
        """Rebuild the command tree from a config (the current one by default); sync separately."""
        if self.guild_id is None:
            return
        config = config or self.config_provider()
        guild = discord.Object(self.guild_id)
        command_tree.install(self.tree, config, guild, self.run_command, self.run_reload)
        if mycases.NAME not in config.commands:
            self.tree.add_command(mycases.build_command(self.run_mycases), guild=guild)
        self._commands_built = True

    async def sync_commands(self, force: bool = False) -> sync.SyncResult:
        """Send the commands to Discord, for each scope whose payload hash changed (or all if `force`)."""
        async with self._syncing:
            return await self._sync(force)

    async def refresh_commands(self, config: Config | None = None) -> sync.SyncResult:
        """After a reload: rebuild the tree from the new config and sync only if something changed."""
        async with self._syncing:
            self.rebuild_commands(config)
            return await self._sync(False)

    async def _sync(self, force: bool) -> sync.SyncResult:
        if self.guild_id is None:
            return sync.SyncResult(False)
        results = [
            await sync.sync_scope(self.tree, self.store, discord.Object(self.guild_id), force=force),
            await sync.sync_scope(self.tree, self.store, None, force=force),
        ]
        return sync.merge(results)

    def permission_plan(self) -> permissions.Plan:
        """What `apply_permissions` would change in the configured server."""
        guild = self.guild
        if guild is None:
            return permissions.Plan(problems=("the bot is not connected to the configured server",))
        return permissions.plan(self.config_provider(), permissions.snapshot(guild))

    async def apply_permissions(self) -> tuple[permissions.Plan, permissions.ApplyResult]:
        """Make the channel permissions match the config; logs what changed and what could not."""
        planned = self.permission_plan()
        for problem in planned.problems:
            log.warning("channel permissions: %s", problem)
        result = permissions.ApplyResult()
        if self.guild is not None and planned.changes:
            result = await permissions.apply(planned, self.guild)
            log.info("channel permissions: %d overwrite(s) written", result.written)
            for failure in result.failures:
                log.warning("channel permissions: %s", failure)
        return planned, result

    # --- players ------------------------------------------------------------------------

    def _runtime(self) -> EventHandler:
        if self.runtime is None:
            raise RuntimeError("the Discord client has no runtime attached")
        return self.runtime

    async def run_command(
        self, interaction: discord.Interaction[Any], name: str, options: dict[str, object]
    ) -> None:
        """A configured slash command: ask the runtime, then show its form or its replies.

        Inside a case thread or forum post, a `ref` option left empty means that case.
        """
        ref = case_ref_of(interaction.channel)
        command = self.config_provider().commands.get(name)
        takes_ref = command is not None and any(option.name == "ref" for option in command.options)
        if ref is not None and takes_ref and not str(options.get("ref") or "").strip():
            options = {**options, "ref": ref}
        event = interaction_event(interaction, "command", command=name, options=options)
        await self._interact(interaction, event)

    async def submit_form(
        self, interaction: discord.Interaction[Any], template: str, values: dict[str, str]
    ) -> None:
        """A submitted case form: the runtime opens the case; the player gets the confirmation."""
        await self._interact(
            interaction, interaction_event(interaction, "form", form=template, options=values)
        )

    async def on_flexcord_button(
        self, interaction: discord.Interaction[Any], button_id: str, label: str
    ) -> None:
        """A pressed flexcord button (also one sent before a restart)."""
        await self._interact(
            interaction, interaction_event(interaction, "button", button=button_id, text=label)
        )

    async def _interact(self, interaction: discord.Interaction[Any], event: Event) -> None:
        in_dm = interaction.guild_id is None
        try:
            outcome = await handle_in_time(interaction, self._runtime().handle(event), ephemeral=not in_dm)
        except Exception:
            log.exception("handling %s %s failed", event.kind, event.command or event.form or event.button)
            await answer_failure(interaction)
            return
        if outcome.form is not None:
            if interaction.response.is_done() or interaction.type is discord.InteractionType.modal_submit:
                await answer_failure(interaction, "That took too long. Please try again to get the form.")
                return
            custom_id = f"flexcord-form:{outcome.form.template}:{interaction.id}"
            await interaction.response.send_modal(
                CaseForm(outcome.form, self.submit_form, custom_id=custom_id)
            )
            return
        if event.kind == "button" and (event.button or "").startswith(RATING_BUTTON):
            await disable_buttons(interaction)  # one rating per chat
        ephemeral = (outcome.ephemeral or refused(outcome)) and not (in_dm and event.kind == "button")
        await answer(interaction, outcome.replies, ephemeral=ephemeral)

    async def run_mycases(self, interaction: discord.Interaction[Any]) -> None:
        """`/mycases`: the player's open cases with links, only for them to see."""
        store: Any = self.store  # the full store (engine.store.Store) in every real assembly
        text = await mycases.my_cases_text(store, self.guild_id or 0, str(interaction.user.id))
        await interaction.response.send_message(text, ephemeral=True)

    async def run_reload(self, interaction: discord.Interaction[Any]) -> None:
        """`/flexcord reload`, for the admin role only."""
        config = self.config_provider()
        admin = config.discord.admin_role
        if admin.lower() not in person(interaction.user).roles:
            await interaction.response.send_message(
                f"Only members with the {admin} role can reload flexcord.", ephemeral=True
            )
            return
        if self.reload_callback is None:
            await interaction.response.send_message("reload is not available here", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:  # the reloader's listeners rebuild the commands and permissions after a swap
            _, text = await self.reload_callback()
        except Exception:
            log.exception("reload failed")
            text = "The reload failed unexpectedly; the previous config is still in use."
        await interaction.followup.send(text, ephemeral=True)

    async def _dm_player(self, author: discord.abc.User) -> User:
        """The player behind a DM; their server roles are looked up only when a rule asks for roles."""
        guild = self.guild
        if guild is None or not self.config_provider().index.uses_roles:
            return person(author)
        member = guild.get_member(author.id)
        if member is None:
            try:
                member = await guild.fetch_member(author.id)
            except discord.HTTPException:
                return person(author)
        return person(member)

    async def _where(self, message: discord.Message) -> str | None:
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
        if message.author.bot or self.runtime is None:
            return
        where = await self._where(message)
        if where is None:
            return
        event = Event(
            kind="message",
            id=str(message.id),
            user=await self._dm_player(message.author),
            where=where,
            at=message.created_at,
            text=message.content,
            attachments=tuple(attachment.url for attachment in message.attachments),
        )
        try:
            outcome = await self.runtime.handle(event)
        except Exception:
            log.exception("handling a DM from %s failed", message.author.id)
            return
        try:
            for reply in outcome.replies:
                for part in message_parts(reply):
                    await send_part(message.channel, part)
        except discord.HTTPException as exc:
            log.warning("could not answer a DM from %s: %s", message.author.id, exc)


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
