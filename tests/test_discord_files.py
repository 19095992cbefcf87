"""Files on the Discord side, with the real discord.py client on SimCord: a player's file in a DM is
read at once and kept with the case, then relayed after the text; a refused one is answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.attachments import Upload
from tests.discord_fixtures import Server, open_server
from tests.support.files import EXE, JPEG, png
from tests.test_discord_threads import agent_for, server_with, thread_config


async def send_dm_with_files(server: Server, text: str, files: list[tuple[str, bytes]]) -> Any:
    """The player DMs the bot with files attached (stored on SimCord's CDN, as Discord does)."""
    backend = server.env.backend
    channel = backend.get_dm_channel(server.player.id)
    return await server.player.user.send_dm(text, attachments=backend.store_attachments(channel.id, files))


async def test_a_players_png_in_a_dm_is_kept_with_the_case_and_relayed_after_the_text() -> None:
    async with open_server() as server:
        player = server.player.user
        await player.send_dm("I want to talk to a real person")
        handoff = server.contact.handoff_of(str(server.player.id))
        await server.contact.agent_joins(handoff, "Brock")
        await server.env.settle()

        image = png(12, 12)
        await send_dm_with_files(server, "it crashes here", [("crash.png", image)])
        await server.env.settle()
        assert server.contact.sent[handoff][-2:] == ["it crashes here", "[file crash.png]"]
        conversation = await server.store.conversation(str(server.player.id))
        assert conversation is not None and conversation.case_ref
        [kept] = await server.store.case_attachments(conversation.case_ref)
        assert (kept.name, kept.content_type, kept.size, kept.who) == (
            "crash.png",
            "image/png",
            len(image),
            "ash",
        )
        async with server.store.view() as view:
            stored = await view.get_attachment(kept.id)
        assert stored is not None and stored[1] == image  # a copy, not Discord's expiring link


async def test_a_program_renamed_png_is_refused_in_the_dm_with_what_is_allowed() -> None:
    async with open_server() as server:
        player = server.player.user
        await player.send_dm("I want to talk to a real person")
        handoff = server.contact.handoff_of(str(server.player.id))
        await server.contact.agent_joins(handoff, "Brock")
        await server.env.settle()

        await send_dm_with_files(server, "", [("cute.png", EXE)])
        await server.env.settle()
        last = player.dm_channel.last_message
        assert last is not None and "cute.png" in last.content and "PNG, JPEG" in last.content
        assert not any("cute.png" in text for text in server.contact.sent[handoff])


async def test_an_agents_jpeg_reaches_the_player_as_a_discord_file_with_the_agents_text() -> None:
    async with open_server() as server:
        player = server.player.user
        await player.send_dm("I want to talk to a real person")
        handoff = server.contact.handoff_of(str(server.player.id))
        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.agent_says(
            handoff, "Tap here:", name="Brock", file=Upload("tap-here.jpg", JPEG, "image/jpeg")
        )
        await server.env.settle()
        messages = list(player.dm_channel.history())
        said = next(m for m in messages if "Tap here:" in m.content)
        upload = next(m for m in messages if m.attachments)
        assert said.id <= upload.id
        [attachment] = upload.attachments
        assert attachment.filename == "tap-here.jpg"
        assert await attachment.read() == JPEG


async def test_a_file_sent_to_the_bot_is_kept_for_the_players_next_case_or_refused_with_why() -> None:
    async with open_server() as server:
        player = server.player.user
        image = png(6, 6)
        await send_dm_with_files(server, "", [("cute.png", EXE), ("before.png", image)])
        await server.env.settle()
        assert any("cute.png" in m.content for m in player.dm_channel.history())

        await player.send_dm("I want to talk to a real person")
        await server.env.settle()
        conversation = await server.store.conversation(str(server.player.id))
        assert conversation is not None and conversation.case_ref
        kept = await server.store.case_attachments(conversation.case_ref)
        assert [(f.name, f.size) for f in kept] == [("before.png", len(image))]


async def test_an_agents_jpeg_reaches_a_player_in_a_case_thread_there_and_not_in_the_dm(
    tmp_path: Path,
) -> None:
    async with server_with(thread_config(tmp_path)) as server:
        handoff, thread = await agent_for(server)
        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.agent_says(
            handoff, "Tap here:", name="Brock", file=Upload("tap-here.jpg", JPEG, "image/jpeg")
        )
        await server.env.settle()
        messages = list(thread.history())
        said = next(m for m in messages if "Tap here:" in m.content)
        upload = next(m for m in messages if m.attachments)
        assert said.id <= upload.id
        [attachment] = upload.attachments
        assert attachment.filename == "tap-here.jpg" and await attachment.read() == JPEG
        assert not any(m.attachments for m in server.player.user.dm_channel.history())
        [kept] = await server.store.case_attachments(thread.name.split(" ")[0])
        assert (kept.name, kept.who) == ("tap-here.jpg", "Brock")


async def test_a_players_png_in_their_case_thread_reaches_the_agent_after_the_text(tmp_path: Path) -> None:
    async with server_with(thread_config(tmp_path)) as server:
        handoff, thread = await agent_for(server)
        await server.contact.agent_joins(handoff, "Brock")
        image = png(5, 9)
        await server.player.send(thread, "here it is", attachments=[("crash.png", image)])
        await server.env.settle()
        assert server.contact.sent[handoff][-2:] == ["here it is", "[file crash.png]"]
        [kept] = await server.store.case_attachments(thread.name.split(" ")[0])
        assert (kept.name, kept.size, kept.who) == ("crash.png", len(image), "ash")
