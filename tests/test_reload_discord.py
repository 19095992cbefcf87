"""After a reload the Discord side follows: slash commands re-synced only when their payload changed.

The Discord side here builds the real command tree (engine.discord.commands) and hashes the real
payloads Discord would receive (engine.discord.sync), as FlexcordClient.refresh_commands does; it
counts a sync where the client would call Discord.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from engine.config.model import Config
from engine.discord import commands, sync
from engine.reload import DiscordFollower
from tests.reload_fixtures import Bot, edit, set_ping_variant, start_bot

GUILD = discord.Object(4242)


async def _run(interaction: discord.Interaction[Any], name: str, options: dict[str, object]) -> None:
    raise AssertionError("no command is run in these tests")


async def _reload(interaction: discord.Interaction[Any]) -> None:
    raise AssertionError("no command is run in these tests")


class CommandSide:
    """The Discord side of a reload with real command payloads; records syncs and permission runs."""

    def __init__(self) -> None:
        self.tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
            discord.Client(intents=discord.Intents.none())
        )
        self.hashes: dict[str, str] = {}
        self.synced: list[tuple[str, ...]] = []
        self.permission_runs: list[str] = []
        self.config: Config | None = None

    async def refresh_commands(self, config: Config | None = None) -> sync.SyncResult:
        assert config is not None
        self.config = config
        commands.install(self.tree, config, GUILD, _run, _reload)
        changed = []
        for scope, guild in (("guild", GUILD), ("global", None)):
            digest = sync.canonical_hash(sync.payloads(self.tree, guild))
            if self.hashes.get(scope) != digest:
                self.hashes[scope] = digest
                changed.append(scope)
        if changed:
            self.synced.append(tuple(changed))
        return sync.SyncResult(bool(changed))

    async def apply_permissions(self) -> object:
        assert self.config is not None
        self.permission_runs.append(self.config.version)
        return None


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[tuple[Bot, CommandSide]]:
    side = CommandSide()
    running = await start_bot(tmp_path / "bot", listeners=[DiscordFollower(side)])
    await side.refresh_commands(running.world.runtime.config)  # the sync at start-up
    side.synced.clear()
    yield running, side
    await running.world.close()


async def test_a_reload_that_only_edits_a_rule_does_not_resync_commands(bot: tuple[Bot, CommandSide]) -> None:
    running, side = bot
    set_ping_variant(running.config_path, "B")
    result = await running.reloader.request("rule edit")
    assert result.ok and result.changed
    assert side.config is not None and side.config.version == result.version  # the listener was told
    assert side.synced == []


async def test_a_reload_that_adds_a_command_resyncs(bot: tuple[Bot, CommandSide]) -> None:
    running, side = bot
    edit(
        running.file("routes/commands.yaml"),
        "commands:\n",
        "commands:\n  ping:\n    description: Check that the bot is alive\n    do: [reply: pong]\n\n",
    )
    result = await running.reloader.request("command added")
    assert result.ok and result.changed, [str(d) for d in result.errors]
    assert side.synced == [("guild",)]
    assert "ping" in commands_in(side.tree)


async def test_a_command_usable_in_dms_resyncs_the_global_scope(bot: tuple[Bot, CommandSide]) -> None:
    running, side = bot
    edit(running.file("routes/commands.yaml"), "Talk to our support team in a private message", "Get help")
    result = await running.reloader.request("description edited")
    assert result.ok and side.synced == [("global",)]


async def test_permissions_are_applied_only_when_the_config_asks(bot: tuple[Bot, CommandSide]) -> None:
    running, side = bot
    set_ping_variant(running.config_path, "B")
    await running.reloader.request("rule edit")
    assert side.permission_runs == []
    edit(running.config_path, "apply_permissions: false", "apply_permissions: true")
    result = await running.reloader.request("apply permissions")
    assert result.ok and side.permission_runs == [result.version]


def commands_in(tree: app_commands.CommandTree[Any]) -> set[str]:
    return {c.name for c in tree.get_commands(guild=GUILD)} | {c.name for c in tree.get_commands()}
