"""Case threads and forum posts with the real discord.py bot on SimCord."""

from __future__ import annotations

from typing import Any

from simcord import GuildHandle

from tests.discord_fixtures import open_server

TAGS = ("New", "Triaged", "Fixed", "Closed")


def with_forum(guild: GuildHandle) -> None:
    """The server has #support for case threads and #bug-report as a forum with status tags."""
    guild.create_text_channel("support")
    forum = guild.create_forum_channel("bug-report")
    forum._channel.available_tags = [  # SimCord has no builder for forum tags
        {"id": str(9000 + i), "name": name, "moderated": False, "emoji_id": None, "emoji_name": None}
        for i, name in enumerate(TAGS)
    ]


def post_tags(server: Any, thread_id: int) -> list[str]:
    thread = server.env.backend.channels[thread_id]
    names = {
        int(tag["id"]): tag["name"] for tag in server.env.backend.channels[thread.parent_id].available_tags
    }
    return [names[tag] for tag in thread.applied_tags]


async def test_a_player_with_closed_dms_is_moved_to_a_private_case_thread_and_reaches_the_agent() -> None:
    async with open_server(setup=with_forum) as server:
        player = server.player.user
        await player.send_dm("hello")
        dm = player.dm_channel.id
        server.env.inject_error(
            "POST", f"/channels/{dm}/messages", status=403, code=50007, message="Cannot send", times=None
        )
        await player.send_dm("I want to talk to a real person")
        await server.env.settle()
        threads = [c for c in server.env.backend.channels.values() if c.is_thread]
        assert len(threads) == 1
        thread = threads[0]
        assert server.player.id in thread.thread_members
        said = [m.content for m in server.env.backend.messages[thread.id].values()]
        assert any("DMs are closed" in text for text in said)

        handoff = server.contact.handoff_of(str(server.player.id))
        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.agent_says(handoff, "Hi! Which version are you on?", name="Brock")
        await server.env.settle()
        said = [m.content for m in server.env.backend.messages[thread.id].values()]
        assert any("Which version are you on?" in text for text in said)
