"""Carries out a routing Decision's actions, in order, for one player event inside its Turn."""

from __future__ import annotations

from collections.abc import Mapping
from typing import assert_never

from engine.chatbot import ChatbotAnswer
from engine.config.model import (
    Action,
    CloseConversation,
    Handoff,
    LeaveQueue,
    OpenCase,
    Post,
    Refuse,
    RelayToAgent,
    Reply,
    RunChatbot,
    SendDm,
    UpdateCase,
)
from engine.deliveries import SendToAgent
from engine.events import Decision, Event, OutMessage
from engine.runtime import cases, conversations
from engine.runtime.limits import describe_wait
from engine.runtime.turn import Turn

DEFAULT_TEMPLATE = "support"


def _default_template(turn: Turn) -> str | None:
    if DEFAULT_TEMPLATE in turn.config.cases:
        return DEFAULT_TEMPLATE
    return next(iter(turn.config.cases), None)


def relay_text(event: Event) -> str:
    """What the agent sees of a player's message: the text, then any attachment links."""
    return "\n".join(part for part in (event.text, *event.attachments) if part)


async def execute(
    turn: Turn,
    event: Event,
    decision: Decision,
    answers: Mapping[int, ChatbotAnswer],
) -> None:
    """Run each action of `decision`; `answers` holds the chatbot answers computed beforehand by index."""
    for index, action in enumerate(decision.actions):
        if not await _run(turn, event, action, answers.get(index)):
            return


async def _run(turn: Turn, event: Event, action: Action, answer: ChatbotAnswer | None) -> bool:
    """Carry out one action; False stops the actions after it."""
    match action:
        case Reply():
            turn.say(action.message, text=action.text)
        case SendDm():
            turn.dm(event.user.id, action.text or turn.generation.message(action.message or "fallback"))
        case Post():
            turn.post(action.channel, OutMessage(action.text))
        case OpenCase():
            return await _open_case(turn, event, action)
        case UpdateCase():
            await cases.update_case(turn, action, who=event.user.name)
        case RunChatbot():
            if answer is None:
                turn.say("fallback")
            for message in answer.messages if answer is not None else ():
                turn.tell(message)
        case Handoff():
            await _hand_off(turn, action)
        case LeaveQueue():
            await conversations.leave_queue(turn)
        case CloseConversation():
            await conversations.close(turn, event.user.name, tell_contact_center=True)
        case RelayToAgent():
            await _relay(turn, event)
        case Refuse():
            turn.tell(OutMessage(action.reason))
        case _:
            assert_never(action)
    return True


async def _hand_off(turn: Turn, action: Handoff) -> None:
    """Hand off about the case this turn opened, else a new case of the default template."""
    case = turn.opened
    if case is None:
        name = _default_template(turn)
        case = await cases.open_case(turn, name) if name is not None else None
    if case is not None:
        await conversations.hand_off(turn, action, case)


async def _open_case(turn: Turn, event: Event, action: OpenCase) -> bool:
    """Open the case, or ask for its form first (a slash command); False stops the remaining actions."""
    template = turn.config.cases.get(action.template)
    if template is not None and template.form and event.kind == "command":
        turn.form = cases.form_request(template)
        return False
    fields = cases.form_values(template, event.options) if event.kind == "form" else {}
    await cases.open_case(turn, action.template, fields)
    return True


async def _relay(turn: Turn, event: Event) -> None:
    """Pass the player's message to the agent, unless they exceed `limits.player_messages`
    (counted in the store, so every replica counts the same messages)."""
    limit = turn.config.limits.player_messages
    if limit is not None:
        key = f"relay/{event.user.id}"
        wait = await turn.tx.take_slot(key, limit.uses, limit.per_seconds, turn.now, once=event.id)
        if wait is not None:
            turn.say("rate_limited", extra={"wait": describe_wait(wait)})
            return
    text = turn.readable(relay_text(event))
    if not text:
        return
    sid = turn.conversation.conversation_sid
    turn.contact(SendToAgent(event.user.id, text, conversation_sid=sid), key=event.id)
