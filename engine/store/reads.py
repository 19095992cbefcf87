"""Reading a store: rows to records by column name, and `SqliteReads`, the queries of the port.

`engine.store.postgres` runs the same queries on PostgreSQL, overriding only how a query is sent.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, Protocol, TypeVar

from engine.deliveries import decode
from engine.store import sql
from engine.store.group import Hop
from engine.store.records import (
    AttachmentRecord,
    CaseEvent,
    CaseRecord,
    ConversationRecord,
    FaqQuestion,
    MessageRecord,
    OutboxItem,
    PlayerState,
)
from engine.timestamps import from_text, to_text

R = TypeVar("R", CaseRecord, ConversationRecord, MessageRecord, OutboxItem)


class Row(Protocol):
    """A result row, read by column name so a reordered SELECT cannot shift a field."""

    def __getitem__(self, key: str, /) -> Any: ...


def _opt_time(text: str | None) -> datetime | None:
    return from_text(text) if text is not None else None


def _record(cls: type[R], row: Row, **special: Any) -> R:
    """A record whose fields are the row's columns of the same name, except those given in `special`."""
    names = _NAMES.get(cls) or _NAMES.setdefault(cls, tuple(f.name for f in fields(cls)))
    return cls(**{name: special[name] if name in special else row[name] for name in names})


_NAMES: dict[type, tuple[str, ...]] = {}  # each record's field names, read once


def _case(row: Row) -> CaseRecord:
    return _record(
        CaseRecord,
        row,
        where=row["place"],
        fields=json.loads(row["fields"]),
        created_at=from_text(row["created_at"]),
        updated_at=from_text(row["updated_at"]),
    )


def _conversation(row: Row) -> ConversationRecord:
    return _record(
        ConversationRecord,
        row,
        awaiting_rating=bool(row["awaiting_rating"]),
        queued_at=_opt_time(row["queued_at"]),
        timeout_notified=bool(row["timeout_notified"]),
        updated_at=from_text(row["updated_at"]),
    )


class _Prefixed:
    """The columns of a row whose names start with `prefix`, by their names without it."""

    def __init__(self, row: Row, prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getitem__(self, key: str, /) -> object:
        return self._row[self._prefix + key]


def _player_state(row: Row) -> PlayerState:
    return PlayerState(
        processed=row["processed"] is not None,
        conversation=None if row["id"] is None else _conversation(row),
        case=None if row["k_ref"] is None else _case(_Prefixed(row, "k_")),
        setting=row["setting"],
        waiting=row["waiting"] is not None,
        seen=tuple(row[name] for name in sql.SEEN),
    )


def _case_event(row: Row) -> CaseEvent:
    return CaseEvent(
        row["case_ref"], row["from_status"], row["to_status"], row["who"], row["note"], from_text(row["at"])
    )


def _message(row: Row) -> MessageRecord:
    return _record(MessageRecord, row, where=row["place"], at=from_text(row["at"]))


def _attachment(row: Row) -> AttachmentRecord:
    return AttachmentRecord(
        id=row["id"],
        case_ref=row["case_ref"],
        user_id=row["user_id"],
        who=row["who"],
        name=row["name"],
        content_type=row["content_type"],
        size=row["size"],
        at=from_text(row["at"]),
    )


def _outbox(row: Row) -> OutboxItem:
    return _record(
        OutboxItem,
        row,
        delivery=decode(row["kind"], row["payload"]),
        next_attempt_at=from_text(row["next_attempt_at"]),
        key=row["idempotency_key"],
        created_at=from_text(row["created_at"]),
        delivered_at=_opt_time(row["delivered_at"]),
    )


STATEMENTS = logging.getLogger("engine.store.statements")  # each SQLite statement and its values

SCANS = frozenset(  # statements that may read many rows: run on the connection's thread, off the loop
    {
        sql.DM_WATERMARKS,
        sql.FAQ_QUESTIONS_SINCE,
        sql.FORGET_PROCESSED,
        sql.FORGET_DELIVERED,
        sql.FORGET_TRANSCRIPTS,
        sql.FORGET_ATTACHMENTS,
        sql.FORGET_OLD_USES,
    }
)


class SqliteReads:
    """Reads, on a connection the caller already holds (inside `view()` or a transaction).

    A query that finds rows by an index runs right here, on the event loop's thread (microseconds:
    no trip to another thread); one that may scan many rows (SCANS, `read_sql`, a whole case list)
    runs on the connection's thread through `hop`.
    """

    def __init__(self, db: sqlite3.Connection, hop: Hop) -> None:
        self._db = db
        self._hop = hop

    def _execute(self, query: str, params: tuple[object, ...]) -> sqlite3.Cursor:
        """The statement, run here; logged with its values at DEBUG (message text: engine.logs)."""
        if STATEMENTS.isEnabledFor(logging.DEBUG):
            STATEMENTS.debug("executing %s with %r", query, params)
        return self._db.execute(query, params)

    def _now(self, query: str, params: tuple[object, ...]) -> list[sqlite3.Row]:
        return self._execute(query, params).fetchall()

    async def _all(self, query: str, params: Iterable[object] = (), *, scan: bool = False) -> Sequence[Row]:
        """Every row: here for an indexed read, on the connection's thread for a scan."""
        values = tuple(params)
        if scan or query in SCANS:
            return await self._hop(lambda: self._now(query, values))
        return self._now(query, values)

    async def _one(self, query: str, params: Iterable[object] = ()) -> Row | None:
        rows = await self._all(query, params)
        return rows[0] if rows else None

    async def read_sql(self, query: str, params: Iterable[object] = ()) -> Sequence[Sequence[Any]]:
        values = tuple(params)
        return await self._hop(lambda: self._now(query, values))

    async def is_processed(self, event_id: str) -> bool:
        return await self._one(sql.IS_PROCESSED, (event_id,)) is not None

    async def last_processed_at(self, prefix: str) -> datetime | None:
        """When the latest remembered event whose id starts with `prefix` happened (None: none yet)."""
        row = await self._one(sql.LAST_PROCESSED_AT, (prefix.replace("%", "") + "%",))
        return _opt_time(row["latest"]) if row is not None else None

    async def dm_watermarks(self, limit: int) -> dict[str, int]:
        """For the `limit` most recently active players: the id of the newest DM of theirs handled."""
        rows = await self._all(sql.DM_WATERMARKS, (limit,))
        return {str(row["user_id"]): int(row["newest"]) for row in rows if row["newest"]}

    async def get_setting(self, key: str) -> str | None:
        row = await self._one(sql.GET_SETTING, (key,))
        return None if row is None else str(row["value"])

    async def get_case(self, ref: str) -> CaseRecord | None:
        row = await self._one(sql.GET_CASE, (ref,))
        return None if row is None else _case(row)

    async def list_cases(
        self,
        *,
        status: str | None = None,
        template: str | None = None,
        reporter: str | None = None,
        limit: int | None = None,
        after: CaseRecord | None = None,
    ) -> list[CaseRecord]:
        """Cases, most recently updated first (the same moment: by ref), optionally only one
        status, template and/or reporter (a player's own: read by its index, not by a scan); at most
        `limit` of them, starting after the case `after` (a page: the index on (updated_at, ref)
        finds it without reading the cases before it)."""
        where: list[str] = []
        params: list[object] = []
        if reporter is not None:
            where.append("reporter_id = ?")
            params.append(reporter)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if template is not None:
            where.append("template = ?")
            params.append(template)
        if after is not None:
            where.append("(updated_at < ? OR (updated_at = ? AND ref > ?))")
            params += [to_text(after.updated_at), to_text(after.updated_at), after.ref]
        query = sql.LIST_CASES + (" WHERE " + " AND ".join(where) if where else "")
        query += " ORDER BY updated_at DESC, ref"
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        scan = limit is None and reporter is None
        return [_case(row) for row in await self._all(query, params, scan=scan)]

    async def case_history(self, ref: str) -> list[CaseEvent]:
        rows = await self._all(sql.CASE_HISTORY, (ref,))
        return [_case_event(r) for r in rows]

    async def case_transcript(self, ref: str) -> list[MessageRecord]:
        return [_message(row) for row in await self._all(sql.CASE_TRANSCRIPT, (ref,))]

    async def case_attachments(self, ref: str) -> list[AttachmentRecord]:
        return [_attachment(row) for row in await self._all(sql.CASE_ATTACHMENTS, (ref,))]

    async def get_attachment(self, attachment_id: int) -> tuple[AttachmentRecord, bytes] | None:
        row = await self._one(sql.GET_ATTACHMENT, (attachment_id,))
        return None if row is None else (_attachment(row), bytes(row["data"]))

    async def recent_messages(self, conversation_id: int, limit: int = 50) -> list[MessageRecord]:
        """The last `limit` messages of a conversation, oldest first."""
        rows = await self._all(sql.RECENT_MESSAGES, (conversation_id, limit))
        return [_message(row) for row in reversed(rows)]

    async def conversation(self, user_id: str) -> ConversationRecord | None:
        row = await self._one(sql.GET_CONVERSATION, (user_id,))
        return None if row is None else _conversation(row)

    async def player_state(
        self, user_id: str, *, event_id: str, setting: str, lane: str, kind: str
    ) -> PlayerState:
        """In one query: whether `event_id` was handled, the player's conversation and its case, their
        `setting`, and whether an item of `kind` is pending in `lane`."""
        row = await self._one(sql.PLAYER_STATE, (event_id, setting, lane, kind, user_id))
        assert row is not None  # one row, whatever the player
        return _player_state(row)

    async def conversation_by_id(self, conversation_id: int) -> ConversationRecord | None:
        row = await self._one(sql.GET_CONVERSATION_BY_ID, (conversation_id,))
        return None if row is None else _conversation(row)

    async def conversation_by_sid(self, conversation_sid: str) -> ConversationRecord | None:
        row = await self._one(sql.CONVERSATION_BY_SID, (conversation_sid,))
        return None if row is None else _conversation(row)

    async def waiting_since(self, moment: datetime) -> list[ConversationRecord]:
        """Queued conversations that have waited since `moment` or longer and were not told yet."""
        return [_conversation(row) for row in await self._all(sql.WAITING_SINCE, (to_text(moment),))]

    async def outbox_item(self, item_id: int) -> OutboxItem | None:
        row = await self._one(sql.GET_OUTBOX_ITEM, (item_id,))
        return None if row is None else _outbox(row)

    async def pending_lanes(self) -> list[str]:
        """Lanes with pending items, the one waiting longest first."""
        return [str(row["lane"]) for row in await self._all(sql.PENDING_LANES)]

    async def lane_outbox_head(self, lane: str) -> OutboxItem | None:
        """The oldest pending item of a lane: the only one that may be delivered next."""
        row = await self._one(sql.LANE_HEAD, (lane,))
        return None if row is None else _outbox(row)

    async def pending_of_kind(self, lane: str, kind: str) -> list[OutboxItem]:
        return [_outbox(row) for row in await self._all(sql.PENDING_OF_KIND, (lane, kind))]

    async def case_outbox(self, ref: str) -> list[OutboxItem]:
        return [_outbox(row) for row in await self._all(sql.CASE_OUTBOX, (ref,))]

    async def lane_outbox(self, lane: str) -> list[OutboxItem]:
        """Every item of a lane (pending, delivered and failed), oldest first."""
        return [_outbox(row) for row in await self._all(sql.LANE_OUTBOX, (lane,))]

    async def faq_questions(self, since: datetime) -> list[FaqQuestion]:
        """The FAQ bot's questions since `since`, oldest first."""
        rows = await self._all(sql.FAQ_QUESTIONS_SINCE, (to_text(since),))
        return [
            FaqQuestion(row["user_id"], row["text"], row["language"], row["outcome"], from_text(row["at"]))
            for row in rows
        ]
