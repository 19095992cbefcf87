"""Reading the store: row-to-record mapping and `StoreView`, the queries every caller may run."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

import aiosqlite

from engine.store import sql
from engine.store.records import (
    CaseEvent,
    CaseRecord,
    ConversationRecord,
    MessageRecord,
    OutboxItem,
    from_text,
    to_text,
)

Row = Sequence[Any]


def _opt_time(text: str | None) -> datetime | None:
    return from_text(text) if text is not None else None


def _case(row: Row) -> CaseRecord:
    return CaseRecord(
        ref=row[0],
        template=row[1],
        prefix=row[2],
        number=row[3],
        title=row[4],
        status=row[5],
        reporter_id=row[6],
        reporter_name=row[7],
        where=row[8],
        fields=json.loads(row[9]),
        conversation_id=row[10],
        rating=row[11],
        created_at=from_text(row[12]),
        updated_at=from_text(row[13]),
    )


def _conversation(row: Row) -> ConversationRecord:
    return ConversationRecord(
        id=row[0],
        user_id=row[1],
        user_name=row[2],
        state=row[3],
        handoff=row[4],
        case_ref=row[5],
        queue=row[6],
        agent_name=row[7],
        awaiting_rating=bool(row[8]),
        queued_at=_opt_time(row[9]),
        timeout_notified=bool(row[10]),
        updated_at=from_text(row[11]),
    )


def _message(row: Row) -> MessageRecord:
    return MessageRecord(
        id=row[0],
        conversation_id=row[1],
        case_ref=row[2],
        direction=row[3],
        author=row[4],
        text=row[5],
        where=row[6],
        platform_id=row[7],
        at=from_text(row[8]),
    )


def _outbox(row: Row) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        lane=row[1],
        kind=row[2],
        payload=json.loads(row[3]),
        status=row[4],
        attempts=row[5],
        next_attempt_at=from_text(row[6]),
        last_error=row[7],
        key=row[8],
        created_at=from_text(row[9]),
        delivered_at=_opt_time(row[10]),
        case_ref=row[11],
        message_id=row[12],
    )


class StoreView:
    """Reads, on a connection the caller already holds (inside `Store.view()` or a transaction)."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def _all(self, query: str, params: Iterable[Any] = ()) -> list[Row]:
        async with self._db.execute(query, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def _one(self, query: str, params: Iterable[Any] = ()) -> Row | None:
        async with self._db.execute(query, tuple(params)) as cursor:
            return cast(Row | None, await cursor.fetchone())

    async def is_processed(self, event_id: str) -> bool:
        return await self._one(sql.IS_PROCESSED, (event_id,)) is not None

    async def last_processed_at(self, prefix: str) -> datetime | None:
        """When the latest remembered event whose id starts with `prefix` happened (None: none yet)."""
        row = await self._one(sql.LAST_PROCESSED_AT, (prefix.replace("%", "") + "%",))
        return _opt_time(row[0]) if row is not None else None

    async def dm_watermarks(self, limit: int) -> dict[str, int]:
        """For the `limit` most recently active players: the id of the newest DM of theirs handled."""
        rows = await self._all(sql.DM_WATERMARKS, (limit,))
        return {str(row[0]): int(row[1]) for row in rows if row[1]}

    async def get_setting(self, key: str) -> str | None:
        row = await self._one(sql.GET_SETTING, (key,))
        return None if row is None else str(row[0])

    async def get_case(self, ref: str) -> CaseRecord | None:
        row = await self._one(sql.GET_CASE, (ref,))
        return None if row is None else _case(row)

    async def list_cases(
        self,
        *,
        status: str | None = None,
        template: str | None = None,
        limit: int | None = None,
        after: CaseRecord | None = None,
    ) -> list[CaseRecord]:
        """Cases, most recently updated first (the same moment: by ref), optionally only one
        status and/or template; at most `limit` of them, starting after the case `after` (a page: the
        index on (updated_at, ref) finds it without reading the cases before it)."""
        where: list[str] = []
        params: list[Any] = []
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
        return [_case(row) for row in await self._all(query, params)]

    async def case_history(self, ref: str) -> list[CaseEvent]:
        rows = await self._all(sql.CASE_HISTORY, (ref,))
        return [CaseEvent(r[0], r[1], r[2], r[3], r[4], from_text(r[5])) for r in rows]

    async def case_transcript(self, ref: str) -> list[MessageRecord]:
        return [_message(row) for row in await self._all(sql.CASE_TRANSCRIPT, (ref,))]

    async def recent_messages(self, conversation_id: int, limit: int = 50) -> list[MessageRecord]:
        """The last `limit` messages of a conversation, oldest first."""
        rows = await self._all(sql.RECENT_MESSAGES, (conversation_id, limit))
        return [_message(row) for row in reversed(rows)]

    async def conversation(self, user_id: str) -> ConversationRecord | None:
        row = await self._one(sql.GET_CONVERSATION, (user_id,))
        return None if row is None else _conversation(row)

    async def conversation_by_id(self, conversation_id: int) -> ConversationRecord | None:
        row = await self._one(sql.GET_CONVERSATION_BY_ID, (conversation_id,))
        return None if row is None else _conversation(row)

    async def conversation_by_handoff(self, handoff: str) -> ConversationRecord | None:
        row = await self._one(sql.CONVERSATION_BY_HANDOFF, (handoff,))
        return None if row is None else _conversation(row)

    async def waiting_since(self, moment: datetime) -> list[ConversationRecord]:
        """Queued conversations that have waited since `moment` or longer and were not told yet."""
        return [_conversation(row) for row in await self._all(sql.WAITING_SINCE, (to_text(moment),))]

    async def outbox_item(self, item_id: int) -> OutboxItem | None:
        row = await self._one(sql.GET_OUTBOX_ITEM, (item_id,))
        return None if row is None else _outbox(row)

    async def pending_lanes(self) -> list[str]:
        """Lanes with pending items, the one waiting longest first."""
        return [str(row[0]) for row in await self._all(sql.PENDING_LANES)]

    async def lane_head(self, lane: str) -> OutboxItem | None:
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
