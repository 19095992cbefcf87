"""Channel permissions: the pure plan against a snapshot, and apply on a SimCord server."""

from __future__ import annotations

import dataclasses

import pytest
from simcord import BackendError, SetupError

from engine.config.model import frozen_map
from engine.discord.permissions import BOT, EVERYONE, ChannelSnapshot, GuildSnapshot, plan
from engine.events import OutMessage
from tests.discord_fixtures import demo_config, open_server

CHANNELS = ("announcements", "bug-report", "feature-request", "mod-log", "general", "support")
BOT_PERMISSIONS = frozenset({"manage_roles", "view_channel", "send_messages"})


def fresh_guild(**overwrites: dict[str, tuple[frozenset[str], frozenset[str]]]) -> GuildSnapshot:
    return GuildSnapshot(
        name="PokeCommunity",
        channels={
            name: ChannelSnapshot(name, overwrites.get(name.replace("-", "_"), {})) for name in CHANNELS
        },
        roles=frozenset({"admin", "moderator", "flexcord"}),
        bot_roles=frozenset({"flexcord"}),
        bot_permissions=BOT_PERMISSIONS,
    )


def lines(text: str) -> list[str]:
    return text.splitlines()


def test_a_fresh_server_gets_the_announcements_and_mod_log_overwrites() -> None:
    result = plan(demo_config(), fresh_guild())
    text = lines(result.text())
    assert "#announcements: @everyone send_messages: inherit -> deny" in text
    assert "#announcements: admin send_messages: inherit -> allow" in text
    assert "#announcements: moderator create_public_threads: inherit -> allow" in text
    assert "#mod-log: @everyone view_channel: inherit -> deny" in text
    assert "#mod-log: @bot view_channel: inherit -> allow" in text  # the bot is never locked out
    assert not any(line.startswith("#general") for line in text)  # no lists: untouched
    assert result.problems == ()


def test_the_plan_gives_the_bot_what_case_threads_and_forum_posts_need_and_staff_read_along() -> None:
    text = lines(plan(demo_config(), fresh_guild()).text())
    for permission in ("create_private_threads", "send_messages_in_threads", "manage_threads"):
        assert f"#support: @bot {permission}: inherit -> allow" in text
    assert "#support: moderator manage_threads: inherit -> allow" in text  # sees every case thread
    for permission in ("send_messages", "send_messages_in_threads", "manage_threads"):
        assert f"#bug-report: @bot {permission}: inherit -> allow" in text  # the forum of bug reports
    assert not any(line.startswith("#support: @everyone") for line in text)


def test_a_matching_server_has_an_empty_plan() -> None:
    send = frozenset({"send_messages"})
    threads = frozenset({"create_public_threads", "create_private_threads", "send_messages_in_threads"})
    guild = fresh_guild(
        announcements={
            EVERYONE: (frozenset(), send | threads),
            "admin": (send | threads, frozenset()),
            "moderator": (send | threads, frozenset()),
            BOT: (send | threads, frozenset()),
        },
        mod_log={
            EVERYONE: (frozenset(), frozenset({"view_channel"})),
            "admin": (frozenset({"view_channel"}), frozenset()),
            "moderator": (frozenset({"view_channel"}), frozenset()),
            BOT: (frozenset({"view_channel"}), frozenset()),
        },
        support={
            BOT: (
                frozenset({"create_private_threads", "send_messages_in_threads", "manage_threads"}),
                frozenset(),
            ),
            "moderator": (frozenset({"manage_threads"}), frozenset()),
        },
        bug_report={
            BOT: (frozenset({"send_messages", "send_messages_in_threads", "manage_threads"}), frozenset())
        },
    )
    result = plan(demo_config(), guild)
    assert result.empty, result.text()
    assert result.text() == "No changes: channel permissions already match the config."


def test_other_roles_lose_an_explicit_allow_and_the_bot_role_on_the_list_needs_no_overwrite() -> None:
    config = demo_config()
    channels = dict(config.channels)
    channels["mod-log"] = dataclasses.replace(channels["mod-log"], view=("admin", "moderator", "flexcord"))
    config = dataclasses.replace(config, channels=frozen_map(channels))
    guild = fresh_guild(mod_log={"players": (frozenset({"view_channel"}), frozenset())})
    guild = dataclasses.replace(guild, roles=guild.roles | {"players"})
    text = lines(plan(config, guild).text())
    assert "#mod-log: players view_channel: allow -> inherit" in text
    assert not any("@bot" in line and "mod-log" in line for line in text)


def test_missing_roles_channels_and_permission_are_reported_not_raised() -> None:
    guild = GuildSnapshot(
        name="PokeCommunity",
        channels={"announcements": ChannelSnapshot("announcements")},
        roles=frozenset({"admin"}),
        bot_permissions=frozenset({"view_channel"}),
    )
    result = plan(demo_config(), guild)
    problems = "\n".join(result.problems)
    assert "lacks the Manage Roles permission" in problems
    assert "there is no #mod-log channel" in problems
    assert "role 'moderator' does not exist" in problems and "channels.announcements.send" in problems
    assert "routes/server.yaml" in problems
    assert "#announcements: admin send_messages: inherit -> allow" in result.text()


async def test_apply_on_a_fresh_server_then_a_second_plan_is_empty() -> None:
    async with open_server() as server:
        first = server.client.permission_plan()
        assert "#announcements: @everyone send_messages: inherit -> deny" in first.text()
        assert server.client.guild is not None
        _, result = await server.client.apply_permissions()
        assert result.failures == () and result.written > 0
        await server.env.settle()
        second = server.client.permission_plan()
        assert second.empty, second.text()

        with pytest.raises((BackendError, SetupError)):
            await server.player.send(server.channels["announcements"], "first!")
        await server.moderator.send(server.channels["announcements"], "Patch notes are out")
        with pytest.raises((BackendError, SetupError)):
            await server.player.send(server.channels["mod-log"], "can I see this?")
        message_id = await server.client.chat.post("mod-log", OutMessage(text="reload failed: ..."))
        assert server.channels["mod-log"].last_message is not None
        assert str(server.channels["mod-log"].last_message.id) == message_id


async def test_apply_permissions_at_start_up_when_the_config_asks() -> None:
    config = demo_config()
    config = dataclasses.replace(config, discord=dataclasses.replace(config.discord, apply_permissions=True))
    async with open_server(config=config) as server:
        assert server.client.permission_plan().empty
        with pytest.raises((BackendError, SetupError)):
            await server.player.send(server.channels["announcements"], "first!")
