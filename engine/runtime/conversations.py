"""The conversation state machine: bot -> queued -> agent -> closed, and back to bot.

Rules and contact-center events drive it; so do delivery outcomes: a handoff that could not
start puts the player back with the bot (told so) until a retry gets through. Nobody is stranded.
"""

from __future__ import annotations

from datetime import datetime
from typing import assert_never

from engine.config.model import Handoff, frozen_map
from engine.deliveries import CloseHandoff, SendToAgent, StartHandoff
from engine.events import Button, ContactEvent, OutMessage
from engine.ports import HandoffRequest
from engine.runtime import places
from engine.runtime.cases import CLOSED, follow_post
from engine.runtime.generation import Generation
from engine.runtime.transfers import transfer_not_made
from engine.runtime.turn import Turn
from engine.runtime.wire import contact_lane
from engine.store import CaseRecord, Store
from engine.timestamps import to_text

RATING_BUTTONS = tuple(Button(f"rate:{n}", str(n)) for n in range(1, 6))
WITH_AGENT = ("queued", "agent")
CONTACT_CENTER = "contact center"
AGENT_JOINED = "agent joined"  # the case history note written when an agent picks the chat up


async def _drop_pending_starts(turn: Turn, reason: str) -> None:
    """A newer request (or leaving the queue) replaces handoffs still waiting to start."""
    lane = contact_lane(turn.conversation.user_id)
    for item in await turn.tx.pending_of_kind(lane, "start_handoff"):
        await turn.tx.give_up(item.id, reason)


async def hand_off(turn: Turn, action: Handoff, case: CaseRecord) -> None:
    """Queue the player for an agent: state queued, tell them, ask the contact center to start."""
    c = turn.conversation
    if c.state in WITH_AGENT and c.conversation_sid is not None:
        turn.say("handoff_started")
        return
    await _drop_pending_starts(turn, "replaced by a newer handoff request")
    queue = turn.config.queues.get(action.queue)
    turn.update(
        state="queued",
        queue=action.queue,
        case_ref=case.ref,
        conversation_sid=None,
        agent_name=None,
        awaiting_rating=False,
        queued_at=turn.now,
        timeout_notified=False,
    )
    if queue is not None:
        await places.follow_case(turn, case, queue.conversation)
    turn.say("handoff_started")
    turn.handoffs.append(action.queue)
    request = HandoffRequest(
        user_id=c.user_id,
        user_name=c.user_name,
        case_ref=case.ref,
        queue=action.queue,
        priority=action.priority,
        skills=queue.skills if queue is not None else (),
        case_fields=frozen_map({"title": case.title, **case.fields}),
        language=turn.locale,
    )
    turn.contact(StartHandoff(c.id, request))  # the transcript is added when the turn finishes
    for kept in await turn.tx.case_attachments(case.ref):  # the case's files follow, each its own message
        turn.contact(SendToAgent(c.user_id, "", attachment_id=kept.id))


async def leave_queue(turn: Turn) -> None:
    """The player stops waiting: the contact center closes its side, the case stays open."""
    await _drop_pending_starts(turn, "the player left the queue")
    if turn.conversation.conversation_sid is not None and turn.conversation.state in WITH_AGENT:
        turn.contact(CloseHandoff(turn.conversation.conversation_sid))
    turn.update(state="bot", conversation_sid=None, queue=None, queued_at=None, agent_name=None)
    turn.say("left_queue")


async def close(turn: Turn, who: str, *, tell_contact_center: bool) -> None:
    """End the chat: state closed, tell the player, ask for a rating, close the case if it can be."""
    c = turn.conversation
    if tell_contact_center and c.conversation_sid is not None and c.state in WITH_AGENT:
        turn.contact(CloseHandoff(c.conversation_sid))
    turn.update(state="closed", awaiting_rating=True, queued_at=None)
    case = turn.case
    if case is not None and case.status != CLOSED:
        template = turn.template_of(case)
        if template is not None and CLOSED in template.statuses:
            await turn.tx.change_case(case.ref, CLOSED, who=who, note="chat closed", at=turn.now)
            turn.case = await turn.tx.get_case(case.ref)
            if turn.case is not None:
                await follow_post(turn, turn.case)
    turn.say("closed")
    turn.say("rating_prompt", buttons=RATING_BUTTONS)
    await places.closed(turn)


def back_to_bot(turn: Turn) -> None:
    """The player writes again after a closed chat: the bot answers, a closed case is left behind."""
    turn.update(state="bot", awaiting_rating=False, agent_name=None, queue=None)
    if turn.case is not None and turn.case.status == CLOSED:
        turn.update(case_ref=None)
        turn.case = None


def not_started(turn: Turn) -> None:
    """The handoff could not start (yet): the player is back with the bot and hears it."""
    turn.update(state="bot", conversation_sid=None, queue=None, queued_at=None, agent_name=None)
    turn.say("handoff_failed")


async def apply_contact_event(turn: Turn, event: ContactEvent) -> None:
    """What an agent (or the contact center) did, as the player experiences it."""
    c = turn.conversation
    agent = event.agent or c.agent_name or "An agent"
    kind = event.kind
    match kind:
        case "agent_joined":
            if c.state == "agent" and c.agent_name == agent:
                return  # Flex reports a join twice (participant added, reservation accepted)
            turn.update(state="agent", agent_name=agent, queued_at=None)
            if turn.case is not None:  # the case's history shows who picked it up, and when (for reports)
                await turn.tx.change_case(
                    turn.case.ref, turn.case.status, who=agent, note=AGENT_JOINED, at=turn.now
                )
            turn.say("agent_joined", extra={"agent": {"name": agent}})
        case "agent_left":
            # Flex reports it up to three times (participant, Interactions, TaskRouter): the first
            # one finds the agent; after a transfer no agent is named, so the old one leaves quietly.
            if c.state == "agent" and c.agent_name is not None:
                turn.say("agent_left", extra={"agent": {"name": c.agent_name}})
                turn.update(state="queued", agent_name=None, queued_at=turn.now, timeout_notified=False)
        case "transfer_failed":
            await transfer_not_made(turn, c.queue or "", event.text)
        case "agent_message":
            files = tuple(f"{event.conversation_sid}/{sid}" for sid in event.media)
            turn.tell(OutMessage(text=event.text, author=agent, files=files), author=agent, to="dm")
        case "bot_message":
            turn.tell(OutMessage(text=event.text), author=CONTACT_CENTER, to="dm")
        case "closed":
            if c.state in WITH_AGENT:
                await close(turn, event.agent or c.agent_name or CONTACT_CENTER, tell_contact_center=False)
        case "failed":
            if c.state in WITH_AGENT:
                not_started(turn)
        case _:
            assert_never(kind)


async def tell_timed_out(
    generation: Generation, store: Store, conversation_id: int, cutoff: datetime, now: datetime
) -> list[str]:
    """Tell a player queued since before `cutoff` that no agent is free yet (once per wait); the
    outbox lanes written to."""
    async with store.transaction() as tx:
        c = await tx.conversation_by_id(conversation_id)
        if c is None or c.state != "queued" or c.timeout_notified or c.queued_at is None:
            return []
        if c.queued_at > cutoff:
            return []
        turn = Turn(generation, tx, c, now=now, key=f"timeout:{c.id}:{to_text(c.queued_at)}")
        await turn.load_case()
        turn.say("queue_timeout")
        turn.update(timeout_notified=True)
        await turn.finish()
        return turn.lanes
