"""How a PostgreSQL transaction reaches the server: one trip per read, and group commit.

A transaction's statements whose result nobody reads (UNREAD: an update, an insert whose id is
not asked for) are not sent when they are made: they wait, and travel with the transaction's next
read, or with its COMMIT, in ONE query of several `;`-separated statements. The values are bound
in the client (psycopg's client-side binding, the server's own quoting rules: text with quotes,
backslashes and any Unicode, bytes as BYTEA, integers, NULL; the common types written here the
way psycopg writes them, `_literals`). `BEGIN` travels with the first
trip. So a transaction with k reads makes at most k+1 trips, and one with none a single trip.
A statement the server refuses fails its transaction all the same, with the same error, raised
by the trip that carried it (the next read, or the end of the block) rather than where it was made.
The store's own statements are prepared once per connection (`PREPARE`, in front of the first trip
that uses one) and then run by name (`EXECUTE name(values)`), so the server parses and plans each
statement once per connection, not at every trip (Prepared).
A read-only snapshot (`view()`) makes one trip per read: its COMMIT waits on its connection,
parked, and travels in front of that connection's next trip (or alone, PARK_S later, if none
comes); a single read outside a view is one statement, no BEGIN and no COMMIT at all.

Group commit: a transaction that read nothing holds no connection while its block runs; when the
block ends, its statements join the group waiting to be sent. One group at a time is sent, as
`BEGIN; the first member's statements; the second's; ...; COMMIT`, so transactions that end while
a group is on its way (or in the same turn of the event loop) share the next trip and its COMMIT.
Each member's `transaction()` returns only once that COMMIT succeeded: nothing is acknowledged
before it is stored. A member may want rows back once it is committed (a delivery's outcome: does
its lane have more?); they come back with the group's trip, each member's to its own statements.
The store keeps two groups apart (engine.store.postgres): transactions someone waits on to be
answered, and background ones (deliveries' outcomes), so neither waits in line behind the other.

A group that fails: when the server refused a statement (a constraint, a bad value), the whole
group was rolled back, and each member is sent again alone, in its order: the members that were
not at fault commit, the one at fault raises the server's error as if it had run alone. When the
connection failed instead (the server gone, the link broken: the COMMIT's fate may be unknown),
nothing is sent again and every member raises, as a transaction whose own COMMIT failed would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import weakref
from collections.abc import Callable, Iterable, Sequence

import psycopg
from psycopg import AsyncClientCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from engine.store import sql

Connection = psycopg.AsyncConnection[DictRow]
Statement = tuple[str, tuple[object, ...]]  # PostgreSQL's text (`%s` placeholders) and its values
Then = Callable[[list[DictRow]], None]  # given a statement's rows once the trip carrying it is back
Kept = dict[int, Then]  # statements of a trip whose rows are wanted, by their place in it

BEGIN = "BEGIN"
BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"
PARK_S = 0.05  # how long a view's connection waits for a next trip to carry its COMMIT
PARKED_MAX = 4  # connections parked at most (a view ending with more parked commits at once)
GROUP_MAX = 200  # members sent in one trip at most (a trip of a few hundred KB at most)

UNREAD = frozenset(  # statements no method reads a count or a row of (tests/test_postgres_trips.py checks)
    {
        sql.PUT_SETTING,
        sql.RECORD_FAQ_QUESTION,
        sql.INSERT_CASE,
        sql.INSERT_CASE_EVENT,
        sql.SET_CASE_STATUS,
        sql.SET_CASE_RATING,
        sql.INSERT_CONVERSATION,
        sql.SAVE_CONVERSATION,
        sql.SET_MESSAGE_PLATFORM_ID,
        sql.MARK_RETRY,
        sql.MARK_FAILED,
        sql.GIVE_UP,
        sql.SET_DELIVERY,
        sql.FORGET_ATTACHMENTS,
        sql.FORGET_PLAYER_ATTACHMENTS,
        sql.ERASE_CASE_EVENTS,
        sql.ERASE_CASE,
        sql.FORGET_CONVERSATION,
        sql.LOCK_USES,
        sql.GIVE_BACK_USE,
        sql.INSERT_LINE,
        sql.QUEUE,
        sql.SAY,
    }
)


def _numbered(query: str) -> str:
    """A statement with psycopg's placeholders (`%s`, and `%%` for `%`) as PREPARE takes it ($1, $2, ...)."""
    numbers = itertools.count(1)
    return re.sub(r"%%|%s", lambda m: "%" if m.group(0) == "%%" else f"${next(numbers)}", query)


def _literals(params: tuple[object, ...]) -> str | None:
    """The values as SQL literals, written as psycopg writes them (`E'...'` text), for the types the
    store's statements mostly carry: text, integers, booleans, NULL. None when one is of another
    type (bytes, say) or text holds a NUL, which psycopg refuses: psycopg quotes those instead.
    psycopg's general path (an adapter looked up and called per value) was over a quarter of an
    agent's event's CPU; with this the event takes an eighth less CPU in all."""
    out = []
    for value in params:
        if value is None:
            out.append("NULL")
        elif value is True or value is False:
            out.append("true" if value else "false")
        elif type(value) is int:
            out.append(str(value))
        elif type(value) is str and "\0" not in value:
            out.append("E'" + value.replace("\\", "\\\\").replace("'", "''") + "'")
        else:
            return None
    return ", ".join(out)


class Prepared:
    """Statements prepared once per connection (PREPARE, in front of the first trip that runs one)
    and run by name (EXECUTE) inside the multi-statement trips: the server parses and plans each
    only once per connection. Only the store's own statements (`preparable`) are, with values."""

    def __init__(self, preparable: frozenset[str]) -> None:
        self._preparable = preparable
        self._names: weakref.WeakKeyDictionary[Connection, dict[str, str]] = weakref.WeakKeyDictionary()
        self._numbers = itertools.count(1)

    def _text(
        self, cursor: AsyncClientCursor[DictRow], statements: Iterable[Statement]
    ) -> tuple[str, dict[str, str], list[int]]:
        """The statements as one query, their values bound here; the names it prepares; and the
        place of each statement's result among the query's (a PREPARE has one too)."""
        known = self._names.setdefault(cursor.connection, {})
        fresh: dict[str, str] = {}
        parts: list[str] = []
        places: list[int] = []
        for query, params in statements:
            if not params or query not in self._preparable:
                places.append(len(parts))
                parts.append(cursor.mogrify(query, params) if params or "%" in query else query)
                continue
            name = known.get(query) or fresh.get(query)
            if name is None:
                name = fresh[query] = f"flexcord_{next(self._numbers)}"
                parts.append(f"PREPARE {name} AS {_numbered(query)}")
            places.append(len(parts))
            values = _literals(params)
            if values is None:  # bytes, or anything else: psycopg's own quoting
                values = cursor.mogrify(", ".join(["%s"] * len(params)), params)
            parts.append(f"EXECUTE {name}({values})")
        return "; ".join(parts), fresh, places

    async def send(
        self, cursor: AsyncClientCursor[DictRow], statements: Sequence[Statement], kept: Kept | None = None
    ) -> None:
        """One trip; the cursor is left on the last statement's result, and the rows of each
        statement `kept` names (by its place in `statements`) are given to its function."""
        text, fresh, places = self._text(cursor, statements)
        try:
            await cursor.execute(text)
        except psycopg.Error:  # what this trip prepared may be gone with its transaction: new names next time
            self._names.pop(cursor.connection, None)
            raise
        self._names.setdefault(cursor.connection, {}).update(fresh)
        wanted = {places[index]: rows for index, rows in (kept or {}).items()}
        result = 0
        while True:
            if result in wanted:
                wanted[result](await cursor.fetchall())
            if not cursor.nextset():
                break
            result += 1


def _lead(conn: Connection) -> list[Statement]:
    """What a connection owes before its next transaction: the COMMIT of a read-only snapshot
    parked on it, or the ROLLBACK of a transaction the server refused."""
    status = conn.info.transaction_status
    if status == psycopg.pq.TransactionStatus.INTRANS:
        return [(COMMIT, ())]
    return [(ROLLBACK, ())] if status == psycopg.pq.TransactionStatus.INERROR else []


async def _rollback(conn: Connection) -> None:
    """End a transaction the server aborted or the block gave up (nothing to do on a broken link)."""
    if not conn.broken and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        await conn.execute(ROLLBACK)


class Connections:
    """The pool, and the connections parked with a read-only snapshot still open: a view's COMMIT
    is not a trip of its own, it travels with the next trip on the same connection (or, if none
    comes within PARK_S, alone, off the view's way)."""

    def __init__(self, pool: AsyncConnectionPool[Connection], prepared: Prepared) -> None:
        self.pool = pool
        self.prepared = prepared
        self._parked: list[Connection] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def take(self) -> Connection:
        """A parked connection (its COMMIT due: see _lead), or one from the pool."""
        return self._parked.pop() if self._parked else await self.pool.getconn()

    async def give_back(self, conn: Connection, *, snapshot: bool = False) -> None:
        """Back to the pool, or (`snapshot`: a read-only transaction still open) parked."""
        open_snapshot = snapshot and conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        if not open_snapshot or conn.broken or len(self._parked) >= PARKED_MAX:
            try:
                await _rollback(conn)
            finally:
                await self.pool.putconn(conn)
            return
        self._parked.append(conn)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(PARK_S, self._unpark_soon)

    def _unpark_soon(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self.unpark())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def unpark(self) -> None:
        """End the parked snapshots and give their connections back to the pool."""
        while self._parked:
            with contextlib.suppress(psycopg.Error):  # a broken link: the pool drops the connection
                await self.give_back(self._parked.pop())

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self.unpark()
        for task in list(self._tasks):
            await task


class Trips:
    """One transaction (or read-only view) on a connection taken at its first trip."""

    def __init__(self, conns: Connections, begin: str | None = BEGIN) -> None:
        self._conns = conns
        self._begin = begin
        self._conn: Connection | None = None
        self._cursor: AsyncClientCursor[DictRow] | None = None
        self.waiting: list[Statement] = []  # made, not yet sent
        self._kept: Kept = {}  # rows wanted of some waiting statements, by their place in `waiting`

    def later(self, query: str, params: tuple[object, ...], then: Then | None = None) -> None:
        """A statement sent with the next trip: its result nobody reads, or (`then`) is wanted only
        once that trip is back (with the COMMIT it travels with, say), and given to `then`."""
        if then is not None:
            self._kept[len(self.waiting)] = then
        self.waiting.append((query, params))

    @property
    def kept(self) -> Kept:
        """The waiting statements whose rows are wanted once their trip is back, by place (any:
        the transaction joins no foreground group)."""
        return self._kept

    async def now(self, query: str, params: tuple[object, ...]) -> AsyncClientCursor[DictRow]:
        """Send what waits and this statement, in one trip; the cursor holds this statement's result."""
        waiting, kept = self.waiting, self._kept
        self.waiting, self._kept = [], {}
        statements = [*waiting, (query, params)]
        if self._cursor is None:
            self._conn = await self._conns.take()
            self._cursor = AsyncClientCursor(self._conn, row_factory=dict_row)
            begin = [] if self._begin is None else [(self._begin, ())]  # None: autocommit, one statement
            statements = [*_lead(self._conn), *begin, *statements]
        offset = len(statements) - len(waiting) - 1  # where the waiting statements start in the trip
        wanted = {offset + index: rows for index, rows in kept.items()}
        await self._conns.prepared.send(self._cursor, statements, wanted)
        return self._cursor

    @property
    def begun(self) -> bool:
        """Whether a transaction is open on a connection (it made a trip after BEGIN)."""
        return self._cursor is not None and self._begin is not None

    async def commit(self) -> None:
        """What waits, then COMMIT, in one trip (the transaction made a trip before)."""
        await self.now(COMMIT, ())

    async def end(self, *, snapshot: bool = False) -> None:
        """Give the connection back, rolling back whatever was not committed; `snapshot`: a
        read-only transaction that ended well, parked until its COMMIT can travel with a next trip."""
        conn, self._conn, self._cursor, self.waiting, self._kept = self._conn, None, None, [], {}
        if conn is not None:
            await self._conns.give_back(conn, snapshot=snapshot)


class _Member:
    def __init__(self, statements: list[Statement], kept: Kept) -> None:
        self.statements = statements
        self.kept = kept  # rows wanted of some of its statements, by their place among them
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.done.add_done_callback(_observed)


def _observed(done: asyncio.Future[None]) -> None:
    """A member that left (cancelled) still had its outcome looked at."""
    if not done.cancelled():
        done.exception()


class GroupCommit:
    """Transactions that made no trip of their own, sent together: one trip and one COMMIT per group."""

    def __init__(self, conns: Connections) -> None:
        self._conns = conns
        self._queue: list[_Member] = []
        self._sender: asyncio.Task[None] | None = None
        self.trips = 0  # trips sent, for the tests and benchmarks: fewer than members when groups form

    async def commit(self, statements: list[Statement], kept: Kept | None = None) -> None:
        """Run `statements` as one transaction, in the next group; returns once it is committed,
        the rows of the statements `kept` names given to their functions (only once it is)."""
        member = _Member(statements, kept or {})
        self._queue.append(member)
        if self._sender is None:
            self._sender = asyncio.get_running_loop().create_task(self._send_groups())
        await asyncio.shield(member.done)

    async def idle(self) -> None:
        """Wait until every group queued so far is sent (before the pool closes)."""
        while self._sender is not None:
            await asyncio.shield(self._sender)

    async def _send_groups(self) -> None:
        try:
            while self._queue:
                group, self._queue = self._queue[:GROUP_MAX], self._queue[GROUP_MAX:]
                await self._send_group(group)
        finally:
            self._sender = None

    async def _send_group(self, group: list[_Member]) -> None:
        try:
            conn = await self._conns.take()
            try:
                failure = await self._try(conn, group)
                if failure is not None and len(group) > 1 and not _link_failed(failure):
                    for member in group:  # find the member at fault: each alone, in order
                        self._settle([member], await self._try(conn, [member]))
            finally:
                await self._conns.give_back(conn)
        except Exception as exc:  # e.g. the pool could not give a connection
            failure = exc
        except BaseException:  # this task was cancelled (the loop is ending): its members with it
            self._settle(group, asyncio.CancelledError())
            raise
        self._settle(group, failure)

    async def _try(self, conn: Connection, group: list[_Member]) -> BaseException | None:
        """One trip: BEGIN, the members' statements, COMMIT (after what the connection owed)."""
        statements = [*_lead(conn), (BEGIN, ())]
        wanted: Kept = {}
        for member in group:
            wanted.update({len(statements) + place: rows for place, rows in member.kept.items()})
            statements.extend(member.statements)
        statements.append((COMMIT, ()))
        self.trips += 1
        try:  # a statement refused, or the COMMIT: the trip raises before any rows are handed out
            await self._conns.prepared.send(AsyncClientCursor(conn, row_factory=dict_row), statements, wanted)
        except psycopg.Error as exc:
            return exc
        return None

    @staticmethod
    def _settle(group: list[_Member], failure: BaseException | None) -> None:
        for member in group:
            if member.done.done():
                continue
            if failure is None:
                member.done.set_result(None)
            elif isinstance(failure, Exception):
                member.done.set_exception(failure)
            else:
                member.done.cancel()


def _link_failed(exc: BaseException) -> bool:
    """The connection, not a statement, failed: whether the COMMIT happened may be unknown."""
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
