"""Carries out a routing Decision's actions, in order, for one player event inside its Turn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import assert_never

from engine.attachments import check_files, describe_size
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
            break
    takes_files = (RelayToAgent, OpenCase) if event.kind == "form" else (RelayToAgent,)
    if event.files and not any(isinstance(action, takes_files) for action in decision.actions):
        await keep_files(turn, event)  # kept for the player's case (the next one, if none is open) or refused


async def _run(turn: Turn, event: Event, action: Action, answer: ChatbotAnswer | None) -> bool:
    """Carry out one action; False stops the actions after it."""
    match action:
        case Reply():
            turn.say(action.message, text=action.text)
        case SendDm():
            turn.dm(
                event.user.id,
                action.text or turn.generation.message(action.message or "fallback", turn.locale),
            )
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
        turn.form = replace(cases.form_request(template, turn.generation, turn.locale), command=event.command)
        return False
    fields = cases.form_values(template, event.options) if event.kind == "form" else {}
    case = await cases.open_case(turn, action.template, fields)
    if event.kind == "form":  # the form's files are the case's, before any handoff after it
        await keep_files(turn, event, case.ref if case is not None else None)
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
    sid = turn.conversation.conversation_sid
    if text:
        turn.contact(SendToAgent(event.user.id, text, conversation_sid=sid), key=event.id)
    for number, kept in enumerate(await keep_files(turn, event), 1):  # after the text, one file a message
        file = SendToAgent(event.user.id, "", conversation_sid=sid, attachment_id=kept)
        turn.contact(file, key=f"{event.id}:file{number}")


async def keep_files(turn: Turn, event: Event, case_ref: str | None = None) -> list[int]:
    """Check the player's files against `attachments:`; keep those taken (with `case_ref`, else the
    conversation's case), say why of the others."""
    rules = turn.config.attachments
    taken, refused = check_files(rules, list(event.files))
    for refusal in refused:
        limit = describe_size(rules.max_bytes) if refusal.reason == "file_too_big" else rules.max_per_message
        extra = {"file": {"name": refusal.name}, "limit": limit, "allowed": rules.allowed}
        turn.say(refusal.reason, extra=extra)
    case_ref, user = case_ref or turn.conversation.case_ref, event.user
    return [
        await turn.tx.add_attachment(
            case_ref=case_ref, user_id=user.id, who=user.name, file=file, at=turn.now
        )
        for file in taken
    ]
