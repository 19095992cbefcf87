"""Case threads and forum posts with the real discord.py bot on SimCord.

The server has #support (where private case threads open) and #bug-report as a forum with one
tag per bug status. SimCord emulates private threads and their members, forum posts with tags,
and archiving and locking; it does not stop a player writing in a locked thread (Discord does).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import discord
import pytest
from simcord import ChannelHandle, GuildHandle

from engine.cli.serve import NO_MESSAGE_CONTENT
from engine.config import build
from engine.config.model import Config
from tests.discord_fixtures import CHANNELS, Server, demo_config, open_server
from tests.fixtures.config.demo import copy_demo

TAGS = ("New", "Triaged", "Fixed", "Closed")
TEXT_CHANNELS = tuple(name for name in CHANNELS if name != "bug-report")


def with_forum(guild: GuildHandle) -> Mapping[str, ChannelHandle]:
    """#bug-report as a forum whose tags name the bug statuses; #support, where moderators manage threads."""
    staff = {guild.roles["moderator"]: discord.PermissionOverwrite(manage_threads=True)}
    support = guild.create_text_channel("support", overwrites=staff)
    forum = guild.create_forum_channel("bug-report")
    forum._channel.available_tags = [  # SimCord has no builder for forum tags
        {"id": str(9000 + i), "name": name, "moderated": False, "emoji_id": None, "emoji_name": None}
        for i, name in enumerate(TAGS)
    ]
    return {"bug-report": forum, "support": support}


@functools.cache
def thread_config(folder: Path, reopen_within: str = "1d") -> Config:
    """The demo bot whose support cases are talked through in a private case thread."""
    demo = copy_demo(folder)
    demo.write_text(demo.read_text().replace("reopen_within: 1d", f"reopen_within: {reopen_within}"))
    cases = demo.parent / "routes" / "cases.yaml"
    cases.write_text(
        cases.read_text().replace("    prefix: SUP", "    prefix: SUP\n    conversation: thread")
    )
    result = build(demo, offline=True)
    assert result.ok and result.config is not None, [str(d) for d in result.errors]
    return result.config


def server_with(config: Config | None = None) -> Any:
    return open_server(config=config, setup=with_forum, text_channels=TEXT_CHANNELS)


def threads_in(server: Server, channel: str) -> list[ChannelHandle]:
    return server.channels[channel].threads


def texts(thread: ChannelHandle) -> list[str]:
    return [message.content for message in thread.history()]


def tags_of(server: Server, post: ChannelHandle) -> list[str]:
    forum = server.channels["bug-report"]._channel
    names = {int(tag["id"]): tag["name"] for tag in forum.available_tags}
    return [names[tag] for tag in post._channel.applied_tags]


async def agent_for(
    server: Server, text: str = "I want to talk to a real person"
) -> tuple[str, ChannelHandle]:
    """The player asks for a person by DM; (the handoff, the case thread it moved to)."""
    await server.player.user.send_dm(text)
    await server.env.settle()
    [thread] = threads_in(server, "support")
    return server.contact.handoff_of(str(server.player.id)), thread


async def test_a_thread_case_round_trips_player_agent_player_in_a_private_thread(tmp_path: Path) -> None:
    async with server_with(thread_config(tmp_path)) as server:
        handoff, thread = await agent_for(server)
        assert thread.name.startswith("SUP-1")
        assert thread._channel.type == 12  # a private thread
        assert server.player.id in thread._channel.thread_members
        said = texts(thread)
        assert said[0].startswith(server.roles["moderator"].mention)  # the staff role is called in
        assert any("connecting you to a live agent" in text for text in said)

        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.agent_says(handoff, "Hi! Which version are you on?", name="Brock")
        await server.env.settle()
        assert any("Which version are you on?" in text for text in texts(thread))

        await server.player.send(thread, "Version 1.2")
        await server.env.settle()
        assert server.contact.sent[handoff][-1] == "Version 1.2"
        dm = server.player.user.dm_channel
        assert not any("Which version" in m.content for m in dm.history())  # nothing went to the DM


async def test_a_player_with_closed_dms_is_moved_to_a_private_case_thread_and_told_why() -> None:
    async with server_with() as server:
        player = server.player.user
        await player.send_dm("hello")
        dm = player.dm_channel.id
        server.env.inject_error(
            "POST", f"/channels/{dm}/messages", status=403, code=50007, message="Cannot send", times=None
        )
        handoff, thread = await agent_for(server)
        assert server.player.id in thread._channel.thread_members
        said = texts(thread)
        assert "DMs are closed" in said[1] and any("live agent" in text for text in said)

        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.agent_says(handoff, "Hi! Which version are you on?", name="Brock")
        await server.env.settle()
        assert any("Which version are you on?" in text for text in texts(thread))


async def test_a_forum_post_wears_its_status_tag_through_three_changes_and_is_locked_when_closed() -> None:
    async with server_with() as server:
        shown = await server.player.slash(server.channels["bug-report"], "bug")
        await server.player.submit_modal(shown, {"summary": "Crash on start", "steps": "1. Start"})
        await server.env.settle()
        [post] = threads_in(server, "bug-report")
        assert post.name == "BUG-1: Crash on start" and tags_of(server, post) == ["New"]
        first = post.history()[0]
        assert "1. Start" in [field.value for field in first.embeds[0].fields]

        for status, tag in (("triaged", "Triaged"), ("fixed", "Fixed"), ("closed", "Closed")):
            answer = await server.moderator.slash(post, "case", status=status)  # no reference inside the post
            assert answer.response is not None and f"BUG-1 is now {status}" in answer.response.content
            await server.env.settle()
            assert tags_of(server, post) == [tag]
            assert f"status {status}" in (post.history()[0].embeds[0].footer.text or "")
        assert post._channel.thread_metadata.locked


async def test_case_inside_a_case_thread_needs_no_reference(tmp_path: Path) -> None:
    async with server_with(thread_config(tmp_path)) as server:
        _, thread = await agent_for(server)
        answer = await server.moderator.slash(thread, "case")
        assert answer.response is not None and "**SUP-1**" in answer.response.content


async def test_mycases_lists_the_players_two_open_cases_with_links(tmp_path: Path) -> None:
    async with server_with(thread_config(tmp_path)) as server:
        shown = await server.player.slash(server.channels["bug-report"], "bug")
        await server.player.submit_modal(shown, {"summary": "Crash on start", "steps": "1. Start"})
        _, thread = await agent_for(server)
        [post] = threads_in(server, "bug-report")

        answer = await server.player.slash(server.channels["general"], "mycases")
        assert answer.ephemeral and answer.response is not None
        title, *lines = answer.response.content.splitlines()
        assert title == "Your open cases:" and len(lines) == 2
        support = next(line for line in lines if line.startswith("**SUP-1**"))
        bug = next(line for line in lines if line.startswith("**BUG-1**"))
        assert f"Help for {server.player.name} · open" in support and support.endswith(str(thread.id))
        assert "Crash on start · open" in bug and bug.endswith(str(post.id))


async def test_a_closed_case_thread_is_locked_and_a_late_message_reopens_it(tmp_path: Path) -> None:
    async with server_with(thread_config(tmp_path)) as server:
        handoff, thread = await agent_for(server)
        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.closes(handoff)
        await server.env.settle()
        meta = thread._channel.thread_metadata
        assert meta.locked and meta.archived
        case = await server.store.get_case("SUP-1")
        assert case is not None and case.status == "closed"

        await server.player.send(thread, "Sorry, one more thing")
        await server.env.settle()
        case = await server.store.get_case("SUP-1")
        assert case is not None and case.status == "open"
        assert not meta.locked and not meta.archived
        assert any("SUP-1 is open again" in text for text in texts(thread))


async def test_a_message_after_the_reopen_window_starts_a_new_case_in_the_dms(tmp_path: Path) -> None:
    async with server_with(thread_config(tmp_path, "1m")) as server:
        handoff, thread = await agent_for(server)
        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.closes(handoff)
        await server.env.settle()
        await server.env.advance_time(120)  # past reopen_within

        await server.player.user.send_dm("I want to talk to a real person again")
        await server.env.settle()
        old = await server.store.get_case("SUP-1")
        assert old is not None and old.status == "closed"
        assert thread._channel.thread_metadata.locked
        assert [t.name[:5] for t in threads_in(server, "support")] == ["SUP-1", "SUP-2"]


async def test_without_threads_the_bot_needs_no_privileged_intent_and_dms_keep_working() -> None:
    no_privileged = discord.Intents(guilds=True, dm_messages=True)
    config = dataclasses.replace(
        demo_config(), discord=dataclasses.replace(demo_config().discord, threads=None)
    )
    async with open_server(config=config, approved_intents=no_privileged) as server:
        await server.player.user.send_dm("how do I trade with a friend?")
        answer = server.player.user.dm_channel.last_message
        assert answer is not None and answer.author.bot


async def test_with_threads_discord_refuses_a_bot_whose_message_content_intent_is_off() -> None:
    no_privileged = discord.Intents(guilds=True, dm_messages=True, guild_messages=True)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with open_server(approved_intents=no_privileged):
            pass
    assert "Message Content Intent" in NO_MESSAGE_CONTENT and "Developer Portal" in NO_MESSAGE_CONTENT


async def test_a_player_writing_again_by_dm_within_the_window_reopens_the_case_in_its_thread(
    tmp_path: Path,
) -> None:
    async with server_with(thread_config(tmp_path)) as server:  # on Discord a locked thread takes no posts
        handoff, thread = await agent_for(server)
        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.closes(handoff)
        await server.env.settle()

        await server.player.user.send_dm("It crashed again")
        await server.env.settle()
        case = await server.store.get_case("SUP-1")
        assert case is not None and case.status == "open"
        assert not thread._channel.thread_metadata.locked
        assert any("SUP-1 is open again" in text for text in texts(thread))
        assert [t.id for t in threads_in(server, "support")] == [thread.id]
