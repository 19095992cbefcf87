"""The start of a player's turn: their conversation opened (or reopened), the inbound line recorded."""

from __future__ import annotations

from engine.config.model import in_conversation
from engine.events import Event
from engine.runtime import cases, conversations, places
from engine.runtime.generation import Generation
from engine.runtime.reading import event_text, event_variables
from engine.runtime.turn import Turn
from engine.store import Writes


async def begin_turn(generation: Generation, tx: Writes, event: Event, rating: int | None) -> Turn:
    """The player's Turn: conversation loaded (or created), inbound line written to the transcript."""
    user = event.user
    conversation = await tx.open_conversation(user.id, user.name, event.at)
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
    )
    if conversation.user_name != user.name:
        turn.update(user_name=user.name)
    await turn.load_case()
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
    await turn.record_inbound(text, event.id)
    return turn
