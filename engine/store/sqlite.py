"""The SQLite store: one writer connection, WAL, foreign keys, migrations applied at open.

Writes happen in `SqliteStore.transaction()`, which holds an asyncio.Lock and SQLite's write lock
(BEGIN IMMEDIATE) so concurrent handlers never interleave: case numbers stay sequential and an
event's effects (processed mark, state, transcript, outbox) commit or vanish together.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from engine.attachments import Upload
from engine.deliveries import Delivery, encode, kind_of
from engine.store import sql
from engine.store.base import OneCalls
from engine.store.port import Reads, StorageError, StoreHealth, Writes
from engine.store.reads import SqliteReads
from engine.store.records import (
    CaseRecord,
    ConversationRecord,
    Direction,
    Forgotten,
    OutboxItem,
)
from engine.timestamps import to_text


class SqliteWrites(SqliteReads):
    """The store inside one write transaction: every change made here commits or rolls back together."""

    async def _run(self, query: str, params: Iterable[Any] = ()) -> int:
        async with self._db.execute(query, tuple(params)) as cursor:
            return cursor.rowcount

    async def _returning(self, query: str, params: Iterable[Any]) -> int:
        row = await self._one(query, params)
        assert row is not None
        return int(next(iter(row)))

    async def mark_processed(self, event_id: str, at: datetime) -> bool:
        """Record an event as handled; False when it already was (a repeated delivery)."""
        return await self._run(sql.MARK_PROCESSED, (event_id, to_text(at))) == 1

    async def forget_processed(self, before: datetime) -> int:
        return await self._run(sql.FORGET_PROCESSED, (to_text(before),))

    async def forget_delivered(self, before: datetime) -> int:
        return await self._run(sql.FORGET_DELIVERED, (to_text(before),))

    async def forget_transcripts(self, before: datetime) -> int:
        await self._run(sql.FORGET_ATTACHMENTS, (to_text(before),))
        return await self._run(sql.FORGET_TRANSCRIPTS, (to_text(before),))  # files follow the transcripts

    async def add_attachment(
        self, *, case_ref: str | None, user_id: str, who: str, file: Upload, at: datetime
    ) -> int:  # a checked file, kept with its case (or with the player until a case opens)
        values = (case_ref, user_id, who, file.name, file.content_type, file.size, file.data, to_text(at))
        return await self._returning(sql.INSERT_ATTACHMENT, values)

    async def attach_to_case(self, user_id: str, case_ref: str) -> int:  # a form's files join its case
        return await self._run(sql.SET_ATTACHMENT_CASE, (case_ref, user_id))

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
        delivery: Delivery,
        key: str,
        at: datetime,
        case_ref: str | None = None,
        message_id: int | None = None,
    ) -> int:
        """Add an outbound call to the outbox, due now; returns the item's id."""
        stamp = to_text(at)
        params = (lane, kind_of(delivery), encode(delivery), stamp, key, stamp, case_ref, message_id)
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

    async def forget_player(self, user_id: str, lanes: Sequence[str]) -> Forgotten:
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
        return Forgotten(found is not None, messages, deliveries, refs)

    async def set_delivery(self, item_id: int, delivery: Delivery) -> None:
        await self._run(sql.SET_DELIVERY, (encode(delivery), item_id))


class SqliteStore(OneCalls):
    """Cases, conversations, transcripts and the outbox, in one SQLite database (one process)."""

    def __init__(self, db: aiosqlite.Connection, url: str, path: str) -> None:
        self._db = db
        self._lock = asyncio.Lock()
        self.url = url
        self._path = path
        self._identity = _identity(path)
        self._refusal: str | None = None  # why the last write was refused, until one commits

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Writes]:
        """One atomic unit of change: committed when the block ends, rolled back if it raises.

        A write SQLite refuses (disk full, read-only, file gone) raises StorageError.
        """
        async with self._lock:
            try:
                await self._db.execute(sql.BEGIN_WRITE)
            except sqlite3.Error as exc:
                raise self._refused(exc) from exc
            try:
                yield SqliteWrites(self._db)
                await self._db.execute(sql.COMMIT)
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    await self._db.execute(sql.ROLLBACK)
                if _is_refusal(exc):
                    raise self._refused(exc) from exc
                raise
            self._refusal = None

    def _refused(self, exc: BaseException) -> StorageError:
        self._refusal = f"the database refused a write: {exc}"
        return StorageError(self._refusal)

    @asynccontextmanager
    async def view(self) -> AsyncIterator[Reads]:
        """Consistent reads between transactions (never inside one: the lock is not re-entrant)."""
        async with self._lock:
            try:
                yield SqliteReads(self._db)
            except sqlite3.DatabaseError as exc:
                if _is_refusal(exc):
                    raise self._refused(exc) from exc
                raise

    async def simulate(self, fault: Literal["full", "read_only"] | None) -> None:
        """Refuse writes as a full disk or a read-only file would, or (None) stop; for fault drills."""
        async with self._lock:
            if fault == "full":
                async with self._db.execute("PRAGMA page_count") as cursor:
                    row = await cursor.fetchone()
                pages = int(row[0]) if row is not None else 1
                await self._db.execute(f"PRAGMA max_page_count = {pages}")
            elif fault == "read_only":
                await self._db.execute("PRAGMA query_only = 1")
            else:
                await self._db.execute("PRAGMA query_only = 0")
                await self._db.execute(f"PRAGMA max_page_count = {NO_PAGE_LIMIT}")

    async def claim(self, lane: str, now: datetime) -> OutboxItem | None:
        """The lane's head, read: one process owns a SQLite file, and its outbox holds the lane meanwhile."""
        async with self._lock:
            return await SqliteReads(self._db).lane_outbox_head(lane)

    async def health(self) -> StoreHealth:
        """Not ok when the file is gone or replaced, or when writes are being refused."""
        if self._path != MEMORY:
            now = _identity(self._path)
            if now is None:
                return StoreHealth(False, f"{self._path} is missing")
            if now != self._identity:
                return StoreHealth(False, f"{self._path} was replaced by another file")
        if self._refusal is not None:  # a small probe can fit where a real write did not (disk full)
            return StoreHealth(False, self._refusal)
        try:
            async with self.transaction() as tx:
                await tx.put_setting(HEALTH_KEY, "ok")
        except StorageError as exc:
            return StoreHealth(False, str(exc))
        return StoreHealth(True, "sqlite writable")

    async def close(self) -> None:
        await self._db.close()


MEMORY = ":memory:"
NO_PAGE_LIMIT = 4294967294  # SQLite's own ceiling
HEALTH_KEY = "health:probe"


def _is_refusal(exc: BaseException) -> bool:
    """SQLite could not write (full, read-only, I/O error, file gone), as opposed to a broken rule."""
    return isinstance(exc, sqlite3.OperationalError) or type(exc) is sqlite3.DatabaseError


def _identity(path: str) -> tuple[int, int] | None:
    """The file's device and inode: a database deleted or swapped for another file changes it."""
    if path == MEMORY:
        return None
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


async def _migrate(db: aiosqlite.Connection) -> None:
    await db.execute(sql.CREATE_SCHEMA_VERSION)
    async with db.execute(sql.SCHEMA_VERSION) as cursor:
        row = await cursor.fetchone()
    current = int(row["version"]) if row is not None and row["version"] is not None else 0
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


def _create_private(path: str) -> None:
    """The data folder 0700 and the database file 0600: transcripts are personal data."""
    folder = Path(path).parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))


MARKER_SUFFIX = ".marker"


def _check_marker(path: str, initialise: bool) -> None:
    """Refuse a missing or empty database where the marker beside it says one was kept."""
    marker = Path(path + MARKER_SUFFIX)
    database = Path(path)
    empty = not database.exists() or database.stat().st_size == 0
    if empty and marker.exists() and not initialise:
        raise StorageError(
            f"{database} is missing or empty, but {marker.name} beside it says flexcord kept its "
            f"records there (since {marker.read_text().strip() or 'an earlier run'}). Restore the "
            "database from a backup, or start with --init-storage to begin with no cases and no history."
        )


def _write_marker(path: str) -> None:
    marker = Path(path + MARKER_SUFFIX)
    if not marker.exists() or marker.stat().st_size == 0:
        fd = os.open(marker, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(datetime.now(UTC).isoformat(timespec="seconds") + "\n")


async def open_sqlite(url: str, path: str, *, initialise: bool = False) -> SqliteStore:
    """Open (creating and migrating as needed) the SQLite database at `path`.

    A marker file beside the database (`<file>.marker`) remembers that records were kept there:
    if the database is later missing or empty, opening fails unless `initialise` says to begin anew.
    """
    if path != MEMORY:
        _check_marker(path, initialise)
        _create_private(path)
    db = await aiosqlite.connect(path, isolation_level=None)
    db.row_factory = aiosqlite.Row
    try:
        await db.execute("PRAGMA journal_mode = WAL")  # SQLite: pragmas
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 5000")
        await db.execute("PRAGMA synchronous = NORMAL")
        await _migrate(db)
    except BaseException:
        await db.close()
        raise
    if path != MEMORY:
        _write_marker(path)
    return SqliteStore(db, url, path)
