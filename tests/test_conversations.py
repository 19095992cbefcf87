"""Conversations on the demo bot: the FAQ bot, handoff to an agent and back, ratings, hours, limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.runtime import Generation
from engine.runtime.wire import contact_lane, dm_lane
from tests.support.twins import ManualClock, World, generation_from, memory_world

ASH = "111"
WEDNESDAY_MORNING = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)  # 09:00 in Los Angeles: support is open
SUNDAY_NIGHT = datetime(2026, 3, 9, 5, 0, tzinfo=UTC)  # Sunday 22:00 in Los Angeles: closed


@pytest.fixture(scope="module")
def generation(repo_root: Path) -> Generation:
    return generation_from(repo_root / "flexcord.yaml")


@pytest.fixture
async def world(generation: Generation) -> AsyncIterator[World]:
    opened = await memory_world(generation, clock=ManualClock(WEDNESDAY_MORNING))
    yield opened
    await opened.close()


async def test_helpme_then_a_question_gets_articles_and_solved_opens_no_case(world: World) -> None:
    ash = world.player(ASH, "Ash")
    outcome = await ash.uses("helpme", "general")
    assert [r.text for r in outcome.replies] == ["Check your DMs, Ash!"]
    assert outcome.ephemeral
    assert world.chat.texts(ASH) == [
        "Hi Ash! Ask me anything about the game, or type **agent** to reach a person."
    ]

    await ash.says("how do I reset my password")
    answer = world.chat.dms[ASH][-1]
    assert "Reset your account password" in [embed.title for embed in answer.embeds]
    assert {button.id for button in answer.buttons} == {"solved", "agent"}

    outcome = await ash.presses("solved", "That solved it")
    assert [r.text for r in outcome.replies] == ["Glad that helped! Ask me anything else any time."]
    assert await world.store.list_cases() == []
    assert world.contact.requests == []
    conversation = await world.store.conversation(ASH)
    assert conversation is not None and conversation.state == "bot"


async def test_live_agent_round_trip_with_transcript_rating_and_back_to_the_bot(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("how do I trade with friends")
    outcome = await ash.says("I want an agent")
    assert (outcome.state, outcome.case_ref) == ("queued", "SUP-1")
    assert world.chat.texts(ASH)[-1].startswith("I opened case SUP-1 for you and I'm connecting you")

    [request] = world.contact.requests
    assert (request.user_id, request.user_name, request.case_ref, request.queue) == (
        ASH,
        "Ash",
        "SUP-1",
        "support",
    )
    assert request.case_fields["title"] == "Help for Ash"
    assert ("Ash", "how do I trade with friends") in request.transcript
    assert ("Ash", "I want an agent") in request.transcript

    handoff = world.contact.handoff_of(ASH)
    await world.contact.agent_joins(handoff, "Misty")
    assert world.chat.texts(ASH)[-1] == "Misty joined the chat."
    await ash.says("my lucky egg vanished")
    assert world.contact.sent[handoff] == ["my lucky egg vanished"]
    await world.contact.agent_says(handoff, "Let me look at {{ that }}", "Misty")
    from_agent = world.chat.dms[ASH][-1]
    assert (from_agent.text, from_agent.author) == (
        "Let me look at {{ that }}",
        "Misty",
    )  # agent text is never a template

    await world.contact.closes(handoff)
    closed, prompt = world.chat.dms[ASH][-2:]
    assert closed.text == "Your chat about SUP-1 is closed. Thanks for reaching out!"
    assert [b.id for b in prompt.buttons] == ["rate:1", "rate:2", "rate:3", "rate:4", "rate:5"]
    case = await world.store.get_case("SUP-1")
    assert case is not None and case.status == "closed"

    await ash.says("4")
    assert world.chat.texts(ASH)[-1] == "Thanks for rating us 4/5!"
    case = await world.store.get_case("SUP-1")
    assert case is not None and case.rating == 4

    outcome = await ash.says("how do raids work")
    assert outcome.state == "bot" and outcome.case_ref is None
    assert world.chat.dms[ASH][-1].embeds  # the FAQ bot answered, not the agent
    assert world.contact.sent[handoff] == ["my lucky egg vanished"]

    lines = [(m.direction, m.author, m.text) for m in await world.store.case_transcript("SUP-1")]
    assert ("in", "Ash", "I want an agent") in lines
    assert ("out", "bot", "Misty joined the chat.") in lines
    assert ("in", "Ash", "my lucky egg vanished") in lines
    assert ("out", "Misty", "Let me look at {{ that }}") in lines
    assert ("in", "Ash", "4") in lines
    assert all(text != "how do raids work" for _, _, text in lines)
    history = await world.store.case_history("SUP-1")
    assert [(e.to_status, e.who, e.note) for e in history] == [
        ("open", "Ash", "opened"),
        ("open", "Misty", "agent joined"),
        ("closed", "Misty", "chat closed"),
    ]


async def test_after_hours_the_question_is_saved_as_a_case_without_a_handoff(generation: Generation) -> None:
    world = await memory_world(generation, clock=ManualClock(SUNDAY_NIGHT))
    try:
        outcome = await world.player(ASH, "Ash").says("can I talk to a real person")
        assert outcome.decision is not None and outcome.decision.rule == "after hours"
        assert world.chat.texts(ASH) == [
            "Our team is offline right now; we're back Monday at 09:00 (America/Los_Angeles). "
            "I saved your question as SUP-1 and someone will follow up."
        ]
        assert world.contact.requests == []
        case = await world.store.get_case("SUP-1")
        assert case is not None and case.status == "open"
    finally:
        await world.close()


async def test_cancel_leaves_the_queue_keeps_the_case_and_agent_comes_back_to_it(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent please")
    first = world.contact.handoff_of(ASH)
    outcome = await ash.says("cancel")
    assert outcome.state == "bot"
    assert world.contact.closed == [first]
    assert world.chat.texts(ASH)[-1].startswith("Okay, you left the queue. Case SUP-1 stays open")
    case = await world.store.get_case("SUP-1")
    assert case is not None and case.status == "open"

    outcome = await ash.says("agent")
    assert (outcome.state, outcome.case_ref) == ("queued", "SUP-1")
    assert [r.case_ref for r in world.contact.requests] == ["SUP-1", "SUP-1"]
    assert await world.store.get_case("SUP-2") is None


async def test_billing_questions_go_to_the_billing_queue_with_its_skills(world: World) -> None:
    await world.player(ASH, "Ash").says("I was charged twice for a purchase")
    [request] = world.contact.requests
    assert (request.queue, request.priority, request.skills) == ("billing", 10, ("billing",))


async def test_queue_timeout_is_told_once(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("human")
    await world.runtime.tick(world.clock.advance(14 * 60))
    assert not any(text.startswith("Sorry, everyone is still busy") for text in world.chat.texts(ASH))
    await world.runtime.tick(world.clock.advance(2 * 60))
    await world.runtime.tick(world.clock.advance(30 * 60))
    busy = [text for text in world.chat.texts(ASH) if text.startswith("Sorry, everyone is still busy")]
    assert busy == [
        "Sorry, everyone is still busy. You're still in line for case SUP-1; type **cancel** to leave."
    ]


async def test_a_contact_center_bot_speaks_to_the_player_while_queued(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    await world.contact.emit("bot_message", world.contact.handoff_of(ASH), text="You are number 3 in line.")
    message = world.chat.dms[ASH][-1]
    assert (message.text, message.author) == ("You are number 3 in line.", None)
    lines = [(m.author, m.text) for m in await world.store.case_transcript("SUP-1")]
    assert ("contact center", "You are number 3 in line.") in lines


async def test_agent_leaving_puts_the_player_back_in_line(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    handoff = world.contact.handoff_of(ASH)
    await world.contact.agent_joins(handoff, "Misty")
    await world.contact.agent_leaves(handoff, "Misty")
    assert world.chat.texts(ASH)[-1] == "Misty left the chat."
    conversation = await world.store.conversation(ASH)
    assert conversation is not None and conversation.state == "queued"
    await ash.says("hello?")
    assert world.contact.sent[handoff] == ["hello?"]


async def test_a_rating_button_rates_the_case(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    await world.contact.closes(world.contact.handoff_of(ASH))
    outcome = await ash.presses("rate:5", "5")
    assert [r.text for r in outcome.replies] == ["Thanks for rating us 5/5!"]
    case = await world.store.get_case("SUP-1")
    assert case is not None and case.rating == 5


async def test_a_number_that_is_not_a_rating_goes_to_the_bot(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    await world.contact.closes(world.contact.handoff_of(ASH))
    await ash.says("7")
    case = await world.store.get_case("SUP-1")
    assert case is not None and case.rating is None
    conversation = await world.store.conversation(ASH)
    assert conversation is not None and (conversation.state, conversation.awaiting_rating) == ("bot", False)


async def test_messages_to_the_agent_beyond_the_limit_are_refused_politely(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    handoff = world.contact.handoff_of(ASH)
    for n in range(11):  # limits.player_messages: 10/1m
        await ash.says(f"message {n}")
    assert world.contact.sent[handoff] == [f"message {n}" for n in range(10)]
    assert world.chat.texts(ASH)[-1] == (
        "You're sending messages faster than our agents can read them. Please wait 1 min and try again."
    )
    world.clock.advance(60)
    await ash.says("message 11")
    assert world.contact.sent[handoff][-1] == "message 11"


async def test_a_failed_handoff_reported_by_the_contact_center_returns_the_player_to_the_bot(
    world: World,
) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    await world.contact.fails(world.contact.handoff_of(ASH))
    assert world.chat.texts(ASH)[-1].startswith(
        "I couldn't reach our support team just now. Your case SUP-1 is saved"
    )
    conversation = await world.store.conversation(ASH)
    assert conversation is not None and (conversation.state, conversation.conversation_sid) == ("bot", None)


async def _chatting_with(world: World, agent: str, hello: str) -> str:
    """Ash asks for an agent, who joins and says `hello` (so the runtime knows the chat); its sid."""
    await world.player(ASH, "Ash").says("agent")
    handoff = world.contact.handoff_of(ASH)
    await world.contact.agent_joins(handoff, agent)
    await world.contact.agent_says(handoff, hello, agent)
    return handoff


async def test_an_agent_writing_in_an_old_chat_never_reaches_the_player_in_a_new_one(world: World) -> None:
    first = await _chatting_with(world, "Misty", "Hello from the first chat")
    await world.contact.closes(first)
    await world.player(ASH, "Ash").says("agent")
    second = world.contact.handoff_of(ASH)
    assert second != first
    await world.contact.agent_joins(second, "Rowan")

    await world.contact.agent_says(first, "a late line in the closed chat", "Misty")
    await world.contact.agent_says(second, "Hello from the second chat", "Rowan")
    texts = world.chat.texts(ASH)
    assert "a late line in the closed chat" not in texts
    assert texts[-1] == "Hello from the second chat"


async def test_an_agent_writing_after_the_player_was_forgotten_reaches_nobody(world: World) -> None:
    handoff = await _chatting_with(world, "Misty", "Hello")
    async with world.store.transaction() as tx:  # as `flexcord players forget` does, from another process
        await tx.forget_player(ASH, [dm_lane(ASH), contact_lane(ASH)])
    told = len(world.chat.dms[ASH])

    await world.contact.agent_says(handoff, "are you still there?", "Misty")
    assert len(world.chat.dms[ASH]) == told
    assert await world.store.conversation(ASH) is None
