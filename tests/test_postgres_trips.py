"""PostgreSQL: a transaction's statements travel in as few trips as its reads allow, write-only
transactions that end together share one trip and one COMMIT, and every value we store survives
the client-side binding. Trips are counted on the wire: the store talks to the server through a
loopback relay (tests/pgwire.py) that counts the messages after which the server answers (a
query, or an extended-protocol sync)."""

from __future__ import annotations

import ast
import asyncio
import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from engine.attachments import Upload
from engine.deliveries import DirectMessage
from engine.events import OutMessage
from engine.store import NewMessage, Slot, StateChanged, Store, open_store, postgres, sql
from engine.store import writes as shared_writes
from engine.store.pgbatch import UNREAD
from tests.pgwire import Wire, counted_url
from tests.postgres import fresh_database

NOW = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)


@dataclass
class Counted:
    store: Store
    wire: Wire
    url: str  # the database itself, for checking from outside the store


@pytest.fixture
async def counted() -> AsyncIterator[Counted]:
    url = await fresh_database()
    wire = Wire()
    through, relay = await counted_url(url, wire)
    store = await open_store(through)
    yield Counted(store, wire, url)
    await store.close()
    relay.close()


async def stored_setting(url: str, key: str) -> str | None:
    """The setting as another client sees it: committed, or not there."""
    async with await psycopg.AsyncConnection.connect(url) as conn:
        row = await (await conn.execute("SELECT value FROM settings WHERE key = %s", (key,))).fetchone()
    return None if row is None else str(row[0])


async def add_line(store: Store) -> int:
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
        return await tx.add_message(NewMessage(conversation.id, None, "in", "Ash", "hi", "dm", NOW, "1"))


async def test_a_transaction_makes_one_trip_and_one_more_per_read(counted: Counted) -> None:
    store, wire = counted.store, counted.wire
    message_id = await add_line(store)
    before = wire.trips
    async with store.transaction() as tx:
        await tx.put_setting("greeting", "hello")
        await tx.set_message_platform_id(message_id, "987654321098765432")
        await tx.record_faq_question("111", "where is my order?", None, "unanswered", NOW)
    assert wire.trips - before == 1  # BEGIN, the three statements and COMMIT: one query
    assert await stored_setting(counted.url, "greeting") == "hello"

    before = wire.trips
    async with store.transaction() as tx:
        assert await tx.mark_processed("event-1", NOW)  # a read: BEGIN travels with it
        await tx.put_setting("greeting", "hello again")
        assert await tx.get_setting("greeting") == "hello again"  # the change travels with the read
        await tx.put_setting("farewell", "bye")
    assert wire.trips - before == 3  # two reads, then the last change with COMMIT
    assert await stored_setting(counted.url, "farewell") == "bye"

    async with store.transaction() as tx:
        assert not await tx.mark_processed("event-1", NOW)  # still exactly once


async def test_one_call_reads_and_outbox_claims_are_one_trip_each(counted: Counted) -> None:
    store, wire = counted.store, counted.wire
    await store.put_setting("greeting", "hello")
    async with store.transaction() as tx:
        await tx.enqueue(lane="dm:111", delivery=DirectMessage("111", OutMessage("hi")), key="k1", at=NOW)
    before = wire.trips
    assert await store.get_setting("greeting") == "hello"
    assert await store.conversation("111") is None
    claimed = await store.claim("dm:111", NOW)
    assert wire.trips - before == 3  # one statement each: no BEGIN, no COMMIT
    assert claimed is not None and claimed.key == "k1"
    assert await store.claim("dm:111", NOW) is not None  # still ours until delivered
    assert await store.take_lease("gateway", NOW, timedelta(seconds=30))
    assert await store.lease_holder("gateway") is not None


async def test_a_players_event_is_taken_and_its_lines_and_deliveries_written_in_two_trips(
    counted: Counted,
) -> None:
    """What an agent's message to a player costs before it is sent: the event taken with the
    player's state, the line and its delivery with the COMMIT, then the claim with the thread."""
    store, wire = counted.store, counted.wire
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
    before = wire.trips
    async with store.transaction() as tx:
        state = await tx.take_event(
            "contact:a-1", NOW, "111", setting="language:111", lane="contact:111", kind="x"
        )
        assert state is not None and state.conversation == conversation
        said = NewMessage(conversation.id, None, "out", "Misty", "ok", "dm", NOW)
        hi = DirectMessage("111", OutMessage("ok"))
        await tx.say(said, lane="dm:111", delivery=hi, key="k1", case_ref=None)
    assert wire.trips - before == 2
    before = wire.trips
    item, thread = await store.claim_reading("dm:111", NOW, "thread:111")
    assert wire.trips - before == 1 and item is not None and item.delivery == hi and thread is None


async def test_the_lanes_head_is_claimed_in_the_commits_trip_and_leased_to_this_replica(
    counted: Counted,
) -> None:
    """A turn that claims the head of the lane it wrote to as it ends: no trip more than the turn
    itself, the head committed as leased, so another replica leaves it alone."""
    store, wire = counted.store, counted.wire
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
    before = wire.trips
    async with store.transaction() as tx:
        state = await tx.take_event(
            "event:m-1", NOW, "111", setting="language:111", lane="contact:111", kind="x"
        )
        assert state is not None
        said = NewMessage(conversation.id, None, "in", "Ash", "hi", "dm", NOW)
        relay = DirectMessage("111", OutMessage("hi"))
        await tx.say(said, lane="dm:111", delivery=relay, key="k1", case_ref=None)
        claimed = await tx.claim_later("dm:111", NOW, "thread:111")
    assert wire.trips - before == 2  # the event with its state; the line, its delivery, the claim, COMMIT
    item, thread = claimed.value
    assert item is not None and item.delivery == relay and thread is None
    other = await open_store(counted.url)  # a second replica, while the lease runs
    try:
        assert await other.claim("dm:111", NOW + timedelta(seconds=5)) is None
        assert await other.claim("dm:111", NOW + timedelta(minutes=5)) == item  # a lapsed lease
    finally:
        await other.close()


async def test_a_turn_on_a_guess_is_one_trip_its_checks_with_the_commit(counted: Counted) -> None:
    """The event, the state as guessed and the limit's use are checked in the COMMIT's trip; a full
    window fails the turn as a changed state does, and keeps nothing of it."""
    store, wire = counted.store, counted.wire
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
    keys = {"setting": "language:111", "lane": "contact:111", "kind": "x"}
    async with store.transaction() as tx:
        seen = await tx.take_event("event:m-0", NOW, "111", **keys)
    assert seen is not None
    said = NewMessage(conversation.id, None, "in", "Ash", "hi", "dm", NOW)
    before = wire.trips
    async with store.transaction() as tx:
        slot = Slot("relay/111", 1, 60, NOW, once="m-1")
        assert await tx.take_event("event:m-1", NOW, "111", **keys, slot=slot, guess=seen) is seen
        assert await tx.take_slot(slot) is None  # answered: the check travels with the COMMIT
        await tx.add_line(said)
        claimed = await tx.claim_later("contact:111", NOW)
    assert wire.trips - before == 1 and claimed.value == (None, None)
    with pytest.raises(StateChanged):  # one use a minute: the window is full
        async with store.transaction() as tx:
            slot = Slot("relay/111", 1, 60, NOW, once="m-2")
            await tx.take_event("event:m-2", NOW, "111", **keys, slot=slot, guess=seen)
            await tx.add_line(said)
    assert not await store.is_processed("event:m-2")
    async with store.view() as view:
        assert len(await view.recent_messages(conversation.id)) == 1


async def test_a_relayed_dms_message_limit_is_taken_in_the_events_trip(counted: Counted) -> None:
    """A player's DM to the agent: the event taken with their state and the limit's use in one
    trip, then the line and its delivery with the COMMIT; the use asked for again costs none."""
    store, wire = counted.store, counted.wire
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
    before = wire.trips
    slot = Slot("relay/111", 5, 60, NOW, once="m-1")
    async with store.transaction() as tx:
        state = await tx.take_event(
            "event:m-1", NOW, "111", setting="language:111", lane="contact:111", kind="x", slot=slot
        )
        assert state is not None and state.conversation == conversation
        assert wire.trips - before == 1
        assert await tx.take_slot(slot) is None
        said = NewMessage(conversation.id, None, "in", "Ash", "hi", "dm", NOW)
        await tx.add_line(said)
    assert wire.trips - before == 2
    async with store.view() as view:
        assert await view.read_sql("SELECT once FROM limit_uses WHERE key = 'relay/111'") == [("m-1",)]


async def test_a_deliverys_outcome_is_one_trip_its_answer_back_with_the_commit(counted: Counted) -> None:
    store, wire = counted.store, counted.wire
    message_id = await add_line(store)
    async with store.transaction() as tx:
        a = await tx.enqueue(lane="dm:111", delivery=DirectMessage("111", OutMessage("a")), key="k1", at=NOW)
        await tx.enqueue(lane="dm:111", delivery=DirectMessage("111", OutMessage("b")), key="k2", at=NOW)
    before = wire.trips
    async with store.transaction() as tx:
        await tx.set_message_platform_id(message_id, "987654321098765432")
        waiting = await tx.mark_delivered_later(a, NOW)
        with pytest.raises(LookupError):  # not known before the COMMIT's trip is back
            _ = waiting.value
    assert wire.trips - before == 1 and waiting.value  # BEGIN, both, COMMIT; "k2" waits behind it
    async with store.view() as view:
        transcript = await view.read_sql("SELECT platform_id FROM messages WHERE id = ?", (message_id,))
    assert [tuple(row) for row in transcript] == [("987654321098765432",)]


async def test_outcomes_of_deliveries_that_end_together_share_one_trip_each_with_its_answer(
    counted: Counted,
) -> None:
    """Three lanes' heads delivered at once, in the background: one trip and one COMMIT carry the
    three outcomes, each learns whether its own lane has more, and a foreground transaction ending
    meanwhile is not held back in their group."""
    store, wire = counted.store, counted.wire
    heads = {}
    async with store.transaction() as tx:
        for lane, texts in (("dm:111", ["a", "b"]), ("dm:222", ["c"]), ("dm:333", ["d", "e"])):
            for n, text in enumerate(texts):
                delivery = DirectMessage(lane[3:], OutMessage(text))
                made = await tx.enqueue(lane=lane, delivery=delivery, key=f"{lane}/{n}", at=NOW)
                heads.setdefault(lane, made)

    async def delivered(lane: str) -> tuple[bool, str | None]:
        async with store.transaction(background=True) as tx:
            waiting = await tx.mark_delivered_later(heads[lane], NOW)
            following = await tx.claim_later(lane, NOW, None)
        head, _ = following.value
        return waiting.value, None if head is None else head.key

    async def greet() -> None:
        async with store.transaction() as tx:
            await tx.put_setting("greeting", "hello")

    before = wire.trips
    *outcomes, _ = await asyncio.gather(*(delivered(f"dm:{n}") for n in (111, 222, 333)), greet())
    assert outcomes == [(True, "dm:111/1"), (False, None), (True, "dm:333/1")]
    assert wire.trips - before == 2  # the three outcomes in one trip; the greeting in its own group
    assert await store.claim("dm:111", NOW) is not None  # its next head, leased to this replica
    assert await stored_setting(counted.url, "greeting") == "hello"


async def test_a_background_member_refused_fails_alone_and_the_others_get_their_answers(
    counted: Counted,
) -> None:
    store = counted.store
    async with store.transaction() as tx:
        a = await tx.enqueue(lane="dm:111", delivery=DirectMessage("111", OutMessage("a")), key="a", at=NOW)
        await tx.enqueue(lane="dm:111", delivery=DirectMessage("111", OutMessage("b")), key="b", at=NOW)

    async def delivered() -> bool:
        async with store.transaction(background=True) as tx:
            waiting = await tx.mark_delivered_later(a, NOW)
        return waiting.value

    async def bad() -> None:
        async with store.transaction(background=True) as tx:
            await tx.put_setting("bad", "not kept")
            await tx.add_line(NewMessage(None, "NOPE-404", "in", "Ash", "hi", "dm", NOW))  # no such case

    before = counted.wire.trips
    outcomes = await asyncio.gather(bad(), delivered(), return_exceptions=True)
    assert counted.wire.trips - before == 1 + 2  # the group, refused; then each member alone
    assert isinstance(outcomes[0], psycopg.errors.ForeignKeyViolation)
    assert outcomes[1] is True  # committed alone after the group was refused, "b" still behind it
    assert await stored_setting(counted.url, "bad") is None
    async with store.view() as view:
        rows = await view.read_sql("SELECT status FROM outbox WHERE id = ?", (a,))
    assert [tuple(row) for row in rows] == [("delivered",)]


async def test_a_views_commit_travels_with_the_next_trip_and_no_snapshot_outlives_it(
    counted: Counted,
) -> None:
    store, wire = counted.store, counted.wire
    await store.put_setting("colour", "red")
    before = wire.trips
    async with store.view() as view:
        assert await view.get_setting("colour") == "red"  # BEGIN (a snapshot) and the read: one trip
    await store.put_setting("colour", "blue")  # the view's COMMIT, then this transaction: one trip
    async with store.view() as view:
        assert await view.get_setting("colour") == "blue"  # a new snapshot sees the change
        assert await view.get_setting("missing") is None
    assert await store.get_setting("colour") == "blue"
    assert wire.trips - before == 1 + 1 + 2 + 1


async def test_a_free_limit_slot_is_one_trip_and_a_refused_one_says_how_long(counted: Counted) -> None:
    store, wire = counted.store, counted.wire
    before = wire.trips
    async with store.transaction() as tx:
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW, once="e1")) is None
    assert wire.trips - before == 2  # the key's lock and the use added; then COMMIT
    async with store.transaction() as tx:
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW, once="e1")) is None  # the same event
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW + timedelta(minutes=1), once="e2")) is None
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW + timedelta(minutes=3), once="e3")) == 420


async def test_the_server_parses_each_statement_once_per_connection(counted: Counted) -> None:
    store, wire = counted.store, counted.wire
    for n in range(3):  # one after another: the same pooled connection each time
        async with store.transaction() as tx:
            assert await tx.mark_processed(f"event-{n}", NOW)
            await tx.put_setting("last", str(n))
    sent = b" ".join(wire.queries)
    assert sent.count(b"ON CONFLICT (id) DO NOTHING") == 1  # prepared once, then run by name
    assert sent.count(b"EXECUTE") == 6
    assert await stored_setting(counted.url, "last") == "2"


async def test_a_block_that_raises_leaves_nothing_and_costs_no_trip(counted: Counted) -> None:
    before = counted.wire.trips
    with pytest.raises(RuntimeError):
        async with counted.store.transaction() as tx:
            await tx.put_setting("half", "done")
            raise RuntimeError("changed my mind")
    assert counted.wire.trips == before
    assert await stored_setting(counted.url, "half") is None


async def test_write_only_transactions_that_end_together_share_one_trip(counted: Counted) -> None:
    store, wire = counted.store, counted.wire
    seen_when_returned: dict[str, str | None] = {}

    async def put(n: int) -> None:
        async with store.transaction() as tx:
            await tx.put_setting(f"key-{n}", f"value-{n}")
        seen_when_returned[f"key-{n}"] = await stored_setting(counted.url, f"key-{n}")

    before = wire.trips
    await asyncio.gather(*(put(n) for n in range(20)))
    assert wire.trips - before == 1  # one BEGIN, twenty changes, one COMMIT
    assert seen_when_returned == {f"key-{n}": f"value-{n}" for n in range(20)}  # durable on return


async def test_a_failing_member_fails_alone_and_the_others_commit(counted: Counted) -> None:
    store = counted.store

    async def put(key: str) -> None:
        async with store.transaction() as tx:
            await tx.put_setting(key, "kept")

    async def bad() -> None:
        async with store.transaction() as tx:
            await tx.put_setting("bad", "not kept")
            await tx.add_line(
                NewMessage(None, "NOPE-404", "in", "Ash", "hi", "dm", NOW)
            )  # no such case: refused

    before = counted.wire.trips
    outcomes = await asyncio.gather(put("first"), bad(), put("last"), return_exceptions=True)
    assert counted.wire.trips - before == 1 + 3  # the group, refused; then each member alone
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], psycopg.errors.ForeignKeyViolation)
    assert await stored_setting(counted.url, "first") == "kept"
    assert await stored_setting(counted.url, "last") == "kept"
    assert await stored_setting(counted.url, "bad") is None  # the failing member's change went with it
    await put("after")  # the connection, and the statements prepared on it, still serve
    assert await stored_setting(counted.url, "after") == "kept"


AWKWARD = [
    'it\'s a "quote"',
    "back\\slash \\x00 \\n and '' E'\\'",
    "%s %(name)s %% ? $1 ;; COMMIT; --",
    "日本語 ☃ 🎮 Ünïcödé \u200b",
    "line\nbreak\ttab\r",
    "",
]


async def test_awkward_values_round_trip(counted: Counted) -> None:
    store = counted.store
    big_id = "1234567890123456789"  # a Discord id: past 32 bits
    data = bytes(range(256)) + b"\\x'\x00"
    async with store.transaction() as tx:
        conversation = await tx.open_conversation(big_id, AWKWARD[0], NOW)
        for n, text in enumerate(AWKWARD):
            await tx.put_setting(f"awkward-{n}", text)
            line = NewMessage(conversation.id, None, "in", text, text, "dm", NOW, str(10**18 + n))
            await tx.add_message(line)
        await tx.record_faq_question(big_id, AWKWARD[1], None, "unanswered", NOW)
        file_id = await tx.add_attachment(
            case_ref=None, user_id=big_id, who="Ash", file=Upload("a'b\\.bin", data, "image/png"), at=NOW
        )
    async with store.view() as view:
        assert [await view.get_setting(f"awkward-{n}") for n in range(len(AWKWARD))] == AWKWARD
        found = await view.conversation(big_id)
        assert found is not None and found.user_name == AWKWARD[0]
        lines = await view.recent_messages(found.id)
        assert [line.text for line in lines] == AWKWARD
        assert (await view.faq_questions(NOW))[0].language is None
        kept = await view.get_attachment(file_id)
        assert await view.dm_watermarks(10) == {big_id: 10**18 + len(AWKWARD) - 1}
    assert kept is not None and kept[1] == data and kept[0].name == "a'b\\.bin"
    with pytest.raises(psycopg.DataError):  # PostgreSQL text holds no NUL: refused, as it always was
        async with store.transaction() as tx:
            await tx.put_setting("nul", "a\x00b")
    assert await stored_setting(counted.url, "nul") is None


def test_statements_sent_later_are_those_whose_result_nobody_reads() -> None:
    """A statement in UNREAD must only ever be run for its effect: `await self._run(sql.X, ...)` alone."""
    used: dict[str, set[bool]] = {}
    for module in (shared_writes, postgres):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            for call in (n for n in ast.iter_child_nodes(node) if isinstance(n, ast.Await)):
                inner = call.value
                if isinstance(inner, ast.Call) and getattr(inner.func, "attr", "") == "_run" and inner.args:
                    name = getattr(inner.args[0], "attr", "")
                    used.setdefault(name, set()).add(isinstance(node, ast.Expr))
    unread = {name for name in used if getattr(sql, name, None) in UNREAD}
    assert len(unread) > 10 and all(used[name] == {True} for name in unread), used
