"""The port's changes, in the SQL both stores speak: `SqliteWrites` runs them on SQLite's connection,
engine.store.postgres on a PostgreSQL one (overriding only how a statement is sent)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from engine.attachments import Upload
from engine.deliveries import Delivery, encode, kind_of
from engine.store import sql
from engine.store.port import StateChanged
from engine.store.reads import SCANS, Row, SqliteReads, _player_state
from engine.store.records import (
    Afterwards,
    CaseRecord,
    ConversationRecord,
    Forgotten,
    NewCase,
    NewMessage,
    OutboxItem,
    PlayerState,
    Slot,
)
from engine.timestamps import from_text, to_text


class SqliteWrites(SqliteReads):
    """The store inside one write transaction: every change made here commits or rolls back together."""

    async def _run(self, query: str, params: Iterable[Any] = ()) -> int:
        """Rows changed: here, or on the connection's thread for a statement that may scan (SCANS)."""
        values = tuple(params)
        if query in SCANS:
            return await self._hop(lambda: self._execute(query, values).rowcount)
        return self._execute(query, values).rowcount

    async def _returning(self, query: str, params: Iterable[Any], column: str = "id") -> int:
        row = await self._one(query, params)
        assert row is not None
        return int(row[column])

    async def mark_processed(self, event_id: str, at: datetime) -> bool:
        """Record an event as handled; False when it already was (a repeated delivery)."""
        return await self._run(sql.MARK_PROCESSED, (event_id, to_text(at))) == 1

    async def take_event(
        self,
        event_id: str,
        at: datetime,
        user_id: str,
        *,
        setting: str,
        lane: str,
        kind: str,
        slot: Slot | None = None,
        guess: PlayerState | None = None,
    ) -> PlayerState | None:
        """Mark a player's event handled and read what it needs first (as `player_state`); None when
        it was handled already (a repeated delivery). `slot` is left to `take_slot`, and `guess`
        compared at once: here a statement is no trip."""
        if not await self.mark_processed(event_id, at):
            return None
        row = await self._one(sql.TAKEN_STATE, (setting, lane, kind, user_id))
        assert row is not None  # one row, whatever the player
        state = _player_state(row)
        if guess is not None and state.seen != guess.seen:
            raise StateChanged(sql.STATE_CHANGED)
        return state

    async def forget_processed(self, before: datetime) -> int:
        return await self._run(sql.FORGET_PROCESSED, (to_text(before),))

    async def forget_delivered(self, before: datetime) -> int:
        return await self._run(sql.FORGET_DELIVERED, (to_text(before),))

    async def forget_transcripts(self, before: datetime) -> int:
        await self._run(sql.FORGET_ATTACHMENTS, (to_text(before),))  # files follow the transcripts
        return await self._run(sql.FORGET_TRANSCRIPTS, (to_text(before),))

    async def add_attachment(
        self, *, case_ref: str | None, user_id: str, who: str, file: Upload, at: datetime
    ) -> int:
        """Keep a checked file with its case (or with the player until a case opens); its id."""
        values = (case_ref, user_id, who, file.name, file.content_type, file.size, file.data, to_text(at))
        return await self._returning(sql.INSERT_ATTACHMENT, values)

    async def attach_to_case(self, user_id: str, case_ref: str) -> int:
        """Give the player's files kept without a case to the case just opened."""
        return await self._run(sql.SET_ATTACHMENT_CASE, (case_ref, user_id))

    async def mark_seen(self, namespace: str, key: str, at: datetime) -> bool:
        """Remember `key` under `namespace`; False when it was already remembered."""
        return await self._run(sql.MARK_SEEN, (namespace, key, to_text(at))) == 1

    async def record_faq_question(
        self, user_id: str, text: str, language: str | None, outcome: str, at: datetime
    ) -> None:
        """Remember a message the FAQ bot answered (or could not), for `flexcord kb gaps`."""
        await self._run(sql.RECORD_FAQ_QUESTION, (user_id, text, language, outcome, to_text(at)))

    async def settle_faq_question(self, user_id: str, outcome: str, since: datetime) -> bool:
        """Mark the player's last question, if it got suggestions at or after `since`; False if none did."""
        return await self._run(sql.SETTLE_FAQ_QUESTION, (outcome, user_id, to_text(since))) == 1

    async def put_setting(self, key: str, value: str) -> None:
        await self._run(sql.PUT_SETTING, (key, value))

    async def create_case(self, case: NewCase) -> CaseRecord:
        """Open a case numbered next in its prefix ('BUG-7'), with its first history entry."""
        c = case
        number = await self._returning(sql.NEXT_CASE_NUMBER, (c.prefix,), "last_number")
        ref = f"{c.prefix}-{number}"
        stamp = to_text(c.at)
        values = (
            ref,
            c.template,
            c.prefix,
            number,
            c.title,
            c.status,
            c.reporter_id,
            c.reporter_name,
            c.where,
        )
        await self._run(
            sql.INSERT_CASE, (*values, json.dumps(dict(c.fields)), c.conversation_id, None, stamp, stamp)
        )
        await self._run(sql.INSERT_CASE_EVENT, (ref, None, c.status, c.reporter_name, "opened", stamp))
        opened = await self.get_case(ref)
        assert opened is not None
        return opened

    async def change_case(self, ref: str, status: str, *, who: str, note: str | None, at: datetime) -> None:
        """Move a case to `status` (or keep it, with a note) and record who did it, when and why."""
        case = await self.get_case(ref)
        if case is None:
            raise KeyError(ref)
        await self._run(sql.SET_CASE_STATUS, (status, to_text(at), ref))
        await self._run(sql.INSERT_CASE_EVENT, (ref, case.status, status, who, note, to_text(at)))

    async def rate_case(self, ref: str, rating: int, at: datetime) -> None:
        await self._run(sql.SET_CASE_RATING, (rating, to_text(at), ref))

    async def open_conversation(self, user_id: str, user_name: str, at: datetime) -> ConversationRecord:
        """The player's conversation, created (state 'bot') on first contact."""
        await self._run(sql.INSERT_CONVERSATION, (user_id, user_name, to_text(at)))
        found = await self.conversation(user_id)
        assert found is not None
        return found

    async def save_conversation(self, conversation: ConversationRecord) -> None:
        c = conversation
        await self._run(
            sql.SAVE_CONVERSATION,
            (
                c.user_name,
                c.state,
                c.conversation_sid,
                c.case_ref,
                c.queue,
                c.agent_name,
                int(c.awaiting_rating),
                None if c.queued_at is None else to_text(c.queued_at),
                int(c.timeout_notified),
                to_text(c.updated_at),
                c.id,
            ),
        )

    async def add_message(self, message: NewMessage) -> int:
        """Append a line to the transcript; returns its id."""
        return await self._returning(sql.INSERT_MESSAGE, line_values(message))

    async def add_line(self, message: NewMessage) -> None:
        """Append a line to the transcript whose id nobody needs."""
        await self._run(sql.INSERT_LINE, line_values(message))

    async def set_message_platform_id(self, message_id: int, platform_id: str) -> None:
        await self._run(sql.SET_MESSAGE_PLATFORM_ID, (platform_id, message_id))

    async def enqueue(
        self,
        *,
        lane: str,
        delivery: Delivery,
        key: str,
        at: datetime,
        case_ref: str | None = None,
        message_id: int | None = None,
    ) -> int:
        """Add an outbound call to the outbox, due now; returns the item's id."""
        return await self._returning(
            sql.ENQUEUE, (*item_values(lane, delivery, key, at, case_ref), message_id)
        )

    async def queue(
        self, *, lane: str, delivery: Delivery, key: str, at: datetime, case_ref: str | None = None
    ) -> None:
        """Add an outbound call to the outbox, due now, whose id nobody needs."""
        await self._run(sql.QUEUE, (*item_values(lane, delivery, key, at, case_ref), None))

    async def say(
        self, message: NewMessage, *, lane: str, delivery: Delivery, key: str, case_ref: str | None
    ) -> None:
        """A transcript line and the outbox item that delivers it (which records where it was posted)."""
        message_id = await self.add_message(message)
        await self.enqueue(
            lane=lane, delivery=delivery, key=key, at=message.at, case_ref=case_ref, message_id=message_id
        )

    async def mark_delivered(self, item_id: int, at: datetime) -> bool:
        """Mark an item delivered; whether other items of its lane are pending (True: not known)."""
        return waiting_of(await self._all(sql.MARK_DELIVERED, (to_text(at), item_id, item_id, item_id)))

    async def mark_delivered_later(self, item_id: int, at: datetime) -> Afterwards[bool]:
        """`mark_delivered`, its answer wanted only once the transaction has committed."""
        waiting: Afterwards[bool] = Afterwards()
        waiting.set(await self.mark_delivered(item_id, at))
        return waiting

    async def claim_later(
        self, lane: str, now: datetime, setting: str | None = None
    ) -> Afterwards[tuple[OutboxItem | None, str | None]]:
        """The lane's head, read now (one process owns a SQLite file, so reading is claiming)."""
        claimed: Afterwards[tuple[OutboxItem | None, str | None]] = Afterwards()
        value = None if setting is None else await self.get_setting(setting)
        claimed.set((await self.lane_outbox_head(lane), value))
        return claimed

    async def mark_retry(self, item_id: int, next_attempt_at: datetime, error: str) -> None:
        await self._run(sql.MARK_RETRY, (to_text(next_attempt_at), error, item_id))

    async def mark_failed(self, item_id: int, error: str) -> None:
        await self._run(sql.MARK_FAILED, (error, item_id))

    async def give_up(self, item_id: int, reason: str) -> None:
        """Stop delivering an item without counting an attempt (e.g. a newer request replaced it)."""
        await self._run(sql.GIVE_UP, (reason, item_id))

    async def forget_player(
        self, user_id: str, lanes: Sequence[str], settings: Sequence[str] = ()
    ) -> Forgotten:
        found = await self.conversation(user_id)
        conversation_id = found.id if found is not None else None
        refs = tuple(str(row["ref"]) for row in await self._all(sql.PLAYER_CASES, (user_id, conversation_id)))
        deliveries = sum([await self._run(sql.FORGET_LANE, (lane,)) for lane in lanes])
        await self._run(sql.FORGET_PLAYER_ATTACHMENTS, (user_id, user_id, conversation_id))
        messages = 0
        for ref in refs:
            case = await self.get_case(ref)
            deliveries += await self._run(sql.FORGET_CASE_OUTBOX, (ref,))
            messages += await self._run(sql.FORGET_CASE_MESSAGES, (ref,))
            if case is not None:
                await self._run(sql.ERASE_CASE_EVENTS, (ref, case.reporter_name))
            await self._run(sql.ERASE_CASE, (ref,))
        if conversation_id is not None:
            messages += await self._run(sql.FORGET_PLAYER_MESSAGES, (conversation_id,))
            await self._run(sql.FORGET_CONVERSATION, (conversation_id,))
        messages += await self._run(sql.FORGET_FAQ_QUESTIONS, (user_id,))  # what they asked the FAQ bot
        kept = sum([await self._run(sql.FORGET_SETTING, (key,)) for key in settings])
        return Forgotten(found is not None, messages, deliveries, refs, kept)

    async def set_delivery(self, item_id: int, delivery: Delivery) -> None:
        await self._run(sql.SET_DELIVERY, (encode(delivery), item_id))

    async def forget_uses(self, before: datetime) -> int:
        """Forget cooldown and message-limit uses made before `before` (past every window)."""
        return await self._run(sql.FORGET_OLD_USES, (to_text(before),))

    async def take_slot(self, slot: Slot, *, use: bool = True) -> float | None:
        """Use one of the slot's `uses` per `per_seconds` for its `key`; None if allowed, else the
        seconds to wait.

        `use=False` only looks; a use naming its event (`once`) takes no second slot when tried again.
        The count and the new use are one statement, so two writers cannot both take the last slot;
        a use that is allowed costs that one statement.
        """
        if use and await self._run(sql.TAKE_USE, use_values(slot)):
            return None
        taken = await self._all(sql.USES, (slot.key, window_start(slot)))
        if slot.once and any(row["once"] == slot.once for row in taken):
            return None
        if not use and len(taken) < slot.uses:
            return None
        oldest = from_text(str(taken[0]["at"]))
        return float(slot.per_seconds - (slot.now - oldest).total_seconds())


def window_start(slot: Slot) -> str:
    """The start of the slot's window: uses after it count."""
    return to_text(slot.now - timedelta(seconds=slot.per_seconds))


def use_values(slot: Slot) -> tuple[object, ...]:
    """TAKE_USE's values for `slot`."""
    start, key, once = window_start(slot), slot.key, slot.once
    return (key, to_text(slot.now), once, once, key, once, start, key, start, slot.uses)


def line_values(m: NewMessage) -> tuple[object, ...]:
    """A transcript line's values, in INSERT_MESSAGE's order."""
    return (
        m.conversation_id,
        m.case_ref,
        m.direction,
        m.author,
        m.text,
        m.where,
        m.platform_id,
        to_text(m.at),
    )


def item_values(
    lane: str, delivery: Delivery, key: str, at: datetime, case_ref: str | None
) -> tuple[object, ...]:
    """An outbox item's values, in ENQUEUE's order up to its message id."""
    stamp = to_text(at)
    return (lane, kind_of(delivery), encode(delivery), stamp, key, stamp, case_ref)


def waiting_of(rows: Sequence[Row]) -> bool:
    """MARK_DELIVERED's answer: whether other items of the lane wait (True: not known)."""
    return not rows or bool(rows[0]["waiting"])
