"""An agent moving a player to another queue, and what happens when that cannot be done.

A transfer keeps the conversation with the contact center (state `agent`, so `state: [agent]`
rules still act) but with no agent named until the new one joins; the player hears where they
go, the case's history records it, and the outbox asks Flex for the invite. A cold transfer
never leaves the player alone: if the invite fails, or nobody takes it, the player is told and
the case is routed back to the queue it came from.
"""

from __future__ import annotations

from datetime import datetime

from engine.deliveries import StartHandoff, TransferChat
from engine.events import OutMessage
from engine.ports import Transfer
from engine.runtime.generation import Generation
from engine.runtime.turn import Turn
from engine.store import ConversationRecord, OutboxItem, Writes

WITH_AGENT = ("queued", "agent")


def can_transfer(conversation: ConversationRecord | None) -> str | None:
    """Why this conversation cannot be transferred now (None when it can)."""
    if conversation is None or conversation.state not in WITH_AGENT or conversation.conversation_sid is None:
        return "the player is not in a chat with the contact center right now"
    return None


async def transfer(
    turn: Turn, queue: str, reason: str, who: str, *, back: bool = False, to_agent: str | None = None
) -> None:
    """Move the turn's player to `queue` (or one of its agents): tell them, record it, ask Flex."""
    c = turn.conversation
    assert c.conversation_sid is not None
    came_from = c.queue or ""
    known = turn.config.queues.get(queue)
    turn.update(state="agent", queue=queue, agent_name=None, queued_at=turn.now, timeout_notified=False)
    if turn.case is not None:
        where = f"{queue} ({to_agent})" if to_agent else queue
        note = f"transferred from {came_from or '-'} to {where}" + (f": {reason}" if reason else "")
        if back:
            note = f"transfer failed; back to {queue}"
        await turn.tx.change_case(turn.case.ref, turn.case.status, who=who, note=note, at=turn.now)
    skills = tuple(known.skills) if known is not None else ()
    transfer = Transfer(queue, reason, skills, agent=to_agent, by=who, back=back)
    if back:
        turn.say("transfer_failed", extra={"transfer": {"queue": came_from, "reason": reason}})
    else:
        turn.say("transferring", extra={"transfer": {"queue": queue, "reason": reason}})
    turn.contact(TransferChat(c.conversation_sid, transfer, came_from))


async def transfer_not_made(turn: Turn, to_queue: str, from_queue: str) -> None:
    """The invite failed or timed out: the player hears it and the case goes back where it was.

    A transfer back that fails too is not tried again (the player was told already).
    """
    c = turn.conversation
    if c.state not in WITH_AGENT or c.conversation_sid is None or c.queue != to_queue:
        return  # a newer transfer, an agent or a close came first
    if not from_queue or from_queue == to_queue:
        turn.say("transfer_failed", extra={"transfer": {"queue": to_queue}})
        turn.update(state="queued")
        return
    turn.update(queue=to_queue)
    await transfer(turn, from_queue, "", "contact center", back=True)


async def item_not_made(
    generation: Generation, tx: Writes, item: OutboxItem, chat: TransferChat, now: datetime
) -> list[str]:
    """The outbox gave up on a transfer: as if nobody took the invite."""
    conversation = await tx.conversation_by_sid(chat.conversation_sid)
    if conversation is None or chat.transfer.back:
        return []
    turn = Turn(generation, tx, conversation, now=now, key=f"item:{item.id}:not-transferred")
    await turn.load_case()
    await transfer_not_made(turn, chat.transfer.queue, chat.from_queue)
    await turn.finish()
    return turn.lanes


async def handoff_given_up(
    generation: Generation, tx: Writes, item: OutboxItem, start: StartHandoff, now: datetime
) -> list[str]:
    """A handoff that never started: the admin channel is warned (the player heard at the first failure)."""
    channel = generation.config.discord.admin_channel
    conversation = await tx.conversation_by_id(start.conversation_id)
    if not channel or conversation is None:
        return []
    turn = Turn(generation, tx, conversation, now=now, key=f"item:{item.id}:gave-up")
    turn.case = await tx.get_case(start.request.case_ref)
    reason = (item.last_error or "no answer")[:200]
    text = turn.render(generation.message("handoff_gave_up"), {"reason": reason})
    turn.post(channel, OutMessage(text), render=False)
    await turn.finish()
    return turn.lanes
