"""Delivery through the outbox: retries in lane order, permanent failures, handoffs that fail then succeed."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.events import User
from engine.runtime import Generation, Runtime
from engine.runtime.outbox import MAX_DELAY_S, retry_delay
from engine.store import open_store
from tests.support.twins import (
    DM_BLOCKED,
    ManualClock,
    MemoryChat,
    MemoryContactCenter,
    Player,
    World,
)

ASH = "111"


def test_retry_delay_grows_exponentially_with_jitter_and_honours_retry_after() -> None:
    assert retry_delay(1, None, jitter=lambda: 0.0) == 2.0
    assert retry_delay(4, None, jitter=lambda: 0.0) == 16.0
    assert retry_delay(4, None, jitter=lambda: 1.0) == pytest.approx(19.2)
    assert retry_delay(30, None, jitter=lambda: 0.0) == MAX_DELAY_S
    assert retry_delay(1, 42.0, jitter=lambda: 1.0) == 42.0


async def test_a_failed_dm_is_retried_later_and_holds_back_the_dms_behind_it(world: World) -> None:
    ash = world.player(ASH, "Ash")
    world.chat.fail_next(1)
    await ash.uses("helpme", "general")
    assert world.chat.texts(ASH) == []
    await ash.says("how do I reset my password")
    assert world.chat.texts(ASH) == []  # waits behind the greeting

    await world.runtime.tick(world.clock.advance(1))
    assert world.chat.texts(ASH) == []  # not due yet
    await world.runtime.tick(world.clock.advance(60))
    texts = world.chat.texts(ASH)
    assert texts[0].startswith("Hi Ash!") and texts[1] == "Here's what I found:"


async def test_a_retry_happens_on_its_own_when_its_time_comes(world: World) -> None:
    world.chat.fail_next(1, retry_after=0.05)
    await world.player(ASH, "Ash").uses("helpme", "general")
    assert world.chat.texts(ASH) == []
    world.clock.advance(1)
    await world.chat.wait_for(lambda: bool(world.chat.texts(ASH)))
    assert world.chat.texts(ASH)[0].startswith("Hi Ash!")


async def test_a_dm_the_player_blocks_is_marked_failed_with_the_reason_and_not_retried(world: World) -> None:
    world.chat.block_dms(ASH)
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    attempts = world.chat.attempts
    await world.runtime.tick(world.clock.advance(600))
    assert world.chat.attempts == attempts
    dms = [item for item in await world.store.case_outbox("SUP-1") if item.kind == "dm"]
    assert [(item.status, item.attempts, item.last_error) for item in dms] == [("failed", 1, DM_BLOCKED)]
    assert world.contact.requests  # the handoff itself went ahead


async def test_an_agent_is_told_when_the_player_cannot_receive_their_message(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    handoff = world.contact.handoff_of(ASH)
    await world.contact.agent_joins(handoff, "Misty")
    world.chat.block_dms(ASH)
    await world.contact.agent_says(handoff, "Can you send a screenshot?", "Misty")
    assert world.contact.notices[handoff] == [
        "The player can't receive direct messages from the bot, so they did not see your last message."
    ]
    assert world.contact.sent[handoff] == []  # flexcord's own words, not shown as the player's


async def test_a_failed_handoff_tells_the_player_and_a_later_retry_connects_them(world: World) -> None:
    ash = world.player(ASH, "Ash")
    world.contact.fail_next(1)
    outcome = await ash.says("I want to talk to someone")
    assert world.chat.texts(ASH)[-2].startswith("I opened case SUP-1")
    assert world.chat.texts(ASH)[-1].startswith("I couldn't reach our support team just now. Your case SUP-1")
    conversation = await world.store.conversation(ASH)
    assert conversation is not None and (conversation.state, conversation.conversation_sid) == ("bot", None)
    case = await world.store.get_case("SUP-1")
    assert case is not None and case.status == "open" and outcome.case_ref == "SUP-1"

    await ash.says("how do I reset my password")  # the bot still answers meanwhile
    assert world.chat.dms[ASH][-1].embeds
    await world.runtime.tick(world.clock.advance(600))

    conversation = await world.store.conversation(ASH)
    assert (
        conversation is not None
        and conversation.state == "queued"
        and conversation.conversation_sid is not None
    )
    assert world.chat.texts(ASH)[-1].startswith("I opened case SUP-1 for you and I'm connecting you")
    [request] = world.contact.requests
    assert ("Ash", "how do I reset my password") in request.transcript
    await world.contact.agent_joins(conversation.conversation_sid, "Misty")
    assert world.chat.texts(ASH)[-1] == "Misty joined the chat."


async def test_asking_again_while_a_handoff_retries_replaces_the_waiting_request(world: World) -> None:
    ash = world.player(ASH, "Ash")
    world.contact.fail_next(1)
    await ash.says("agent")
    outcome = await ash.says("agent")
    assert (outcome.state, outcome.case_ref) == ("queued", "SUP-1")
    assert len(world.contact.requests) == 1
    await world.runtime.tick(world.clock.advance(3600))
    assert len(world.contact.requests) == 1  # the replaced request is not started as well
    assert world.contact.closed == []


async def test_pending_deliveries_resume_after_a_restart(generation: Generation, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flexcord.db'}"
    clock = ManualClock()
    store = await open_store(url)
    down = MemoryChat()
    down.fail_next(5)
    first = Runtime(generation, store, down, MemoryContactCenter(), clock=clock)
    await first.start()
    await Player(first, User(ASH, "Ash"), clock).uses("helpme", "general")
    await first.stop()
    await store.close()
    assert down.texts(ASH) == []

    store = await open_store(url)
    up = MemoryChat()
    second = Runtime(generation, store, up, MemoryContactCenter(), clock=clock)
    clock.advance(3600)
    await second.start()
    try:
        assert up.texts(ASH)[0].startswith("Hi Ash!")
    finally:
        await second.stop()
        await store.close()


async def test_idempotency_keys_reach_the_ports(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    await world.contact.agent_joins(world.contact.handoff_of(ASH), "Misty")
    keys = [message.key for message in world.chat.dms[ASH]]
    assert all(keys) and len(set(keys)) == len(keys) == 2
    await ash.says("hello")
    assert ash.last_event is not None and world.contact.keys == [ash.last_event.id]
