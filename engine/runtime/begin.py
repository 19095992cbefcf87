"""The start of a player's turn: their conversation opened (or reopened), the inbound line recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from engine.config.model import in_conversation
from engine.deliveries import KINDS, StartHandoff
from engine.events import Event
from engine.runtime import cases, conversations, places
from engine.runtime.generation import Generation
from engine.runtime.languages import language_key, remember
from engine.runtime.reading import event_text, event_variables
from engine.runtime.turn import Turn
from engine.runtime.wire import contact_lane
from engine.store import PlayerState, Slot, Writes


class StateReads(Protocol):
    """Where a player's state is read: a view, a transaction, or the store itself (one statement)."""

    async def player_state(
        self, user_id: str, *, event_id: str, setting: str, lane: str, kind: str
    ) -> PlayerState: ...


async def player_state(reads: StateReads, user_id: str, event_key: str) -> PlayerState:
    """What a player's event needs first, in one query: handled already (`event_key`)? their
    conversation, its case, their language setting, and whether a handoff of theirs waits to start."""
    return await reads.player_state(
        user_id,
        event_id=event_key,
        setting=language_key(user_id),
        lane=contact_lane(user_id),
        kind=KINDS[StartHandoff],
    )


async def take_event(
    tx: Writes,
    user_id: str,
    event_key: str,
    at: datetime,
    slot: Slot | None = None,
    guess: PlayerState | None = None,
) -> PlayerState | None:
    """Mark the player's event handled and read `player_state` (one trip on PostgreSQL, with the
    limit's `slot` the turn is about to take); None when it was handled already. With `guess` (the
    state a turn of theirs read before), checked as the transaction commits, no trip of its own on
    PostgreSQL (`Writes.take_event`)."""
    return await tx.take_event(
        event_key,
        at,
        user_id,
        setting=language_key(user_id),
        lane=contact_lane(user_id),
        kind=KINDS[StartHandoff],
        slot=slot,
        guess=guess,
    )


async def begin_turn(
    generation: Generation,
    tx: Writes,
    event: Event,
    state: PlayerState,
    rating: int | None,
    *,
    chosen: bool = False,
    settle: Callable[[], str | None] | None = None,
) -> Turn:
    """The player's Turn, from `state` (take_event's): conversation loaded (or created), their language
    remembered (`chosen`: by `/language`; with `settle`, the language is settled once needed and
    remembered by the caller), inbound line written to the transcript."""
    user = event.user
    conversation = state.conversation or await tx.open_conversation(user.id, user.name, event.at)
    turn = Turn(
        generation,
        tx,
        conversation,
        now=event.at,
        key=f"event:{event.id}",
        locale=event.locale,
        where=event.where,
        by_reply=not (event.kind == "message" and in_conversation(event.where)),
        variables=event_variables(generation.config, event),
        mentions=event.mentions,
        waiting_start=state.waiting,
        settle=settle,
    )
    if conversation.user_name != user.name:
        turn.update(user_name=user.name)
    if in_conversation(event.where):  # the conversation's case (a channel command is not part of it)
        turn.case = state.case
    if event.kind == "message" and rating is None:
        if conversation.state == "closed":
            reopened = await places.reopen(turn)
            if reopened is None:
                conversations.back_to_bot(turn)
            else:
                await cases.follow_post(turn, reopened)
        elif conversation.awaiting_rating:
            turn.update(awaiting_rating=False)
    text = event_text(event)
    limit = generation.config.limits.message_length
    if event.kind == "message" and len(event.text) > limit:  # refused; the record stays bounded
        text = event.text[:limit] + "…"
    turn.record_inbound(text, event.id)
    if settle is None:
        await remember(tx, event, state.setting, chosen=chosen)
    return turn
