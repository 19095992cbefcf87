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
from engine.runtime.limits import describe_wait, relay_slot
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
    if event.files and _keeps_files_after(event, decision):
        await keep_files(turn, event)  # kept for the player's case (the next one, if none is open) or refused


def _keeps_files_after(event: Event, decision: Decision) -> bool:
    """Whether the event's files are still to be kept once its actions ran: not when an action took
    them (a relay, or the case a form or command opens) nor when a form or command was refused."""
    if event.kind not in ("form", "command"):
        return not any(isinstance(action, RelayToAgent) for action in decision.actions)
    taken_by = (RelayToAgent, OpenCase, Refuse)
    return not any(isinstance(action, taken_by) for action in decision.actions)


async def _run(turn: Turn, event: Event, action: Action, answer: ChatbotAnswer | None) -> bool:
    """Carry out one action; False stops the actions after it."""
    match action:
        case Reply():
            turn.say(action.message, text=_inline(turn, action))
        case SendDm():
            turn.dm(
                event.user.id,
                _inline(turn, action) or turn.generation.message(action.message or "fallback", turn.locale),
            )
        case Post():
            turn.post(action.channel, OutMessage(_inline(turn, action) or ""))
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


def _inline(turn: Turn, action: Reply | SendDm | Post) -> str | None:
    """A text written in the action, in the player's language when it has one for it."""
    if action.text is None or action.key is None:
        return action.text
    return turn.generation.translated(action.key, action.text, turn.locale)


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
    if event.kind in ("form", "command"):  # its files are the case's, before any handoff after it
        await keep_files(turn, event, case.ref if case is not None else None)
    return True


async def _relay(turn: Turn, event: Event) -> None:
    """Pass the player's message to the agent, unless they exceed `limits.player_messages`
    (counted in the store, so every replica counts the same messages)."""
    slot = relay_slot(turn.config, event.user.id, event.id, turn.now)
    if slot is not None:
        wait = await turn.tx.take_slot(slot)
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
