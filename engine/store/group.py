"""Group commit on one SQLite connection: transactions that arrive together share one COMMIT.

A transaction's statements and its COMMIT run on the event loop's thread, straight on the
connection: each takes microseconds, since the pages are in memory, nothing waits for a lock once
the write lock is held, and a COMMIT in WAL mode with `synchronous = NORMAL` appends to the WAL
without waiting for the disk. The work that does wait for the disk, the checkpoint that copies the
WAL into the database and syncs it, runs every CHECKPOINT_EVERY commits in a thread, on a
connection of its own, while transactions go on (in WAL mode a checkpoint and a writer do not wait
for each other); SQLite's automatic checkpoint is off, so no COMMIT ever does it on the loop. A trip to
that thread costs far more than a statement on a busy machine (the thread must be woken and take
the interpreter lock), so transactions make none (but a BEGIN that must wait for another process).

Transactions that queue for the connection while one runs join its group: one BEGIN IMMEDIATE,
each member inside a SAVEPOINT of its own (a member that raises undoes only its own changes),
and one COMMIT once every member queued so far has run. A member's `transaction()` returns only
after that COMMIT, so nothing is acknowledged before it is stored; a COMMIT that fails fails every
member of the group, each as if its own commit had failed.

A read (`GroupCommit.read`) does not end the open group: it sees the group's changes and returns
only once the group has committed (raising what its COMMIT raised), so nothing read is acted on
before it is stored. Reads between transactions thus leave them to share a commit, where making
each read commit first would split them into groups of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Protocol, TypeVar

from engine.store import sql

T = TypeVar("T")


class Hop(Protocol):
    """Runs a function on the connection's own thread and gives back its result."""

    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


CHECKPOINT_EVERY = 200  # commits between checkpoints
WAL_FRAMES = 8192
"""Pages (frames) the WAL may hold before a checkpoint makes the writers wait for it (32 MB).

The WAL starts over from its beginning when a writer finds all of it copied into the database.
While writers keep writing, a checkpoint running beside them never catches up, and the WAL would
grow without end; past this size the checkpoint copies the last pages with the connection held
(1 to 2 ms, the disk's sync), so the next transaction starts it over. Below it, no transaction
waits for a checkpoint: doing that every time held one DM in 50 for 1.5 to 2.5 ms."""
BUSY_WAIT_MS = 5000  # how long BEGIN IMMEDIATE waits for another process's write lock (on the thread)
SAVEPOINT = "SAVEPOINT member"
RELEASE = "RELEASE member"
UNDO = "ROLLBACK TO member"


class Group:
    """Transactions sharing one BEGIN and one COMMIT; `done` is the COMMIT's outcome."""

    def __init__(self) -> None:
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.done.add_done_callback(_observed)
        self.members = 0


async def _committed(group: Group) -> None:
    """Wait for the group's COMMIT; raise what it raised (a group dropped by a cancelled member too)."""
    try:
        await asyncio.shield(group.done)
    except asyncio.CancelledError:
        if group.done.cancelled():  # this task goes on: the changes it read are gone
            raise sqlite3.OperationalError("the changes read were rolled back") from None
        raise


def _observed(done: asyncio.Future[None]) -> None:
    """A group whose members all left (cancelled) still had its failure looked at."""
    if not done.cancelled():
        done.exception()


class GroupCommit:
    """Who uses the connection, one at a time: members of the open group, reads, and its commit."""

    def __init__(self, conn: sqlite3.Connection, hop: Hop, path: str | None = None) -> None:
        self.conn = conn
        self._hop = hop
        self._path = path  # the database file, checkpointed apart (None: in memory, on the connection)
        self._apart: sqlite3.Connection | None = None
        self._checkpointing: asyncio.Task[None] | None = None
        self._copied = asyncio.Event()  # set once the checkpoint under way has copied what it could
        self.lock = asyncio.Lock()
        self._group: Group | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # the commits and checkpoints waiting for the lock
        self.commits = 0  # COMMITs sent, for the benchmarks: fewer than transactions when groups form

    def member(self) -> Member:
        """One transaction: its block runs in the open group (or a new one); returns once committed.

        Raises what SQLite raised: in the block (only this member's changes are undone, unless
        SQLite itself dropped the whole transaction, which fails the group), or at the COMMIT.
        """
        return Member(self)

    def read(self) -> Read:
        """The connection, for reads; once the block is done, waits for the open group's commit (whose
        changes the block saw) and raises what that COMMIT raised."""
        return Read(self)

    @asynccontextmanager
    async def settled(self) -> AsyncIterator[sqlite3.Connection]:
        """The connection with no group open: the open group commits first."""
        async with self.lock:
            await self.flush()
            yield self.conn

    async def flush(self) -> None:
        """Commit the open group now (the lock held)."""
        if self._group is not None:
            await self._finish(self._group)

    async def _begin(self) -> Group:
        """BEGIN IMMEDIATE (on this thread; on the connection's when another process holds the lock)."""
        try:
            self.conn.execute(sql.BEGIN_WRITE)
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            await self._hop(self._begin_waiting)
        group = self._group = Group()
        self._spawn(self._commit_later(group))
        return group

    def _begin_waiting(self) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {BUSY_WAIT_MS}")
        try:
            self.conn.execute(sql.BEGIN_WRITE)
        finally:
            self.conn.execute("PRAGMA busy_timeout = 0")

    def _spawn(self, work: Coroutine[object, None, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _commit_later(self, group: Group) -> None:
        """Queued behind the transactions waiting when the group began: they join it, then it commits."""
        async with self.lock:
            if self._group is group:
                await self._finish(group)

    async def _finish(self, group: Group) -> None:
        self._group = None
        if group.members == 0:  # every member raised: nothing to keep
            self._rollback()
            group.done.set_result(None)
            return
        try:
            self.conn.execute(sql.COMMIT)
        except sqlite3.Error as exc:
            self._rollback()
            group.done.set_exception(exc)
            return
        group.done.set_result(None)
        self.commits += 1
        if self.commits % CHECKPOINT_EVERY == 0:
            self._checkpoint_soon()

    def _checkpoint_soon(self) -> None:
        if self._path is None:
            self._spawn(self._checkpoint())
        elif self._checkpointing is None:
            self._copied = asyncio.Event()
            self._checkpointing = asyncio.get_running_loop().create_task(self._checkpoint_apart(self._copied))
        else:  # the writers outpace the checkpoint: they wait for its copy, so the WAL stays bounded
            self._spawn(self._hold_until(self._copied))

    async def _hold_until(self, copied: asyncio.Event) -> None:
        async with self.lock:
            await copied.wait()

    async def _checkpoint(self) -> None:
        """Copy the WAL into the database, on the connection's thread (it waits for the disk)."""
        async with self.lock:
            await self.flush()
            with contextlib.suppress(sqlite3.Error):  # a busy reader: the next checkpoint does it
                await self._hop(lambda: self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall())

    async def _checkpoint_apart(self, copied: asyncio.Event) -> None:
        """The checkpoint of a database file, in a thread on a connection of its own, while
        transactions go on; then, once the WAL holds WAL_FRAMES pages, the few pages they wrote
        meanwhile with the connection held (the WAL starts over only once all of it is copied)."""
        try:
            with contextlib.suppress(sqlite3.Error):  # a busy reader: the next checkpoint does it
                try:
                    frames = await asyncio.to_thread(self._copy_wal)
                finally:
                    copied.set()
                if frames < WAL_FRAMES:  # it starts over by itself once a copy catches up with it
                    return
                async with self.lock:  # no commit between this copy and the next BEGIN: the WAL restarts
                    await self.flush()
                    await asyncio.to_thread(self._copy_wal)
        finally:
            self._checkpointing = None

    def _copy_wal(self) -> int:
        """Copy what the WAL holds into the database; how many frames the WAL holds."""
        if self._apart is None and self._path is not None:
            self._apart = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            self._apart.execute("PRAGMA synchronous = NORMAL")
        assert self._apart is not None
        _, frames, _ = self._apart.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(frames)

    async def close(self) -> None:
        """Wait for a checkpoint under way; close its connection."""
        if self._checkpointing is not None:
            await asyncio.gather(self._checkpointing, return_exceptions=True)
        if self._apart is not None:
            self._apart.close()
            self._apart = None

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute(sql.ROLLBACK)

    def _undo(self, group: Group, exc: BaseException) -> None:
        """Undo one member's changes; if SQLite dropped the transaction, the group fails with it."""
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute(UNDO)
                self.conn.execute(RELEASE)
            return
        self._group = None
        if isinstance(exc, Exception):
            group.done.set_exception(exc)
        else:
            group.done.cancel()


# GroupCommit.member and .read as classes rather than generator context managers: each event
# takes several, and a generator's setup costs ten times a class's.


class _Holding:
    """The connection held under the group's lock, for one block."""

    __slots__ = ("_commit", "_group")

    def __init__(self, commit: GroupCommit) -> None:
        self._commit = commit

    async def _take(self) -> GroupCommit:
        await self._commit.lock.acquire()
        return self._commit


Exit = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]


class Member(_Holding):
    """`async with commit.member() as conn:` one transaction of the open group (GroupCommit.member)."""

    __slots__ = ()

    async def __aenter__(self) -> sqlite3.Connection:
        commit = await self._take()
        try:
            self._group = commit._group or await commit._begin()
            commit.conn.execute(SAVEPOINT)
        except BaseException:
            commit.lock.release()
            raise
        return commit.conn

    async def __aexit__(self, *exited: *Exit) -> None:
        commit, group, exc = self._commit, self._group, exited[1]
        try:
            if exc is not None:
                commit._undo(group, exc)
                return  # the block's exception goes on
            commit.conn.execute(RELEASE)
            group.members += 1
        finally:
            commit.lock.release()
        await asyncio.shield(group.done)


class Read(_Holding):
    """`async with commit.read() as conn:` reads that see the open group, then wait for its commit."""

    __slots__ = ()

    async def __aenter__(self) -> sqlite3.Connection:
        commit = await self._take()
        self._group = commit._group
        return commit.conn

    async def __aexit__(self, *exited: *Exit) -> None:
        self._commit.lock.release()
        if exited[1] is None and self._group is not None:
            await _committed(self._group)
