"""Slash-command sync without waste: a canonical payload hash decides, the diff is named."""

from __future__ import annotations

import dataclasses
from typing import Any

import discord
from discord import app_commands

from engine.config.model import Config
from engine.discord import commands, sync
from tests.discord_fixtures import demo_config, open_server

GUILD = discord.Object(4242)


async def _never(*args: Any) -> None:
    raise AssertionError("not invoked in these tests")


def with_command(config: Config, name: str, **changes: Any) -> Config:
    updated = dict(config.commands)
    updated[name] = dataclasses.replace(config.commands[name], **changes)
    return dataclasses.replace(config, commands=updated)


def without_command(config: Config, name: str) -> Config:
    return dataclasses.replace(config, commands={k: v for k, v in config.commands.items() if k != name})


def guild_hash(config: Config) -> str:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents(guilds=True))
    )
    commands.install(tree, config, GUILD, _never, _never)
    return sync.canonical_hash(sync.payloads(tree, GUILD))


def test_the_hash_is_stable_and_follows_a_description_change() -> None:
    config = demo_config()
    assert guild_hash(config) == guild_hash(config)
    assert guild_hash(with_command(config, "bug", description="Report a bug")) != guild_hash(config)


def test_diff_names_added_changed_and_removed_commands() -> None:
    before = {"bug": {"description": "a"}, "case": {"description": "b"}}
    after = {"bug": {"description": "changed"}, "ping": {"description": "c"}}
    assert sync.diff(before, after) == (("ping",), ("bug",), ("case",))


async def test_only_a_changed_payload_is_synced_and_the_diff_is_named() -> None:
    async with open_server() as server:
        client, config = server.client, demo_config()
        assert server.command_syncs() == 2  # first start: the guild's commands and the global one

        unchanged = await client.refresh_commands(config)
        assert not unchanged.changed and server.command_syncs() == 2

        described = await client.refresh_commands(with_command(config, "bug", description="Report a bug"))
        assert described == sync.SyncResult(True, (), ("bug",), ())
        assert server.command_syncs() == 3  # only the guild's scope changed

        removed = await client.refresh_commands(without_command(config, "new_feature"))
        assert removed.removed == ("new_feature",) and removed.changed_names == ("bug",)

        forced = await client.sync_commands(force=True)
        assert forced.changed and server.command_syncs() == 6
        shown = await server.player.slash(server.channels["bug-report"], "bug")
        assert shown.modal is not None
