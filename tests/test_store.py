"""The store, on SQLite and on PostgreSQL: migrations, sequential case refs under concurrency, atomic
transactions, dedupe. Tests taking `store` run on both (PostgreSQL: a throw-away server, see
tests/postgres.py); the others are about SQLite's own file."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from engine.deliveries import ChannelPost, DirectMessage, StartHandoff
from engine.events import OutMessage
from engine.ports import HandoffRequest
from engine.store import (
    NewCase,
    NewMessage,
    PlayerState,
    Slot,
    StateChanged,
    StorageError,
    Store,
    database_path,
    open_store,
)
from engine.store.migrations import MIGRATIONS
from engine.store.sqlite import SqliteStore
from tests.postgres import fresh_database

NOW = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)


async def new_case(store: Store, prefix: str = "BUG", title: str = "Crash", reporter: str = "111") -> str:
    async with store.transaction() as tx:
        case = await tx.create_case(
            NewCase(
                template=prefix.lower(),
                prefix=prefix,
                title=title,
                status="open",
                reporter_id=reporter,
                reporter_name="Ash",
                where="bug-report",
                fields={"summary": title},
                conversation_id=None,
                at=NOW,
            )
        )
    return case.ref


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        opened = await open_store("sqlite:///:memory:")
    else:
        opened = await open_store(await fresh_database())
    yield opened
    await opened.close()


def test_database_path_resolves_relative_paths_under_the_config_root(tmp_path: Path) -> None:
    assert database_path("sqlite:///data/x.db", tmp_path) == str(tmp_path / "data" / "x.db")
    assert database_path("sqlite:////abs/x.db", tmp_path) == "/abs/x.db"
    assert database_path("sqlite:///:memory:", tmp_path) == ":memory:"
    with pytest.raises(ValueError, match="not supported"):
        database_path("postgres://db/flexcord")
    with pytest.raises(ValueError, match="names no file"):
        database_path("sqlite:///")


async def test_opening_twice_applies_each_migration_once_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    url = "sqlite:///records/flexcord.db"
    first = await open_store(url, root=tmp_path)
    await new_case(first)
    await first.close()
    second = await open_store(url, root=tmp_path)
    assert (await second.get_case("BUG-1")) is not None
    await second.close()

    db = sqlite3.connect(tmp_path / "records" / "flexcord.db")
    versions = [row[0] for row in db.execute("SELECT version FROM schema_version")]
    assert versions == [version for version, _ in MIGRATIONS]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


async def test_a_new_database_and_its_folder_are_readable_by_the_bot_alone(tmp_path: Path) -> None:
    store = await open_store("sqlite:///records/flexcord.db", root=tmp_path)
    await new_case(store)
    try:
        assert (tmp_path / "records").stat().st_mode & 0o777 == 0o700
        files = sorted(path.name for path in (tmp_path / "records").iterdir())
        assert files == ["flexcord.db", "flexcord.db-shm", "flexcord.db-wal", "flexcord.db.marker"]
        for name in files:
            assert (tmp_path / "records" / name).stat().st_mode & 0o777 == 0o600, name
    finally:
        await store.close()


@pytest.mark.parametrize("how", ["deleted", "emptied"])
async def test_a_lost_database_is_not_silently_replaced_by_an_empty_one(tmp_path: Path, how: str) -> None:
    url = "sqlite:///records/flexcord.db"
    first = await open_store(url, root=tmp_path)
    await new_case(first)
    await first.close()
    for path in (tmp_path / "records").glob("flexcord.db*"):
        if path.suffix != ".marker":
            path.unlink()
    if how == "emptied":
        (tmp_path / "records" / "flexcord.db").write_bytes(b"")
    with pytest.raises(StorageError, match="--init-storage"):
        await open_store(url, root=tmp_path)
    fresh = await open_store(url, root=tmp_path, initialise=True)
    assert await fresh.list_cases() == []
    await fresh.close()
    again = await open_store(url, root=tmp_path)  # the new database is the one kept from now on
    await again.close()


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        async with store.transaction() as tx:
            await tx.add_message(
                NewMessage(
                    conversation_id=999,
                    case_ref=None,
                    direction="in",
                    author="x",
                    text="x",
                    where="dm",
                    at=NOW,
                )
            )


async def test_fifty_concurrent_creations_get_fifty_sequential_refs(store: Store) -> None:
    refs = await asyncio.gather(*(new_case(store, title=f"bug {n}") for n in range(50)))
    assert sorted(refs, key=lambda ref: int(ref.split("-")[1])) == [f"BUG-{n}" for n in range(1, 51)]
    assert await new_case(store, prefix="FEAT") == "FEAT-1"


async def test_a_failing_transaction_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            assert await tx.mark_processed("event:1", NOW)
            await tx.create_case(
                NewCase(
                    template="bug",
                    prefix="BUG",
                    title="lost",
                    status="open",
                    reporter_id="1",
                    reporter_name="Ash",
                    where="dm",
                    fields={},
                    conversation_id=None,
                    at=NOW,
                )
            )
            raise RuntimeError("crash in the middle")
    assert not await store.is_processed("event:1")
    assert await store.get_case("BUG-1") is None
    assert await new_case(store) == "BUG-1"  # the counter rolled back too


async def test_an_event_is_marked_processed_once(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.mark_processed("event:7", NOW)
        assert not await tx.mark_processed("event:7", NOW)
    assert await store.is_processed("event:7")
    async with store.transaction() as tx:
        assert await tx.forget_processed(NOW + timedelta(days=1)) == 1
    assert not await store.is_processed("event:7")


async def test_case_status_changes_are_recorded_in_order(store: Store) -> None:
    ref = await new_case(store)
    later = NOW + timedelta(hours=1)
    async with store.transaction() as tx:
        await tx.change_case(ref, "triaged", who="Brock", note="seen it", at=later)
        await tx.change_case(ref, "fixed", who="Misty", note=None, at=later)
        await tx.rate_case(ref, 5, later)
    case = await store.get_case(ref)
    assert case is not None and (case.status, case.rating, case.updated_at) == ("fixed", 5, later)
    history = await store.case_history(ref)
    assert [(e.from_status, e.to_status, e.who, e.note) for e in history] == [
        (None, "open", "Ash", "opened"),
        ("open", "triaged", "Brock", "seen it"),
        ("triaged", "fixed", "Misty", None),
    ]
    with pytest.raises(KeyError):
        async with store.transaction() as tx:
            await tx.change_case("BUG-99", "fixed", who="x", note=None, at=NOW)


async def test_list_cases_filters_by_status_and_template(store: Store) -> None:
    await new_case(store)
    await new_case(store, prefix="FEAT")
    async with store.transaction() as tx:
        await tx.change_case("BUG-1", "fixed", who="Brock", note=None, at=NOW + timedelta(minutes=1))
    assert [c.ref for c in await store.list_cases()] == ["BUG-1", "FEAT-1"]
    assert [c.ref for c in await store.list_cases(status="open")] == ["FEAT-1"]
    assert [c.ref for c in await store.list_cases(template="bug")] == ["BUG-1"]
    assert await store.list_cases(status="open", template="bug") == []


async def test_a_players_cases_come_by_their_own_index(store: Store) -> None:
    """/mycases and the agent's case page ask for one player's cases: those alone, newest change first,
    found by the reporter's index rather than by reading every case."""
    first = await new_case(store)
    theirs = await new_case(store, prefix="FEAT", reporter="222")
    second = await new_case(store, prefix="Q", reporter="111")
    async with store.transaction() as tx:
        await tx.change_case(first, "closed", who="Brock", note=None, at=NOW + timedelta(minutes=1))
    assert [c.ref for c in await store.list_cases(reporter="111")] == [first, second]
    assert [c.ref for c in await store.list_cases(reporter="222", status="open")] == [theirs]
    assert await store.list_cases(reporter="333") == []
    if isinstance(store, SqliteStore):  # PostgreSQL's planner reads a table this small whole, rightly
        async with store.view() as view:
            plan = await view.read_sql(
                "EXPLAIN QUERY PLAN SELECT ref FROM cases WHERE reporter_id = ?"
                " ORDER BY updated_at DESC, ref",
                ("111",),
            )
        assert any("INDEX cases_reporter" in str(row[-1]) for row in plan), plan


async def test_conversation_is_created_once_and_saved(store: Store) -> None:
    async with store.transaction() as tx:
        first = await tx.open_conversation("111", "Ash", NOW)
        again = await tx.open_conversation("111", "Ash K.", NOW)
        assert first == again and first.state == "bot"
        await tx.save_conversation(
            dataclasses.replace(first, conversation_sid="CH1", state="queued", queued_at=NOW)
        )
    saved = await store.conversation("111")
    assert saved is not None and (saved.state, saved.conversation_sid, saved.queued_at) == (
        "queued",
        "CH1",
        NOW,
    )
    async with store.view() as view:
        assert (await view.conversation_by_sid("CH1")) == saved
        assert [c.user_id for c in await view.waiting_since(NOW)] == ["111"]
        assert await view.waiting_since(NOW - timedelta(seconds=1)) == []


async def test_transcript_lines_carry_the_case_and_platform_ids(store: Store) -> None:
    ref = await new_case(store)
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
        await tx.add_message(
            NewMessage(
                conversation_id=conversation.id,
                case_ref=ref,
                direction="in",
                author="Ash",
                text="hi",
                where="dm",
                at=NOW,
            )
        )
        second = await tx.add_message(
            NewMessage(
                conversation_id=conversation.id,
                case_ref=ref,
                direction="out",
                author="bot",
                text="hello",
                where="dm",
                at=NOW,
            )
        )
        await tx.set_message_platform_id(second, "m-42")
    lines = await store.case_transcript(ref)
    assert [(m.direction, m.author, m.text, m.platform_id) for m in lines] == [
        ("in", "Ash", "hi", None),
        ("out", "bot", "hello", "m-42"),
    ]
    async with store.view() as view:
        assert [m.text for m in await view.recent_messages(conversation.id, limit=1)] == ["hello"]


async def test_outbox_items_keep_lane_order_and_unique_keys(store: Store) -> None:
    async with store.transaction() as tx:
        a = await tx.enqueue(lane="dm:1", delivery=DirectMessage("1", OutMessage("n1")), key="k1", at=NOW)
        b = await tx.enqueue(lane="dm:1", delivery=DirectMessage("1", OutMessage("n2")), key="k2", at=NOW)
        c = await tx.enqueue(lane="post:x", delivery=ChannelPost("x", OutMessage("n3")), key="k3", at=NOW)
    with pytest.raises((sqlite3.IntegrityError, psycopg.IntegrityError)):
        async with store.transaction() as tx:
            await tx.enqueue(lane="dm:1", delivery=DirectMessage("1", OutMessage()), key="k1", at=NOW)
    async with store.view() as view:
        assert await view.pending_lanes() == ["dm:1", "post:x"]
    head = await store.claim("dm:1", NOW)
    assert head is not None and head.id == a and head.delivery == DirectMessage("1", OutMessage("n1"))
    async with store.transaction() as tx:
        await tx.mark_retry(a, NOW + timedelta(seconds=4), "503")
        await tx.mark_delivered(c, NOW)
    head = await store.claim("dm:1", NOW)
    assert head is not None and (head.id, head.attempts, head.last_error) == (a, 1, "503")
    async with store.view() as view:
        assert await view.pending_lanes() == ["dm:1"]
    async with store.transaction() as tx:
        await tx.mark_failed(a, "blocked")
    head = await store.claim("dm:1", NOW)
    assert head is not None and head.id == b
    async with store.view() as view:
        failed = await view.outbox_item(a)
        assert failed is not None
        assert (failed.status, failed.attempts, failed.last_error) == ("failed", 2, "blocked")


async def test_settings_and_seen_keys_persist(store: Store) -> None:
    assert await store.get_setting("commands") is None
    await store.put_setting("commands", "abc")
    await store.put_setting("commands", "def")
    assert await store.get_setting("commands") == "def"
    assert await store.mark_seen("feed:news", "entry-1", NOW)
    assert not await store.mark_seen("feed:news", "entry-1", NOW)
    assert await store.mark_seen("feed:other", "entry-1", NOW)


async def test_what_a_restart_reads_back_latest_events_and_where_each_dm_was_read_to(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.mark_processed("event:100", NOW)
        assert await tx.mark_processed("event:101", NOW + timedelta(seconds=5))
        assert await tx.mark_processed(
            "contact:IM1", NOW + timedelta(hours=1)
        )  # Twilio's clock, not Discord's
        ash = await tx.open_conversation("111", "Ash", NOW)
        misty = await tx.open_conversation("222", "Misty", NOW + timedelta(seconds=1))
        for conversation, platform_id, where in (
            (ash, "900", "dm"),
            (ash, "950", "dm"),
            (ash, "990", "bug-report"),  # not a DM
            (misty, None, "dm"),
        ):
            await tx.add_message(
                NewMessage(
                    conversation_id=conversation.id,
                    case_ref=None,
                    direction="in",
                    author=conversation.user_name,
                    text="hi",
                    where=where,
                    at=NOW,
                    platform_id=platform_id,
                )
            )
        await tx.enqueue(lane="dm:111", delivery=DirectMessage("1", OutMessage()), key="k1", at=NOW)
        await tx.enqueue(lane="dm:222", delivery=DirectMessage("2", OutMessage()), key="k2", at=NOW)
    async with store.view() as view:
        assert await view.last_processed_at("event:") == NOW + timedelta(seconds=5)
        assert await view.last_processed_at("nothing:") is None
    assert await store.dm_watermarks(10) == {"111": 950}  # Misty's DM has no Discord id
    assert [item.key for item in await store.lane_outbox("dm:111")] == ["k1"]


async def test_the_report_reads_its_rows_from_either_store(store: Store) -> None:
    from engine.reports.queries import read_rows

    await new_case(store)
    rows = await read_rows(store, NOW - timedelta(days=1), NOW + timedelta(days=1), solved_labels=["Solved"])
    assert [(case.ref, case.template) for case in rows.cases] == [("BUG-1", "bug")]


async def test_limit_uses_count_per_window_once_per_event_and_are_forgotten(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW, once="e1")) is None
        # the same event: no second slot
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW, once="e1")) is None
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW + timedelta(minutes=1), once="e2")) is None
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW + timedelta(minutes=3), once="e3")) == 420
        assert await tx.forget_uses(NOW + timedelta(minutes=1)) == 2
        assert await tx.take_slot(Slot("111/bug", 2, 600, NOW + timedelta(minutes=3), once="e3")) is None


async def test_cases_come_a_page_at_a_time_on_either_store(store: Store) -> None:
    for n in range(3):
        await new_case(store, title=f"bug {n}")
    async with store.view() as view:
        first = await view.list_cases(limit=2)
        rest = await view.list_cases(limit=2, after=first[-1])
    assert [c.ref for c in first + rest] == ["BUG-1", "BUG-2", "BUG-3"]  # one moment: by ref


async def test_what_a_players_event_reads_first_comes_in_one_read_on_either_store(store: Store) -> None:
    ref = await new_case(store, "SUP", "Help for Ash")
    async with store.view() as view:  # a player who never wrote
        nobody = await view.player_state(
            "111", event_id="event:1", setting="language:111", lane="contact:111", kind="start_handoff"
        )
    assert nobody == PlayerState(processed=False, conversation=None, case=None, setting=None, waiting=False)
    start = StartHandoff(1, HandoffRequest("111", "Ash", ref, "support"))
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
        await tx.save_conversation(dataclasses.replace(conversation, case_ref=ref, state="queued"))
        await tx.mark_processed("event:1", NOW)
        await tx.put_setting("language:111", "seen fr")
        await tx.enqueue(lane="contact:111", delivery=start, key="k1", at=NOW)
        state = await tx.player_state(
            "111", event_id="event:1", setting="language:111", lane="contact:111", kind="start_handoff"
        )
    assert state.processed and state.setting == "seen fr" and state.waiting
    assert state.conversation == await store.conversation("111")
    assert state.case == await store.get_case(ref)
    async with store.view() as view:
        other = await view.player_state(
            "111", event_id="event:2", setting="language:111", lane="contact:111", kind="send"
        )
    assert not other.processed and not other.waiting and other.case == state.case


async def test_taking_an_event_marks_it_once_and_reads_the_players_state_on_either_store(
    store: Store,
) -> None:
    ref = await new_case(store, "SUP", "Help for Ash")
    wanted = {"setting": "language:111", "lane": "contact:111", "kind": "start_handoff"}
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
        await tx.save_conversation(dataclasses.replace(conversation, case_ref=ref, state="agent"))
        await tx.put_setting("language:111", "fr")
    async with store.transaction() as tx:
        state = await tx.take_event("event:1", NOW, "111", **wanted)
    assert state is not None and not state.processed
    assert state.conversation == await store.conversation("111") and state.case == await store.get_case(ref)
    assert (state.setting, state.waiting) == ("fr", False)
    assert await store.is_processed("event:1")
    async with store.transaction() as tx:  # delivered again: handled already, nothing read
        assert await tx.take_event("event:1", NOW, "111", **wanted) is None
    async with store.transaction() as tx:  # a player who never wrote
        nobody = await tx.take_event(
            "event:2", NOW, "222", setting="language:222", lane="contact:222", kind="x"
        )
    assert nobody == PlayerState(processed=False, conversation=None, case=None, setting=None, waiting=False)


async def test_a_limits_use_taken_with_its_event_counts_once_and_never_for_a_repeat_on_either_store(
    store: Store,
) -> None:
    """A relayed DM's message limit, asked for with the event: its use is the one `take_slot`
    takes, and an event delivered again takes none (two per minute here)."""
    wanted = {"setting": "language:111", "lane": "contact:111", "kind": "start_handoff"}

    async def relayed(n: int, at: datetime, user: str = "111") -> float | str | None:
        slot = Slot(f"relay/{user}", 2, 60, at, once=f"m{n}")
        async with store.transaction() as tx:
            if await tx.take_event(f"event:m{n}", at, user, **wanted, slot=slot) is None:
                return "handled already"
            return await tx.take_slot(slot)

    async def uses(user: str) -> int:
        async with store.view() as view:
            rows = await view.read_sql("SELECT COUNT(*) FROM limit_uses WHERE key = ?", (f"relay/{user}",))
        return int(rows[0][0])

    assert await relayed(1, NOW) is None
    assert await relayed(2, NOW + timedelta(seconds=10)) is None
    assert await relayed(3, NOW + timedelta(seconds=20)) == 40  # the first use frees up at NOW + 60 s
    assert await relayed(1, NOW + timedelta(seconds=30)) == "handled already"
    assert await uses("111") == 2
    async with store.transaction() as tx:  # handled before, by a turn that relayed nothing
        assert await tx.mark_processed("event:m9", NOW)
    assert await relayed(9, NOW, user="222") == "handled already"
    assert await uses("222") == 0
    assert await relayed(10, NOW + timedelta(seconds=70)) is None  # m1's use is out of the window


async def test_lines_and_items_whose_ids_nobody_reads_keep_their_order_and_links_on_either_store(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)

    def line(direction: str, text: str) -> NewMessage:
        return NewMessage(conversation.id, None, direction, "Ash", text, "dm", NOW)

    async with store.transaction() as tx:
        await tx.add_line(line("in", "hi"))
        hello = DirectMessage("111", OutMessage("hello"))
        await tx.say(line("out", "hello"), lane="dm:111", delivery=hello, key="k1", case_ref=None)
        await tx.queue(lane="dm:111", delivery=DirectMessage("111", OutMessage("later")), key="k2", at=NOW)
    async with store.view() as view:
        lines = await view.recent_messages(conversation.id)
        items = await view.lane_outbox("dm:111")
    assert [(m.direction, m.text) for m in lines] == [("in", "hi"), ("out", "hello")]
    assert [(i.key, i.delivery, i.message_id) for i in items] == [
        ("k1", hello, lines[1].id),  # the item knows its line: the post's id is written there once sent
        ("k2", DirectMessage("111", OutMessage("later")), None),
    ]


async def test_a_claim_reads_a_setting_at_the_same_moment_on_either_store(store: Store) -> None:
    assert await store.claim_reading("dm:111", NOW, "thread:111") == (None, None)
    await store.put_setting("thread:111", "999")
    async with store.transaction() as tx:
        await tx.queue(lane="dm:111", delivery=DirectMessage("111", OutMessage("hi")), key="k1", at=NOW)
    item, thread = await store.claim_reading("dm:111", NOW, "thread:111")
    assert item is not None and (item.key, thread) == ("k1", "999")
    assert item == await store.claim("dm:111", NOW)
    assert await store.claim_reading("dm:222", NOW, "thread:222") == (None, None)


async def test_a_claim_made_as_a_transaction_ends_takes_the_head_it_queued_on_either_store(
    store: Store,
) -> None:
    await store.put_setting("thread:111", "999")
    async with store.transaction() as tx:
        await tx.queue(lane="dm:111", delivery=DirectMessage("111", OutMessage("hi")), key="k1", at=NOW)
        claimed = await tx.claim_later("dm:111", NOW, "thread:111")
        plain = await tx.claim_later("contact:111", NOW)
    item, thread = claimed.value
    assert item is not None and (item.key, item.delivery.message.text, thread) == ("k1", "hi", "999")
    assert plain.value == (None, None)  # nothing queued there
    assert item == await store.claim("dm:111", NOW)  # still the head, still ours
    async with store.transaction() as tx:
        again = await tx.claim_later("dm:111", NOW)
        await tx.queue(lane="dm:222", delivery=DirectMessage("222", OutMessage("x")), key="k2", at=NOW)
    assert again.value[0] == item  # claimed again by the same process


async def test_a_turn_on_a_guess_of_the_players_state_commits_only_while_it_holds_on_either_store(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        conversation = await tx.open_conversation("111", "Ash", NOW)
    keys = {"setting": "language:111", "lane": "contact:111", "kind": "start_handoff"}

    def line(text: str) -> NewMessage:
        return NewMessage(conversation.id, None, "in", "Ash", text, "dm", NOW)

    async with store.transaction() as tx:
        seen = await tx.take_event("event:1", NOW, "111", **keys)
    assert seen is not None
    async with store.transaction() as tx:  # nothing changed: the turn goes ahead
        assert await tx.take_event("event:2", NOW, "111", **keys, guess=seen) == seen
        await tx.add_line(line("kept"))
    await store.put_setting("language:111", "seen fr")  # changed by another process meanwhile
    with pytest.raises(StateChanged):
        async with store.transaction() as tx:
            await tx.take_event("event:3", NOW, "111", **keys, guess=seen)
            await tx.add_line(line("lost"))
    async with store.transaction() as tx:  # the agent's name, on a conversation otherwise the same
        fresh = await tx.take_event("event:4", NOW, "111", **keys)
        assert fresh is not None and fresh.conversation is not None
        await tx.save_conversation(dataclasses.replace(fresh.conversation, agent_name="Misty"))
    with pytest.raises(StateChanged):
        async with store.transaction() as tx:
            await tx.take_event("event:5", NOW, "111", **keys, guess=fresh)
    assert not await store.is_processed("event:3") and not await store.is_processed("event:5")
    async with store.view() as view:
        assert [m.text for m in await view.recent_messages(conversation.id)] == ["kept"]


async def test_an_item_marked_delivered_says_whether_its_lane_has_more_on_either_store(store: Store) -> None:
    async with store.transaction() as tx:
        a = await tx.enqueue(lane="dm:1", delivery=DirectMessage("1", OutMessage("n1")), key="k1", at=NOW)
        b = await tx.enqueue(lane="dm:1", delivery=DirectMessage("1", OutMessage("n2")), key="k2", at=NOW)
        c = await tx.enqueue(lane="dm:2", delivery=DirectMessage("2", OutMessage("n3")), key="k3", at=NOW)
    async with store.transaction() as tx:
        assert await tx.mark_delivered(a, NOW)  # n2 waits behind it
        assert not await tx.mark_delivered(b, NOW)
        assert not await tx.mark_delivered(c, NOW)  # dm:1's items are not dm:2's


async def test_an_answer_wanted_after_the_commit_is_the_same_on_either_store(store: Store) -> None:
    async with store.transaction() as tx:
        a = await tx.enqueue(lane="dm:1", delivery=DirectMessage("1", OutMessage("n1")), key="k1", at=NOW)
        b = await tx.enqueue(lane="dm:1", delivery=DirectMessage("1", OutMessage("n2")), key="k2", at=NOW)
    async with store.transaction() as tx:
        first = await tx.mark_delivered_later(a, NOW)
        second = await tx.mark_delivered_later(b, NOW)
    assert (first.value, second.value) == (True, False)  # n2 waited behind n1; nothing behind n2
    async with store.view() as view:
        assert [item.status for item in await view.lane_outbox("dm:1")] == ["delivered", "delivered"]
