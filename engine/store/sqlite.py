"""The SQLite store: one writer connection, WAL, foreign keys, migrations applied at open.

Writes happen in `SqliteStore.transaction()`, one at a time under SQLite's write lock (BEGIN
IMMEDIATE), so concurrent handlers never interleave: case numbers stay sequential and an event's
effects (processed mark, state, transcript, outbox) commit or vanish together. Statements and
commits run on the event loop's thread, checkpoints on aiosqlite's; transactions that queue
together share one COMMIT (engine.store.group).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Generic, Literal, TypeVar, cast

import aiosqlite

from engine.store import sql
from engine.store.base import OneCalls
from engine.store.group import GroupCommit, Hop, Member, Read
from engine.store.migrations import MIGRATIONS
from engine.store.port import Reads, Replica, Status, StorageError, StoreHealth, Writes
from engine.store.reads import SqliteReads
from engine.store.records import OutboxItem
from engine.store.writes import SqliteWrites

Q = TypeVar("Q", bound=SqliteReads)


class SqliteStore(OneCalls):
    """Cases, conversations, transcripts and the outbox, in one SQLite database (one process)."""

    def __init__(self, db: aiosqlite.Connection, url: str, path: str) -> None:
        self._db = db
        self._hop = cast(Hop, db._execute)  # a function run on the connection's thread
        self._group = GroupCommit(db._conn, self._hop, None if path == MEMORY else path)
        self.url = url
        self._path = path
        self._identity = _identity(path)
        self._refusal: str | None = None  # why the last write was refused, until one commits

    def transaction(self, *, background: bool = False) -> AbstractAsyncContextManager[Writes]:
        """One atomic unit of change: committed when the block ends, rolled back if it raises.

        Transactions that queue together share one commit (engine.store.group), `background` ones
        as any other; this returns only once the commit is done. A write SQLite refuses (disk full,
        read-only, file gone), in the block or at the shared commit, raises StorageError.
        """
        return _Using(self, self._group.member(), SqliteWrites)

    def view(self) -> AbstractAsyncContextManager[Reads]:
        """Consistent reads between transactions (never inside one: the lock is not re-entrant)."""
        return _Using(self, self._group.read(), SqliteReads)

    def refused(self, exc: BaseException) -> BaseException:
        """What to raise for `exc`, raised by SQLite: StorageError when SQLite refused a write."""
        if not _is_refusal(exc):
            return exc
        self._refusal = f"the database refused a write: {exc}"
        return StorageError(self._refusal)

    def committed(self) -> None:
        """A transaction committed: writes are taken again."""
        self._refusal = None

    @property
    def commits(self) -> int:
        """COMMITs sent so far: fewer than transactions when concurrent ones share one."""
        return self._group.commits

    async def simulate(self, fault: Fault | None) -> None:
        """Refuse writes as a full disk or a read-only file would, or refuse every COMMIT as a disk
        failing at write-out would (`commit`), or (None) stop; for fault drills."""
        async with self._group.settled() as conn:
            if fault == "full":
                pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
                conn.execute(f"PRAGMA max_page_count = {pages}")
            elif fault == "read_only":
                conn.execute("PRAGMA query_only = 1")
            elif fault == "commit":
                conn.set_authorizer(_refuse_commit)
            else:
                conn.set_authorizer(None)
                conn.execute("PRAGMA query_only = 0")
                conn.execute(f"PRAGMA max_page_count = {NO_PAGE_LIMIT}")

    async def claim(self, lane: str, now: datetime) -> OutboxItem | None:
        """The lane's head, read: one process owns a SQLite file, and its outbox holds the lane meanwhile."""
        async with self.view() as view:
            return await cast(SqliteReads, view).lane_outbox_head(lane)

    async def claim_reading(
        self, lane: str, now: datetime, setting: str
    ) -> tuple[OutboxItem | None, str | None]:
        async with self.view() as view:
            return await cast(SqliteReads, view).lane_outbox_head(lane), await view.get_setting(setting)

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
        try:
            async with self._group.settled():  # the open group commits first (its members hear if it fails)
                pass
        finally:  # the connection's thread always stops, or the process could not exit
            await self._group.close()
            await self._db.close()


class _Using(Generic[Q]):
    """A transaction or a view of SqliteStore: the connection's queries while the group holds it
    (a class, not a generator: every event takes several); SQLite's refusals as StorageError."""

    __slots__ = ("_queries", "_store", "_using")

    def __init__(self, store: SqliteStore, using: Member | Read, queries: type[Q]) -> None:
        self._store = store
        self._using = using
        self._queries = queries

    async def __aenter__(self) -> Q:
        try:
            conn = await self._using.__aenter__()
        except sqlite3.Error as exc:
            raise self._store.refused(exc) from exc
        return self._queries(conn, self._store._hop)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self._using.__aexit__(kind, exc, tb)
        except sqlite3.Error as failed:  # at the shared COMMIT, or the block's own
            raised = self._store.refused(failed)
            if raised is failed:
                raise
            raise raised from failed
        if isinstance(exc, sqlite3.Error) and (raised := self._store.refused(exc)) is not exc:
            raise raised from exc
        if exc is None and isinstance(self._using, Member):
            self._store.committed()


MEMORY = ":memory:"
NO_PAGE_LIMIT = 4294967294  # SQLite's own ceiling
HEALTH_KEY = "health:probe"


Fault = Literal["full", "read_only", "commit"]


def _refuse_commit(action: int, what: str | None, *_: str | None) -> int:
    """SQLite's authorizer for the `commit` drill: every COMMIT is refused, all else allowed."""
    refused = action == sqlite3.SQLITE_TRANSACTION and what == "COMMIT"
    return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK


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


async def _version(db: aiosqlite.Connection) -> int:
    async with db.execute(sql.SCHEMA_VERSION) as cursor:
        row = await cursor.fetchone()
    return int(row["version"]) if row is not None and row["version"] is not None else 0


async def _migrate(db: aiosqlite.Connection) -> list[int]:
    """Apply each migration above the recorded version, each under the write lock (so when two
    processes open the file together, one migrates and the other finds it done); the versions applied."""
    await db.execute(sql.CREATE_SCHEMA_VERSION)
    applied = []
    for version, statements in MIGRATIONS:
        await db.execute(sql.BEGIN_WRITE)
        try:
            if await _version(db) < version:
                for statement in statements:
                    await db.execute(statement)
                await db.execute(sql.RECORD_VERSION, (version,))
                applied.append(version)
        except BaseException:
            await db.execute(sql.ROLLBACK)
            raise
        await db.execute(sql.COMMIT)
    return applied


async def sqlite_status(path: str) -> Status:
    """Where the database at `path` stands, changing nothing."""
    async with aiosqlite.connect(f"file:{path}?mode=ro", uri=True) as db:
        db.row_factory = aiosqlite.Row
        tables = {str(row[0]) for row in await db.execute_fetchall(sql.SQLITE_TABLES)}
        if "schema_version" not in tables:
            return Status(0, None, ())
        cases = list(await db.execute_fetchall(sql.COUNT_CASES)) if "cases" in tables else []
        replicas = await db.execute_fetchall(sql.REPLICAS) if "replicas" in tables else []
        found = tuple(Replica(*(str(v) for v in row)) for row in replicas)
        return Status(await _version(db), int(cases[0][0]) if cases else None, found)


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


async def open_sqlite(url: str, path: str, *, initialise: bool = False, upgrade: bool = True) -> SqliteStore:
    """Open (creating and migrating as needed) the SQLite database at `path`.

    A marker file beside the database (`<file>.marker`) remembers that records were kept there:
    if the database is later missing or empty, opening fails unless `initialise` says to begin anew.
    """
    if path != MEMORY:
        _check_marker(path, initialise)
        _create_private(path)
    # check_same_thread off: statements run on the event loop's thread, checkpoints and scans on
    # aiosqlite's (engine.store.group), never both at once
    db = await aiosqlite.connect(path, isolation_level=None, check_same_thread=False)
    db.row_factory = aiosqlite.Row
    try:
        await db.execute("PRAGMA journal_mode = WAL")  # SQLite: pragmas
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 5000")
        await db.execute("PRAGMA synchronous = NORMAL")
        if upgrade:
            await _migrate(db)
        await db.execute("PRAGMA busy_timeout = 0")  # a BEGIN that would wait goes to the thread
        await db.execute("PRAGMA wal_autocheckpoint = 0")  # checkpoints run on the thread (group.py)
    except BaseException:
        await db.close()
        raise
    if path != MEMORY:
        _write_marker(path)
    return SqliteStore(db, url, path)
