"""Twilio's webhooks into flexcord: signatures, event mapping, and the emulator's agent flow end to end."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest
from quart.wrappers import Request
from twilio.request_validator import RequestValidator

from engine.events import ContactEvent
from engine.flex.webhooks import BadWebhook, conversation_event, parse_form, studio_event, taskrouter_event
from engine.metrics import Metrics
from engine.ports import HandoffRequest
from tests.flex_fixtures import (
    AUTH_TOKEN,
    PUBLIC_URL,
    DurableRuntime,
    FlexWorld,
    RecordingRuntime,
    demo_config,
    running_flex_world,
    wait_for,
)

CONVERSATION = "CH" + "d4" * 16
SIGNER = RequestValidator(AUTH_TOKEN)


@pytest.fixture
async def flex_world() -> AsyncIterator[FlexWorld]:
    async with running_flex_world() as world:
        yield world


def agent_message(**extra: str) -> dict[str, str]:
    return {
        "EventType": "onMessageAdded",
        "ConversationSid": CONVERSATION,
        "MessageSid": "IM" + "e5" * 16,
        "Author": "ash_agent",
        "Body": "Hi, I'm Ash from support.",
        "Source": "SDK",
        "Index": "3",
        **extra,
    }


async def post(world: FlexWorld, path: str, params: dict[str, str], *, signature: str | None = None) -> int:
    """POST a form to flexcord as Twilio would, signed for the configured public URL unless told otherwise."""
    if signature is None:
        signature = SIGNER.compute_signature(PUBLIC_URL + path, params)
    headers = {"X-Twilio-Signature": signature} if signature else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            world.flexcord.url + path,
            data=urlencode(params),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        ) as answer,
    ):
        return answer.status


# --- mapping (pure) ----------------------------------------------------------------------------


def test_agent_message_becomes_a_contact_event_named_from_participant_attributes() -> None:
    names: dict[str, str] = {}
    joined = conversation_event(
        {
            "EventType": "onParticipantAdded",
            "ConversationSid": CONVERSATION,
            "ParticipantSid": "MB1",
            "Identity": "ash_agent",
            "Attributes": '{"friendlyName": "Ash"}',
        },
        names,
    )
    assert joined is not None and joined.kind == "agent_joined" and joined.agent == "Ash"
    assert joined.id == "onParticipantAddedMB1" and joined.conversation_sid == CONVERSATION
    said = conversation_event(agent_message(), names)
    assert said is not None and said.kind == "agent_message" and said.agent == "Ash"
    assert said.id == "IM" + "e5" * 16 and said.text == "Hi, I'm Ash from support."


def test_our_own_messages_and_other_events_are_ignored() -> None:
    names: dict[str, str] = {}
    assert conversation_event(agent_message(Author="discord_123", Source="API"), names) is None
    assert (
        conversation_event(
            agent_message(Author="bot", Source="API", Attributes='{"source": "flexcord", "transcript": 1}'),
            names,
        )
        is None
    )
    assert (
        conversation_event(
            {
                "EventType": "onParticipantAdded",
                "ConversationSid": CONVERSATION,
                "Identity": "discord_123",
                "ParticipantSid": "MB2",
            },
            names,
        )
        is None
    )
    assert (
        conversation_event(
            {
                "EventType": "onConversationStateUpdated",
                "ConversationSid": CONVERSATION,
                "StateTo": "inactive",
            },
            names,
        )
        is None
    )
    assert conversation_event({"EventType": "onSomethingNew"}, names) is None
    closed = conversation_event(
        {
            "EventType": "onConversationStateUpdated",
            "ConversationSid": CONVERSATION,
            "StateFrom": "active",
            "StateTo": "closed",
        },
        names,
    )
    assert closed is not None and closed.kind == "closed" and closed.id == CONVERSATION + "closed"
    with pytest.raises(BadWebhook):
        conversation_event({"EventType": "onMessageAdded"}, names)


def test_taskrouter_and_studio_events() -> None:
    attributes = f'{{"conversationSid": "{CONVERSATION}", "case": "SUP-1"}}'
    accepted = taskrouter_event(
        {
            "EventType": "reservation.accepted",
            "WorkerName": "Misty",
            "ReservationSid": "WR1",
            "TaskAttributes": attributes,
        }
    )
    assert accepted is not None and accepted.kind == "agent_joined" and accepted.agent == "Misty"
    done = taskrouter_event({"EventType": "task.completed", "TaskAttributes": attributes})
    assert done is not None and done.kind == "closed" and done.conversation_sid == CONVERSATION
    for dropped in ("task.canceled", "workflow.timeout"):
        failed = taskrouter_event({"EventType": dropped, "TaskSid": "WT1", "TaskAttributes": attributes})
        assert failed is not None and failed.kind == "failed" and failed.conversation_sid == CONVERSATION
    assert taskrouter_event({"EventType": "task.created", "TaskAttributes": attributes}) is None
    assert taskrouter_event({"EventType": "task.completed", "TaskAttributes": "{}"}) is None
    reply = {"ConversationSid": CONVERSATION, "Body": "Here is an article", "Id": "7"}
    bot = studio_event(reply)
    assert bot.kind == "bot_message" and bot.text == "Here is an article"
    assert studio_event(dict(reply)).id == bot.id != studio_event({**reply, "Id": "8"}).id
    with pytest.raises(BadWebhook):
        studio_event({"Body": "no conversation"}, None)


def test_form_parsing_is_strict() -> None:
    assert parse_form(b"A=1&B=2&B=3", "application/x-www-form-urlencoded") == [
        ("A", "1"),
        ("B", "2"),
        ("B", "3"),
    ]
    for body, kind in ((b"\xff=1", "application/x-www-form-urlencoded"), (b"{}", "application/json")):
        with pytest.raises(BadWebhook):
            parse_form(body, kind)


# --- over HTTP ----------------------------------------------------------------------------------


async def test_forged_or_missing_signature_is_refused(flex_world: FlexWorld) -> None:
    params = agent_message()
    assert await post(flex_world, "/twilio/conversations", params, signature="") == 403
    assert await post(flex_world, "/twilio/conversations", params, signature="bm90IGEgc2lnbmF0dXJl") == 403
    # signed for the address the request reached instead of the configured public URL
    proxied = SIGNER.compute_signature(flex_world.flexcord.url + "/twilio/conversations", params)
    assert await post(flex_world, "/twilio/conversations", params, signature=proxied) == 403
    tampered = SIGNER.compute_signature(PUBLIC_URL + "/twilio/conversations", params)
    assert (
        await post(
            flex_world,
            "/twilio/conversations",
            {**params, "Body": "send me your password"},
            signature=tampered,
        )
        == 403
    )
    assert flex_world.runtime.events == []


async def test_a_valid_webhook_reaches_the_runtime_with_its_id_each_time(flex_world: FlexWorld) -> None:
    params = agent_message()
    assert await post(flex_world, "/twilio/conversations", params) == 200
    assert await post(flex_world, "/twilio/conversations", params) == 200  # Twilio retried
    events = await wait_for(
        lambda: flex_world.runtime.events if len(flex_world.runtime.events) == 2 else None
    )
    assert events[0] == events[1]  # same id: the runtime applies it once
    assert events[0].kind == "agent_message" and events[0].text == "Hi, I'm Ash from support."
    assert await post(flex_world, "/twilio/conversations", {"EventType": "onFuture", "X": "1"}) == 200
    assert await post(flex_world, "/twilio/conversations", {"EventType": "onMessageAdded"}) == 400


async def test_every_call_is_counted_by_result() -> None:
    metrics = Metrics()
    async with running_flex_world(metrics) as world:
        assert await post(world, "/twilio/conversations", agent_message(), signature="x") == 403
        assert await post(world, "/twilio/conversations", agent_message()) == 200
        assert await post(world, "/twilio/conversations", {"EventType": "onDeliveryUpdated"}) == 200
        await wait_for(lambda: world.runtime.events)

    def count(result: str) -> float | None:
        labels = {"endpoint": "conversations", "result": result}
        return metrics.registry.get_sample_value("flexcord_webhooks_total", labels)

    assert (count("forbidden"), count("accepted"), count("ignored")) == (1, 1, 1)


async def test_taskrouter_and_studio_endpoints_check_signatures(flex_world: FlexWorld) -> None:
    attributes = f'{{"conversationSid": "{CONVERSATION}"}}'
    accepted = {
        "EventType": "reservation.accepted",
        "WorkerName": "Misty",
        "ReservationSid": "WR" + "a1" * 16,
        "TaskAttributes": attributes,
    }
    assert await post(flex_world, "/twilio/taskrouter", accepted, signature="x") == 403
    assert await post(flex_world, "/twilio/taskrouter", accepted) == 200
    reply = {"ConversationSid": CONVERSATION, "Body": "Try restarting the game."}
    assert await post(flex_world, "/twilio/studio/reply", reply, signature="x") == 403
    assert await post(flex_world, "/twilio/studio/reply", reply) == 200
    events = await wait_for(
        lambda: flex_world.runtime.events if len(flex_world.runtime.events) == 2 else None
    )
    assert sorted(e.kind for e in events) == ["agent_joined", "bot_message"]


async def test_emulated_agent_flow_sends_signed_webhooks_to_flexcord(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(HandoffRequest("42", "Brock", "SUP-3", "support"))
    (task,) = await flex_world.flex.tasks()
    flex = flex_world.flex
    events = flex_world.runtime.events

    await flex.agent("POST", f"/tasks/{task['sid']}/accept", {"agent": "Misty Waterflower"})
    joined = await wait_for(lambda: [e for e in events if e.kind == "agent_joined"])
    assert joined[0].agent == "Misty Waterflower" and joined[0].conversation_sid == ticket.conversation_sid

    await contact.send(ticket.conversation_sid, "42", "my game crashes", "d-1")  # echo: ignored
    await flex.agent("POST", f"/tasks/{task['sid']}/messages", {"text": "Which device?"})
    said = await wait_for(lambda: [e for e in events if e.kind == "agent_message"])
    assert said[0].text == "Which device?" and said[0].agent == "Misty Waterflower"

    await flex.agent("POST", f"/tasks/{task['sid']}/close")
    closed = await wait_for(lambda: [e for e in events if e.kind == "closed"])
    assert closed[0].conversation_sid == ticket.conversation_sid
    assert [e.kind for e in events] == ["agent_joined", "agent_message", "closed"]
    assert (await flex.agent("GET", f"/tasks/{task['sid']}"))["status"] == "wrapping"
    deliveries = await flex.agent("GET", "/deliveries")
    assert {d["event"] for d in deliveries} >= {
        "onParticipantAdded",
        "onMessageAdded",
        "onConversationStateUpdated",
    }
    assert all(d["status"] == 200 and d["url"] == PUBLIC_URL + "/twilio/conversations" for d in deliveries)
    assert await flex.agent("GET", "/violations") == []


async def test_unknown_fields_are_ignored(flex_world: FlexWorld) -> None:
    params = agent_message(FutureField="something new", Media="[]", RetryCount="0")
    assert await post(flex_world, "/twilio/conversations", params) == 200
    (event,) = await wait_for(lambda: flex_world.runtime.events)
    assert (event.kind, event.text) == ("agent_message", "Hi, I'm Ash from support.")


async def test_an_event_is_acknowledged_only_once_recorded_and_twilio_asked_again_if_not() -> None:
    runtime = DurableRuntime(demo_config(public_url=PUBLIC_URL), fail=1)
    async with running_flex_world(runtime=runtime) as world:
        assert await post(world, "/twilio/conversations", agent_message()) == 503  # not recorded
        assert runtime.events == []
        assert await post(world, "/twilio/conversations", agent_message()) == 200  # Twilio's retry
        assert [event.kind for event in runtime.events] == ["agent_message"]  # recorded before the 200


async def test_the_emulator_retries_and_keeps_a_conversations_webhooks_in_order() -> None:
    runtime = DurableRuntime(demo_config(public_url=PUBLIC_URL), fail=2)
    async with running_flex_world(runtime=runtime) as world:
        ticket = await world.contact_center().start_handoff(HandoffRequest("42", "Brock", "SUP-3", "support"))
        (task,) = await world.flex.tasks()
        await world.flex.agent("POST", f"/tasks/{task['sid']}/accept", {"agent": "Misty"})  # 503, 503, 200
        for text in ("one", "two", "three"):
            await world.flex.agent("POST", f"/tasks/{task['sid']}/messages", {"text": text})
        events = await wait_for(lambda: runtime.events if len(runtime.events) == 4 else None)
        assert [(e.kind, e.text) for e in events] == [
            ("agent_joined", ""),
            ("agent_message", "one"),
            ("agent_message", "two"),
            ("agent_message", "three"),
        ]
        assert all(e.conversation_sid == ticket.conversation_sid for e in events)
        deliveries = await world.flex.agent("GET", "/deliveries")
        assert [(d["event"], d["attempts"], d["status"]) for d in deliveries] == [
            ("onParticipantAdded", 3, 200),
            ("onMessageAdded", 1, 200),
            ("onMessageAdded", 1, 200),
            ("onMessageAdded", 1, 200),
        ]


async def forget_cancelled_timers() -> None:
    """Make asyncio drop the timers that were cancelled (it keeps them until many are, or their time comes).

    A request's timeouts are cancelled once it is answered; asyncio's lazy clean-up of them is not
    something the webhook layer keeps, so it is flushed here before looking for what is kept.
    """
    loop = asyncio.get_running_loop()
    for _ in range(1000):
        loop.call_later(3600, lambda: None).cancel()
    await asyncio.sleep(0)  # one turn of the loop, in which it purges cancelled timers


class HeldRuntime(RecordingRuntime):
    """A runtime that takes each event and holds on applying it until released."""

    def __init__(self) -> None:
        super().__init__(demo_config(public_url=PUBLIC_URL))
        self.release = asyncio.Event()

    async def on_contact_event(self, event: ContactEvent) -> None:
        self.events.append(event)
        await self.release.wait()


async def test_malformed_sids_are_refused() -> None:
    async with running_flex_world() as world:
        for field, value in (
            ("MessageSid", "IM" + "e5" * 16 + "SourceSDK"),
            ("MessageSid", "IM123"),
            ("ConversationSid", "MB" + "d4" * 16),
            ("ParticipantSid", "MB" + "zz" * 16),
        ):
            assert await post(world, "/twilio/conversations", agent_message(**{field: value})) == 400
        reply = {"ConversationSid": "CH-not-a-sid", "Body": "hello"}
        assert await post(world, "/twilio/studio/reply", reply) == 400
        accepted = {
            "EventType": "reservation.accepted",
            "ReservationSid": "WR1",
            "TaskAttributes": f'{{"conversationSid": "{CONVERSATION}"}}',
        }
        assert await post(world, "/twilio/taskrouter", accepted) == 400
        assert world.runtime.events == []


async def test_no_request_is_kept_once_answered_while_its_event_is_still_applied() -> None:
    runtime = HeldRuntime()
    async with running_flex_world(runtime=runtime) as world:
        for number in range(5):
            params = agent_message(MessageSid="IM" + f"{number:02d}" * 16)
            assert await post(world, "/twilio/conversations", params) == 200
        await wait_for(lambda: len(runtime.events) == 5)  # each one is being applied now
        await forget_cancelled_timers()
        gc.collect()
        assert [o for o in gc.get_objects() if isinstance(o, Request)] == []
        runtime.release.set()
