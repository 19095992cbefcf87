"""TwilioContactCenter through the real twilio SDK against the Flex emulator on loopback, spec-checked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from engine.flex.contact_center import WEBHOOK_FILTERS
from engine.flex.identity import identity_for, is_customer
from engine.ports import DeliveryError, HandoffRequest
from tests.flex_fixtures import (
    PUBLIC_URL,
    WORKFLOW_SID,
    WORKSPACE_SID,
    FlexWorld,
    running_flex_world,
    wait_for,
)

REQUEST = HandoffRequest(
    user_id="80351110224678912",
    user_name="Ash",
    case_ref="SUP-7",
    queue="billing",
    priority=10,
    skills=("billing",),
    case_fields={"summary": "charged twice"},
    transcript=(
        ("Ash", "I was charged twice"),
        ("bot", "Sorry to hear that!"),
        ("Ash", "real person please"),
    ),
)


@pytest.fixture
async def flex_world() -> AsyncIterator[FlexWorld]:
    async with running_flex_world() as world:
        yield world


def test_identity_is_safe_and_carries_only_the_snowflake() -> None:
    assert identity_for("80351110224678912") == "discord_80351110224678912"
    assert identity_for("a@b/c?d") == "discord_a-b-c-d"
    assert is_customer("discord_1") and not is_customer("ash") and not is_customer(None)


async def test_start_handoff_creates_conversation_participant_webhook_and_interaction(
    flex_world: FlexWorld,
) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    state = flex_world.flex.emulator.state

    conversation = state.conversations[ticket.conversation_sid]
    attributes = json.loads(conversation.attributes)
    assert attributes["case"] == "SUP-7" and attributes["queue"] == "billing"
    assert (
        attributes["discord_user"] == REQUEST.user_id
        and attributes["interaction_sid"] == ticket.interaction_sid
    )
    assert "SUP-7" in (conversation.friendly_name or "")
    assert [p.identity for p in conversation.participants.values()] == ["discord_80351110224678912"]
    (hook,) = conversation.webhooks.values()
    assert hook.target == "webhook" and hook.url == PUBLIC_URL + "/twilio/conversations"
    assert hook.method == "post" and hook.filters == WEBHOOK_FILTERS
    assert [(m.author, m.body) for m in conversation.messages] == [
        ("discord_80351110224678912", "I was charged twice"),
        ("bot", "Sorry to hear that!"),
        ("discord_80351110224678912", "real person please"),
    ]

    (task,) = await flex_world.flex.tasks()
    assert task["status"] == "pending" and task["interaction"] == ticket.interaction_sid
    assert task["conversation"] == ticket.conversation_sid
    routed = task["attributes"]
    assert routed["case"] == "SUP-7" and routed["queue"] == "billing" and routed["priority"] == 10
    assert routed["skills"] == ["billing"] and routed["summary"] == "charged twice"
    assert routed["customerName"] == "Ash" and routed["discord_user"] == REQUEST.user_id
    interaction = state.interactions[ticket.interaction_sid or ""]
    assert interaction.routing["workspace_sid"] == WORKSPACE_SID
    assert interaction.routing["workflow_sid"] == WORKFLOW_SID
    assert interaction.routing["task_channel_unique_name"] == "chat"
    assert flex_world.flex.emulator.violations == []


async def test_send_posts_as_the_player_once_per_key(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    await contact.send(ticket.conversation_sid, REQUEST.user_id, "hello?", "discord-msg-1")
    await contact.send(ticket.conversation_sid, REQUEST.user_id, "hello?", "discord-msg-1")
    await contact.aclose()

    restarted = flex_world.contact_center()  # a new process: nothing in memory
    await restarted.send(ticket.conversation_sid, REQUEST.user_id, "hello?", "discord-msg-1")
    await restarted.send(ticket.conversation_sid, REQUEST.user_id, "still there?", "discord-msg-2")

    sent = flex_world.flex.emulator.state.conversations[ticket.conversation_sid].messages[3:]
    assert [(m.author, m.body) for m in sent] == [
        ("discord_80351110224678912", "hello?"),
        ("discord_80351110224678912", "still there?"),
    ]
    assert json.loads(sent[0].attributes) == {"discord_message_id": "discord-msg-1", "key": "discord-msg-1"}
    # the echo of our own message reaches the webhook server, which ignores it
    deliveries = await wait_for(lambda: len(flex_world.flex.emulator.sender.log) >= 2)
    assert deliveries and all(d.status == 200 for d in flex_world.flex.emulator.sender.log)
    assert flex_world.runtime.events == []
    assert flex_world.flex.emulator.violations == []


async def test_a_long_message_is_split_at_twilios_limit(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    text = "x" * 1600 + "y" * 400  # Discord allows 2,000 characters, Twilio 1,600
    await contact.send(ticket.conversation_sid, REQUEST.user_id, text, "long")
    await contact.send(ticket.conversation_sid, REQUEST.user_id, text, "long")
    sent = flex_world.flex.emulator.state.conversations[ticket.conversation_sid].messages[
        len(REQUEST.transcript) :
    ]
    assert [m.body for m in sent] == ["x" * 1600, "y" * 400]
    assert [json.loads(m.attributes)["discord_message_id"] for m in sent] == ["long", "long"]


async def test_rate_limit_gives_retry_after_then_the_retry_delivers_once(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    await flex_world.flex.agent(
        "POST",
        "/faults",
        {"status": 429, "count": 1, "retry_after": 3, "path": "/Messages", "method": "POST"},
    )
    with pytest.raises(DeliveryError) as refused:
        await contact.send(ticket.conversation_sid, REQUEST.user_id, "anyone?", "k-429")
    assert refused.value.retry_after == 3 and not refused.value.permanent
    await contact.send(ticket.conversation_sid, REQUEST.user_id, "anyone?", "k-429")
    bodies = [m.body for m in flex_world.flex.emulator.state.conversations[ticket.conversation_sid].messages]
    assert bodies.count("anyone?") == 1


async def test_lost_answer_is_not_sent_twice(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    await flex_world.flex.agent(
        "POST", "/faults", {"status": 500, "count": 1, "path": "/Messages", "method": "POST", "after": True}
    )
    with pytest.raises(DeliveryError) as failed:
        await contact.send(ticket.conversation_sid, REQUEST.user_id, "did this arrive?", "k-lost")
    assert not failed.value.permanent
    await contact.send(ticket.conversation_sid, REQUEST.user_id, "did this arrive?", "k-lost")
    bodies = [m.body for m in flex_world.flex.emulator.state.conversations[ticket.conversation_sid].messages]
    assert bodies.count("did this arrive?") == 1


async def test_server_error_is_transient_and_refusal_is_permanent(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    await flex_world.flex.agent("POST", "/faults", {"status": 503, "count": 1, "path": "/Messages"})
    with pytest.raises(DeliveryError) as unavailable:
        await contact.send(ticket.conversation_sid, REQUEST.user_id, "one", "k-503")
    assert not unavailable.value.permanent and unavailable.value.retry_after is None

    missing = "CH" + "0" * 32
    with pytest.raises(DeliveryError) as refused:
        await contact.send(missing, REQUEST.user_id, "two", "k-404")
    assert refused.value.permanent and "404" in refused.value.reason


async def test_close_ends_the_task_and_the_conversation_even_after_a_restart(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    await contact.aclose()
    restarted = flex_world.contact_center()
    await restarted.close(ticket.conversation_sid)
    await restarted.close(ticket.conversation_sid)  # closing twice is harmless
    state = flex_world.flex.emulator.state
    assert state.conversations[ticket.conversation_sid].state == "closed"
    task = state.interactions[ticket.interaction_sid or ""]
    assert task.channel_status == "closed" and task.status == "canceled"
    with pytest.raises(DeliveryError) as closed:
        await restarted.send(ticket.conversation_sid, REQUEST.user_id, "late", "k-late")
    assert closed.value.permanent
    assert flex_world.flex.emulator.violations == []


async def test_one_open_conversation_per_player(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center(keep_closed=1)
    first = await contact.start_handoff(REQUEST)
    again = await contact.start_handoff(REQUEST)  # a retried start for the same case resumes it
    assert again == first
    assert len(flex_world.flex.emulator.state.tasks) == 1

    second = await contact.start_handoff(replace(REQUEST, case_ref="SUP-8"))
    state = flex_world.flex.emulator.state
    assert second.conversation_sid != first.conversation_sid
    assert state.conversations[first.conversation_sid].state == "closed"  # the stale one was closed
    third = await contact.start_handoff(replace(REQUEST, case_ref="SUP-9"))
    fourth = await contact.start_handoff(replace(REQUEST, case_ref="SUP-10"))
    # closed conversations beyond keep_closed=1 are deleted, oldest first
    assert first.conversation_sid not in state.conversations
    assert second.conversation_sid not in state.conversations
    assert state.conversations[third.conversation_sid].state == "closed"
    assert state.conversations[fourth.conversation_sid].state == "active"
    assert flex_world.flex.emulator.violations == []


async def test_resumes_a_half_done_handoff_without_duplicates(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    await flex_world.flex.agent("POST", "/faults", {"status": 500, "count": 1, "path": "/v1/Interactions"})
    with pytest.raises(DeliveryError):
        await contact.start_handoff(REQUEST)
    # the retry's transcript has slid by one line and grown by one
    later = replace(REQUEST, transcript=(*REQUEST.transcript[1:], ("Ash", "hello?")))
    ticket = await contact.start_handoff(later)
    conversation = flex_world.flex.emulator.state.conversations[ticket.conversation_sid]
    assert len(flex_world.flex.emulator.state.conversations) == 1
    assert len(conversation.participants) == 1 and len(conversation.webhooks) == 1
    assert [m.body for m in conversation.messages] == [text for _, text in REQUEST.transcript] + ["hello?"]
    assert len(flex_world.flex.emulator.state.tasks) == 1
    assert flex_world.flex.emulator.violations == []


def test_what_the_contact_center_remembers_is_bounded() -> None:
    from engine.bounded import BoundedMap

    remembered: BoundedMap[str, int] = BoundedMap(3)
    for number in range(5):
        remembered.put(f"CH{number}", number)
    remembered.put("CH2", 2)  # stored again: now the most recent
    remembered.put("CH5", 5)
    assert list(remembered) == ["CH4", "CH2", "CH5"]
