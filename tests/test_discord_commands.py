"""Slash commands built from the config: the payload Discord receives, and /flexcord reload."""

from __future__ import annotations

import dataclasses
from typing import Any

import discord
from discord import app_commands

from engine.config.model import Command, Option, Reply
from engine.discord import commands, sync
from tests.discord_fixtures import demo_config, open_server

GUILD = discord.Object(4242)


async def _never(*args: Any) -> None:
    raise AssertionError("not invoked in these tests")


def demo_tree() -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(
        discord.Client(intents=discord.Intents(guilds=True))
    )
    commands.install(tree, demo_config(), GUILD, _never, _never)
    return tree


def test_guild_only_commands_go_to_the_server_and_dm_ones_are_global() -> None:
    tree = demo_tree()
    in_guild = sync.payloads(tree, GUILD)
    everywhere = sync.payloads(tree, None)
    assert sorted(in_guild) == ["bug", "case", "flexcord", "new_feature"]
    assert sorted(everywhere) == ["helpme"]
    assert in_guild["bug"]["contexts"] == [0]  # servers only
    assert sorted(everywhere["helpme"]["contexts"]) == [0, 1]  # servers and DMs with the bot
    assert in_guild["bug"]["description"] == "File an official bug report"


def test_options_keep_their_types_choices_ranges_and_descriptions() -> None:
    options = {o["name"]: o for o in sync.payloads(demo_tree(), GUILD)["case"]["options"]}
    assert [name for name in options] == ["ref", "status", "note"]
    assert options["ref"]["type"] == discord.AppCommandOptionType.string.value
    assert not options["ref"].get("required", False)  # inside a case's thread or post, that case
    assert options["ref"]["description"] == "The case reference, like BUG-12"
    assert [c["value"] for c in options["status"]["choices"]] == [
        "open",
        "triaged",
        "planned",
        "fixed",
        "closed",
    ]
    assert not options["status"].get("required", False)
    assert options["note"]["max_length"] == 500


def test_every_option_type_becomes_a_discord_option() -> None:
    kinds = ["string", "integer", "number", "boolean", "choice", "user", "channel", "role"]
    declared = tuple(
        Option(
            name=kind,
            type=kind,  # type: ignore[arg-type]
            description=f"a {kind}",
            required=kind == "string",
            choices=("a", "b") if kind == "choice" else (),
            min=1 if kind in ("integer", "number") else None,
            max=5 if kind in ("integer", "number") else None,
        )
        for kind in kinds
    )
    built = commands.build_command(
        Command(name="probe", description="d", actions=(), options=declared), _never
    )
    payload = {o["name"]: o for o in built.to_dict(demo_tree())["options"]}
    types = {"string": 3, "integer": 4, "number": 10, "boolean": 5, "choice": 3, "user": 6, "channel": 7}
    assert {k: payload[k]["type"] for k in kinds} == types | {"role": 8}
    assert (payload["integer"]["min_value"], payload["integer"]["max_value"]) == (1, 5)
    assert payload["number"]["min_value"] == 1.0
    assert discord.ChannelType.text.value in payload["channel"]["channel_types"]


async def test_options_reach_the_runtime_as_plain_values() -> None:
    config = demo_config()
    probe = Command(
        name="probe",
        description="Echo options",
        actions=(Reply(text="{{ options.who }}|{{ options.where }}|{{ options.team }}|{{ options.count }}"),),
        options=(
            Option("who", "user", "someone"),
            Option("where", "channel", "a channel"),
            Option("team", "role", "a role"),
            Option("count", "integer", "how many", min=1, max=9),
        ),
    )
    config = dataclasses.replace(config, commands={**config.commands, "probe": probe})
    async with open_server(config=config) as server:
        result = await server.player.slash(
            server.channels["general"],
            "probe",
            who=server.moderator,
            where=server.channels["bug-report"],
            team=server.roles["moderator"],
            count=3,
        )
        assert result.response is not None
        assert result.response.content == f"{server.moderator.id}|bug-report|moderator|3"


async def test_reload_is_for_the_admin_role_and_says_when_it_is_not_available() -> None:
    async with open_server() as server:
        general = server.channels["general"]
        refused = await server.moderator.slash(general, "flexcord reload")
        assert refused.ephemeral and "admin role" in refused.response.content  # type: ignore[union-attr]
        missing = await server.admin.slash(general, "flexcord reload")
        assert missing.response.content == "reload is not available here"  # type: ignore[union-attr]

        calls: list[str] = []

        async def reload() -> tuple[bool, str]:
            calls.append("reload")
            return True, "Reloaded: config abc123 is live."

        server.client.reload_callback = reload
        done = await server.admin.slash(general, "flexcord reload")
        assert calls == ["reload"] and done.ephemeral
        shown = [m.content for m in (done.response, *done.followups) if m is not None and m.content]
        assert shown == ["Reloaded: config abc123 is live."]
