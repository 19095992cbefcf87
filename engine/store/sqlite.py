"""The SQLite store: one writer connection, WAL, foreign keys, migrations applied at open.

Writes happen in `Store.transaction()`, which holds an asyncio.Lock and SQLite's write lock
(BEGIN IMMEDIATE) so concurrent handlers never interleave: case numbers stay sequential and an
event's effects (processed mark, state, transcript, outbox) commit or vanish together.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from engine.store import sql
from engine.store.reads import StoreView
from engine.store.records import (
    CaseEvent,
    CaseRecord,
    ConversationRecord,
    Direction,
    MessageRecord,
    OutboxItem,
    to_text,
)


class StoreTx(StoreView):
    """The store inside one write transaction: every change made here commits or rolls back together."""

    async def _run(self, query: str, params: Iterable[Any] = ()) -> int:
        async with self._db.execute(query, tuple(params)) as cursor:
            return cursor.rowcount

    async def _returning(self, query: str, params: Iterable[Any]) -> int:
        row = await self._one(query, params)
        assert row is not None
        return int(row[0])

    async def mark_processed(self, event_id: str, at: datetime) -> bool:
        """Record an event as handled; False when it already was (a repeated delivery)."""
        return await self._run(sql.MARK_PROCESSED, (event_id, to_text(at))) == 1

    async def forget_processed(self, before: datetime) -> int:
        return await self._run(sql.FORGET_PROCESSED, (to_text(before),))

    async def mark_seen(self, namespace: str, key: str, at: datetime) -> bool:
        """Remember `key` under `namespace`; False when it was already remembered."""
        return await self._run(sql.MARK_SEEN, (namespace, key, to_text(at))) == 1

    async def put_setting(self, key: str, value: str) -> None:
        await self._run(sql.PUT_SETTING, (key, value))

    async def create_case(
        self,
        *,
        template: str,
        prefix: str,
        title: str,
        status: str,
        reporter_id: str,
        reporter_name: str,
        where: str,
        fields: Mapping[str, str],
        conversation_id: int | None,
        at: datetime,
    ) -> CaseRecord:
        """Open a case numbered next in its prefix ('BUG-7'), with its first history entry."""
        number = await self._returning(sql.NEXT_CASE_NUMBER, (prefix,))
        ref = f"{prefix}-{number}"
        stamp = to_text(at)
        values = (ref, template, prefix, number, title, status, reporter_id, reporter_name, where)
        await self._run(
            sql.INSERT_CASE, (*values, json.dumps(dict(fields)), conversation_id, None, stamp, stamp)
        )
        await self._run(sql.INSERT_CASE_EVENT, (ref, None, status, reporter_name, "opened", stamp))
        case = await self.get_case(ref)
        assert case is not None
        return case

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
                c.handoff,
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

    async def add_message(
        self,
        *,
        conversation_id: int | None,
        case_ref: str | None,
        direction: Direction,
        author: str,
        text: str,
        where: str,
        at: datetime,
        platform_id: str | None = None,
    ) -> int:
        """Append a line to the transcript; returns its id."""
        params = (conversation_id, case_ref, direction, author, text, where, platform_id, to_text(at))
        return await self._returning(sql.INSERT_MESSAGE, params)

    async def set_message_platform_id(self, message_id: int, platform_id: str) -> None:
        await self._run(sql.SET_MESSAGE_PLATFORM_ID, (platform_id, message_id))

    async def set_message_case(self, message_id: int, case_ref: str) -> None:
        await self._run(sql.SET_MESSAGE_CASE, (case_ref, message_id))

    async def enqueue(
        self,
        *,
        lane: str,
        kind: str,
        payload: Mapping[str, Any],
        key: str,
        at: datetime,
        case_ref: str | None = None,
        message_id: int | None = None,
    ) -> int:
        """Add an outbound call to the outbox, due now; returns the item's id."""
        stamp = to_text(at)
        params = (lane, kind, json.dumps(payload), stamp, key, stamp, case_ref, message_id)
        return await self._returning(sql.ENQUEUE, params)

    async def mark_delivered(self, item_id: int, at: datetime) -> None:
        await self._run(sql.MARK_DELIVERED, (to_text(at), item_id))

    async def mark_retry(self, item_id: int, next_attempt_at: datetime, error: str) -> None:
        await self._run(sql.MARK_RETRY, (to_text(next_attempt_at), error, item_id))

    async def mark_failed(self, item_id: int, error: str) -> None:
        await self._run(sql.MARK_FAILED, (error, item_id))

    async def give_up(self, item_id: int, reason: str) -> None:
        """Stop delivering an item without counting an attempt (e.g. a newer request replaced it)."""
        await self._run(sql.GIVE_UP, (reason, item_id))

    async def set_payload(self, item_id: int, payload: Mapping[str, Any]) -> None:
        await self._run(sql.SET_PAYLOAD, (json.dumps(payload), item_id))


class Store:
    """Cases, conversations, transcripts and the outbox, in one SQLite database."""

    def __init__(self, db: aiosqlite.Connection, url: str) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self.url = url

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StoreTx]:
        """One atomic unit of change: committed when the block ends, rolled back if it raises."""
        async with self._lock:
            await self._db.execute(sql.BEGIN_WRITE)
            try:
                yield StoreTx(self._db)
            except BaseException:
                await self._db.execute(sql.ROLLBACK)
                raise
            await self._db.execute(sql.COMMIT)

    @asynccontextmanager
    async def view(self) -> AsyncIterator[StoreView]:
        """Consistent reads between transactions (never inside one: the lock is not re-entrant)."""
        async with self._lock:
            yield StoreView(self._db)

    async def get_case(self, ref: str) -> CaseRecord | None:
        async with self.view() as v:
            return await v.get_case(ref)

    async def list_cases(
        self,
        *,
        status: str | None = None,
        template: str | None = None,
        limit: int | None = None,
        after: CaseRecord | None = None,
    ) -> list[CaseRecord]:
        async with self.view() as v:
            return await v.list_cases(status=status, template=template, limit=limit, after=after)

    async def case_history(self, ref: str) -> list[CaseEvent]:
        async with self.view() as v:
            return await v.case_history(ref)

    async def case_transcript(self, ref: str) -> list[MessageRecord]:
        async with self.view() as v:
            return await v.case_transcript(ref)

    async def case_outbox(self, ref: str) -> list[OutboxItem]:
        async with self.view() as v:
            return await v.case_outbox(ref)

    async def dm_watermarks(self, limit: int) -> dict[str, int]:
        async with self.view() as v:
            return await v.dm_watermarks(limit)

    async def lane_outbox(self, lane: str) -> list[OutboxItem]:
        async with self.view() as v:
            return await v.lane_outbox(lane)

    async def conversation(self, user_id: str) -> ConversationRecord | None:
        async with self.view() as v:
            return await v.conversation(user_id)

    async def is_processed(self, event_id: str) -> bool:
        async with self.view() as v:
            return await v.is_processed(event_id)

    async def get_setting(self, key: str) -> str | None:
        async with self.view() as v:
            return await v.get_setting(key)

    async def put_setting(self, key: str, value: str) -> None:
        async with self.transaction() as tx:
            await tx.put_setting(key, value)

    async def mark_seen(self, namespace: str, key: str, at: datetime) -> bool:
        """Remember `key` (e.g. a feed entry id); False when it was already seen."""
        async with self.transaction() as tx:
            return await tx.mark_seen(namespace, key, at)

    async def close(self) -> None:
        await self._db.close()


def database_path(url: str, root: str | Path | None = None) -> str:
    """The file behind a storage URL: 'sqlite:///data/x.db' -> '<root>/data/x.db', ':memory:' kept."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ValueError(
            f"storage '{url}' is not supported: use sqlite:///path/to/file.db or sqlite:///:memory:"
        )
    path = url[len(prefix) :]
    if not path:
        raise ValueError(f"storage '{url}' names no file: use sqlite:///path/to/file.db")
    if path == ":memory:" or Path(path).is_absolute() or root is None:
        return path
    return str(Path(root) / path)


async def _migrate(db: aiosqlite.Connection) -> None:
    await db.execute(sql.CREATE_SCHEMA_VERSION)
    async with db.execute(sql.SCHEMA_VERSION) as cursor:
        row = await cursor.fetchone()
    current = int(row[0]) if row is not None and row[0] is not None else 0
    for version, statements in sql.MIGRATIONS:
        if version <= current:
            continue
        await db.execute(sql.BEGIN_WRITE)
        try:
            for statement in statements:
                await db.execute(statement)
            await db.execute(sql.RECORD_VERSION, (version,))
        except BaseException:
            await db.execute(sql.ROLLBACK)
            raise
        await db.execute(sql.COMMIT)


async def open_store(url: str, *, root: str | Path | None = None) -> Store:
    """Open (creating and migrating as needed) the store at `url`; relative paths are under `root`."""
    path = database_path(url, root)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        await db.execute("PRAGMA journal_mode = WAL")  # SQLite: pragmas
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 5000")
        await db.execute("PRAGMA synchronous = NORMAL")
        await _migrate(db)
    except BaseException:
        await db.close()
        raise
    return Store(db, url)
