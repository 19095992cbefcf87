"""DiscordChat, the runtime's chat side: failures mapped for the outbox, retries arriving once, long text."""

from __future__ import annotations

import pytest

from engine.discord.chat import DiscordChat
from engine.events import OutMessage
from engine.ports import DeliveryError
from engine.sandbox.ledger import MessageLedger
from tests.discord_fixtures import open_server

MESSAGES = "/channels/*/messages"


def bot_messages(history: list) -> list:  # type: ignore[type-arg]
    return [m for m in history if m.author.bot]


@pytest.mark.parametrize("status", [429, 500])
async def test_a_reply_that_discord_refuses_once_still_arrives_once(status: int) -> None:
    async with open_server() as server:
        server.env.inject_error("POST", MESSAGES, status=status, message="injected")
        player = server.player.user
        await player.send_dm("how do I trade with a friend?")
        await server.env.advance_time(30)  # the outbox retries on its timer
        replies = bot_messages(player.dm_channel.history())
        assert len(replies) == 1 and replies[0].embeds
        await server.env.advance_time(600)
        assert len(bot_messages(player.dm_channel.history())) == 1
        attempts = [
            r for r in server.env.http_requests if r.method == "POST" and r.path.endswith("/messages")
        ]
        assert len(attempts) == 2


async def test_failures_become_delivery_errors_the_outbox_understands() -> None:
    async with open_server() as server:
        chat, player = server.client.chat, str(server.player.id)
        server.env.inject_error(
            "POST", MESSAGES, status=403, code=50007, message="Cannot send messages to this user"
        )
        with pytest.raises(DeliveryError) as blocked:
            await chat.send_dm(player, OutMessage(text="hello"))
        assert blocked.value.permanent and "50007" in blocked.value.reason

        server.env.inject_error("POST", MESSAGES, status=503, message="Service Unavailable")
        with pytest.raises(DeliveryError) as outage:
            await chat.post("general", OutMessage(text="hello"))
        assert not outage.value.permanent

        with pytest.raises(DeliveryError) as missing:
            await chat.post("no-such-channel", OutMessage(text="hello"))
        assert missing.value.permanent and "#no-such-channel" in missing.value.reason


async def test_a_retried_message_resumes_after_the_parts_already_sent() -> None:
    async with open_server() as server:
        chat, channel = server.client.chat, server.channels["general"]
        text = "\n\n".join(f"Paragraph {i}: " + "lorem ipsum " * 120 for i in range(3))
        message = OutMessage(text=text, key="post:general:7")
        server.env.inject_error("POST", MESSAGES, status=500)
        with pytest.raises(DeliveryError):
            await chat.post("general", message)
        first_id = await chat.post("general", message)
        again = await chat.post("general", message)  # delivered already: nothing is sent twice
        history = channel.history()
        assert [m.content.split(":")[0] for m in history] == ["Paragraph 0", "Paragraph 1", "Paragraph 2"]
        assert str(history[0].id) == first_id == again


async def test_a_long_agent_message_arrives_as_clean_parts() -> None:
    async with open_server() as server:
        player = server.player.user
        await player.send_dm("I want to talk to a real person")
        handoff = server.contact.handoff_of(str(server.player.id))
        words = [f"word{i}" for i in range(900)]  # about 7000 characters
        await server.contact.agent_says(handoff, " ".join(words), name="Brock")
        await server.env.settle()
        parts = [m.content for m in bot_messages(player.dm_channel.history())][-4:]
        assert all(len(p) <= 2000 for p in parts)
        assert parts[0].startswith("**Brock")
        joined = " ".join(parts).split()
        assert joined[-900:] == words  # every word whole, in order


async def test_a_send_whose_answer_was_lost_is_found_on_discord_and_not_sent_again() -> None:
    async with open_server() as server:
        ledger = MessageLedger(enforce_nonce=False)  # as SimCord: Discord's nonce check does not help here
        ledger.attach(server.env.backend)
        ledger.lose_answers(1)
        player = server.player.user
        await player.send_dm("how do I trade with a friend?")
        assert len(bot_messages(player.dm_channel.history())) == 1  # made, but the bot got a timeout
        await server.env.advance_time(30)  # the outbox retries on its timer and looks first
        await server.env.advance_time(600)
        replies = bot_messages(player.dm_channel.history())
        assert len(replies) == 1 and replies[0].embeds
        dm = f"/channels/{player.dm_channel.id}/messages"
        calls = [(r.method, r.path) for r in server.env.http_requests if r.path == dm]
        assert calls == [("POST", dm), ("GET", dm)]  # the lost send, then the look that found it
        outbox = await server.store.lane_outbox(f"dm:{server.player.id}")
        assert [(item.status, item.attempts) for item in outbox] == [("delivered", 2)]


async def test_a_repeated_send_that_discord_did_not_make_is_sent_after_the_look() -> None:
    async with open_server() as server:
        chat, player = server.client.chat, server.player.user
        await chat.send_dm(str(player.id), OutMessage(text="Same words", key="dm:1:0"))
        server.env.inject_error("POST", MESSAGES, status=502, message="Bad Gateway")
        message = OutMessage(text="Same words", key="dm:1:1")
        with pytest.raises(DeliveryError):
            await chat.send_dm(str(player.id), message)
        await chat.send_dm(str(player.id), message)  # the look finds only the older one: this is sent
        assert [m.content for m in player.dm_channel.history()] == ["Same words", "Same words"]


async def test_discord_with_enforced_nonces_answers_a_repeat_with_the_first_message() -> None:
    async with open_server() as server:
        MessageLedger().attach(server.env.backend)
        chat, channel = server.client.chat, server.channels["general"]
        message = OutMessage(text="Once only", key="post:general:9")
        first = await chat.post("general", message)
        fresh = DiscordChat(server.client, lambda: server.client.guild)  # a restarted bot, memory empty
        assert await fresh.post("general", message) == first
        assert [m.content for m in channel.history()] == ["Once only"]
