"""What a delivered or failed outbox item means for a conversation (the outbox's `Outcomes`).

A handoff that started gets its conversation sid recorded (and handed to the player's messages
waiting for it); one that could not start puts the player back with the bot, told once, while
retries go on; a DM that can never arrive is told to the agent the player talks to.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from typing import assert_never

from engine.deliveries import (
    CaseThread,
    ChannelPost,
    CloseHandoff,
    DirectMessage,
    EditPost,
    SendToAgent,
    StartHandoff,
    TransferChat,
)
from engine.ports import HandoffTicket
from engine.runtime import transfers
from engine.runtime.conversations import WITH_AGENT, not_started
from engine.runtime.generation import Generation
from engine.runtime.outbox import Sent
from engine.runtime.turn import Turn
from engine.runtime.wire import contact_lane, post_lane
from engine.store import ConversationRecord, OutboxItem, Writes


class ConversationOutcomes:
    """Implements engine.runtime.outbox.Outcomes on the current generation's messages."""

    def __init__(self, generation: Callable[[], Generation]) -> None:
        self._generation = generation

    async def delivered(self, tx: Writes, item: OutboxItem, sent: Sent, now: datetime) -> list[str]:
        delivery = item.delivery
        match delivery:
            case StartHandoff():
                if not isinstance(sent, HandoffTicket):
                    return []
                return await self._started(tx, item, delivery, sent, now)
            case ChannelPost(channel=channel):
                if isinstance(sent, str) and sent and item.case_ref is not None:
                    await _address_waiting_edits(tx, channel, item.case_ref, sent)
                return []
            case (
                DirectMessage() | EditPost() | SendToAgent() | CloseHandoff() | TransferChat() | CaseThread()
            ):
                return []
            case _:
                assert_never(delivery)

    async def failed(self, tx: Writes, item: OutboxItem, *, final: bool, now: datetime) -> list[str]:
        delivery = item.delivery
        match delivery:
            case StartHandoff():
                added = await self._not_started(tx, item, delivery, now)
                if final:  # it stayed failed: the admin channel hears of it
                    added += await transfers.handoff_given_up(self._generation(), tx, item, delivery, now)
                return added
            case DirectMessage():
                return await self._undeliverable(tx, item, delivery, now) if final else []
            case TransferChat():
                return (
                    await transfers.item_not_made(self._generation(), tx, item, delivery, now)
                    if final
                    else []
                )
            case ChannelPost() | EditPost() | SendToAgent() | CloseHandoff() | CaseThread():
                return []
            case _:
                assert_never(delivery)

    async def _turn(self, tx: Writes, conversation: ConversationRecord, key: str, now: datetime) -> Turn:
        turn = Turn(self._generation(), tx, conversation, now=now, key=key)
        await turn.load_case()
        return turn

    async def _started(
        self, tx: Writes, item: OutboxItem, start: StartHandoff, ticket: HandoffTicket, now: datetime
    ) -> list[str]:
        """The contact center took the handoff; after an earlier failure the player is told they are queued.

        `item` is read again inside this transaction: if a newer request or the player leaving the
        queue replaced it meanwhile, the handoff that just started is closed again.
        """
        item = await tx.outbox_item(item.id) or item
        c = await tx.conversation_by_id(start.conversation_id)
        if c is None:
            return []
        turn = await self._turn(tx, c, f"item:{item.id}:started", now)
        sid = ticket.conversation_sid
        if item.status != "pending" or (c.state in WITH_AGENT and c.conversation_sid not in (None, sid)):
            turn.contact(CloseHandoff(sid))
        elif c.state == "queued":
            turn.update(conversation_sid=sid)
        else:
            turn.case = await tx.get_case(start.request.case_ref)
            turn.update(
                state="queued",
                conversation_sid=sid,
                queue=start.request.queue,
                case_ref=start.request.case_ref,
                agent_name=None,
                awaiting_rating=False,
                queued_at=now,
                timeout_notified=False,
            )
            turn.say("handoff_started")
        if turn.conversation.conversation_sid == sid:
            await _address_waiting_messages(tx, c.user_id, sid)
        await turn.finish()
        return turn.lanes

    async def _not_started(
        self, tx: Writes, item: OutboxItem, start: StartHandoff, now: datetime
    ) -> list[str]:
        """Starting the handoff failed: the player hears it once and goes back to the bot; retries go on."""
        if item.status != "pending" or start.told_failure:
            return []
        await tx.set_delivery(item.id, dataclasses.replace(start, told_failure=True))
        c = await tx.conversation_by_id(start.conversation_id)
        if c is None or c.state != "queued" or c.conversation_sid is not None:
            return []
        turn = await self._turn(tx, c, f"item:{item.id}:not-started", now)
        not_started(turn)
        await turn.finish()
        return turn.lanes

    async def _undeliverable(
        self, tx: Writes, item: OutboxItem, dm: DirectMessage, now: datetime
    ) -> list[str]:
        """A DM can never reach the player (e.g. they block DMs): an agent they talk to is told."""
        c = await tx.conversation(dm.user_id)
        if c is None or c.state not in WITH_AGENT or c.conversation_sid is None:
            return []
        turn = await self._turn(tx, c, f"item:{item.id}:undeliverable", now)
        text = turn.render(turn.generation.message("dm_blocked"))
        turn.contact(SendToAgent(c.user_id, text, conversation_sid=c.conversation_sid, notice=True))
        await turn.finish()
        return turn.lanes


async def _address_waiting_messages(tx: Writes, user_id: str, sid: str) -> None:
    """The player's messages written while the handoff was starting now know where they go."""
    for pending in await tx.pending_of_kind(contact_lane(user_id), "send"):
        waiting = pending.delivery
        if isinstance(waiting, SendToAgent) and waiting.conversation_sid is None:
            await tx.set_delivery(pending.id, dataclasses.replace(waiting, conversation_sid=sid))


async def _address_waiting_edits(tx: Writes, channel: str, case_ref: str, message_id: str) -> None:
    """Edits of a case's post written while the post itself waited now know which message to edit."""
    for pending in await tx.pending_of_kind(post_lane(channel), "edit"):
        waiting = pending.delivery
        if isinstance(waiting, EditPost) and waiting.message_id is None and pending.case_ref == case_ref:
            await tx.set_delivery(pending.id, dataclasses.replace(waiting, message_id=message_id))
