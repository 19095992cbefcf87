"""The conversation state machine: bot -> queued -> agent -> closed, and back to bot.

Rules and contact-center events drive it; so do delivery outcomes: a handoff that could not
start puts the player back with the bot (told so) until a retry gets through. Nobody is stranded.
"""

from __future__ import annotations

from datetime import datetime

from engine.config.model import Handoff
from engine.events import Button, ContactEvent, OutMessage
from engine.ports import HandoffTicket
from engine.runtime import places
from engine.runtime.cases import CLOSED, follow_post
from engine.runtime.generation import Generation
from engine.runtime.turn import Turn
from engine.runtime.wire import contact_lane
from engine.store import CaseRecord, ConversationRecord, OutboxItem, StoreTx

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
    if c.state in WITH_AGENT and c.handoff is not None:
        turn.say("handoff_started")
        return
    await _drop_pending_starts(turn, "replaced by a newer handoff request")
    queue = turn.config.queues.get(action.queue)
    turn.update(
        state="queued",
        queue=action.queue,
        case_ref=case.ref,
        handoff=None,
        agent_name=None,
        awaiting_rating=False,
        queued_at=turn.now,
        timeout_notified=False,
    )
    if queue is not None:
        await places.follow_case(turn, case, queue.conversation)
    turn.say("handoff_started")
    turn.handoffs.append(action.queue)
    payload = {
        "conversation_id": c.id,
        "case_ref": case.ref,
        "queue": action.queue,
        "priority": action.priority,
        "skills": list(queue.skills) if queue is not None else [],
        "case_fields": {"title": case.title, **case.fields},
        "told_failure": False,
    }
    turn.contact("start_handoff", payload)


async def leave_queue(turn: Turn) -> None:
    """The player stops waiting: the contact center closes its side, the case stays open."""
    await _drop_pending_starts(turn, "the player left the queue")
    if turn.conversation.handoff is not None and turn.conversation.state in WITH_AGENT:
        turn.contact("close", {"handoff": turn.conversation.handoff})
    turn.update(state="bot", handoff=None, queue=None, queued_at=None, agent_name=None)
    turn.say("left_queue")


async def close(turn: Turn, who: str, *, tell_contact_center: bool) -> None:
    """End the chat: state closed, tell the player, ask for a rating, close the case if it can be."""
    c = turn.conversation
    if tell_contact_center and c.handoff is not None and c.state in WITH_AGENT:
        turn.contact("close", {"handoff": c.handoff})
    turn.update(state="closed", awaiting_rating=True, queued_at=None)
    case = turn.case
    if case is not None and case.status != CLOSED:
        template = turn.template_of(case)
        if template is not None and CLOSED in template.statuses:
            await turn.tx.change_case(case.ref, CLOSED, who=who, note="chat closed", at=turn.now)
            turn.case = await turn.tx.get_case(case.ref)
            if turn.case is not None:
                follow_post(turn, turn.case)
    turn.say("closed")
    turn.say("rating_prompt", buttons=RATING_BUTTONS)
    await places.closed(turn)


def back_to_bot(turn: Turn) -> None:
    """The player writes again after a closed chat: the bot answers, a closed case is left behind."""
    turn.update(state="bot", awaiting_rating=False, agent_name=None, queue=None)
    if turn.case is not None and turn.case.status == CLOSED:
        turn.update(case_ref=None)
        turn.case = None


def _not_started(turn: Turn) -> None:
    turn.update(state="bot", handoff=None, queue=None, queued_at=None, agent_name=None)
    turn.say("handoff_failed")


async def apply_contact_event(turn: Turn, event: ContactEvent) -> None:
    """What an agent (or the contact center) did, as the player experiences it."""
    c = turn.conversation
    agent = event.agent or c.agent_name or "An agent"
    if event.kind == "agent_joined":
        if c.state == "agent" and c.agent_name == agent:
            return  # Flex reports a join twice (participant added, reservation accepted)
        turn.update(state="agent", agent_name=agent, queued_at=None)
        if turn.case is not None:  # the case's history shows who picked it up, and when (for reports)
            await turn.tx.change_case(
                turn.case.ref, turn.case.status, who=agent, note=AGENT_JOINED, at=turn.now
            )
        turn.say("agent_joined", extra={"agent": {"name": agent}})
    elif event.kind == "agent_left":
        turn.say("agent_left", extra={"agent": {"name": agent}})
        if c.state == "agent":
            turn.update(state="queued", agent_name=None, queued_at=turn.now, timeout_notified=False)
    elif event.kind == "agent_message":
        turn.tell(OutMessage(text=event.text, author=agent), author=agent, to="dm")
    elif event.kind == "bot_message":
        turn.tell(OutMessage(text=event.text), author=CONTACT_CENTER, to="dm")
    elif event.kind == "closed":
        if c.state in WITH_AGENT:
            await close(turn, event.agent or c.agent_name or CONTACT_CENTER, tell_contact_center=False)
    elif event.kind == "failed" and c.state in WITH_AGENT:
        _not_started(turn)


# --- delivery outcomes -------------------------------------------------------------------------


async def _turn(
    generation: Generation, tx: StoreTx, conversation: ConversationRecord, key: str, now: datetime
) -> Turn:
    turn = Turn(generation, tx, conversation, now=now, key=key)
    await turn.load_case()
    return turn


async def handoff_started(
    generation: Generation, tx: StoreTx, item: OutboxItem, ticket: HandoffTicket, now: datetime
) -> list[str]:
    """The contact center took the handoff; after an earlier failure the player is told they are queued.

    `item` is read inside this transaction: if a newer request or the player leaving the queue
    replaced it meanwhile, the handoff that just started is closed again.
    """
    conversation = await tx.conversation_by_id(int(item.payload["conversation_id"]))
    if conversation is None:
        return []
    turn = await _turn(generation, tx, conversation, f"item:{item.id}:started", now)
    c = conversation
    if item.status != "pending" or (c.state in WITH_AGENT and c.handoff not in (None, ticket.handoff)):
        turn.contact("close", {"handoff": ticket.handoff})
    elif c.state == "queued":
        turn.update(handoff=ticket.handoff)
    else:
        turn.case = await tx.get_case(str(item.payload["case_ref"]))
        turn.update(
            state="queued",
            handoff=ticket.handoff,
            queue=item.payload["queue"],
            case_ref=item.payload["case_ref"],
            agent_name=None,
            awaiting_rating=False,
            queued_at=now,
            timeout_notified=False,
        )
        turn.say("handoff_started")
    await turn.finish()
    return turn.lanes


async def handoff_not_started(
    generation: Generation, tx: StoreTx, item: OutboxItem, now: datetime
) -> list[str]:
    """Starting the handoff failed: the player hears it once and goes back to the bot; retries go on."""
    if item.status != "pending" or item.payload.get("told_failure"):
        return []
    await tx.set_payload(item.id, {**item.payload, "told_failure": True})
    conversation = await tx.conversation_by_id(int(item.payload["conversation_id"]))
    if conversation is None or conversation.state != "queued" or conversation.handoff is not None:
        return []
    turn = await _turn(generation, tx, conversation, f"item:{item.id}:not-started", now)
    _not_started(turn)
    await turn.finish()
    return turn.lanes


async def dm_undeliverable(generation: Generation, tx: StoreTx, item: OutboxItem, now: datetime) -> list[str]:
    """A DM can never reach the player (e.g. they block DMs): an agent they talk to is told."""
    conversation = await tx.conversation(str(item.payload["target"]))
    if conversation is None or conversation.state not in WITH_AGENT or conversation.handoff is None:
        return []
    turn = await _turn(generation, tx, conversation, f"item:{item.id}:undeliverable", now)
    text = turn.render(generation.message("dm_blocked"))
    turn.contact("send", {"user_id": conversation.user_id, "text": text, "notice": True})
    await turn.finish()
    return turn.lanes
