"""Group commit: transactions that arrive together share one COMMIT, and share its failure.

A webhook is answered 200 only once its event is stored, so when the shared COMMIT fails every
event of the group is refused (503, Twilio delivers it again) and none is lost or applied twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from engine.store import StorageError, group, open_store
from engine.store.group import CHECKPOINT_EVERY
from engine.store.sqlite import SqliteStore
from tests import test_assembly
from tests.flex_fixtures import AUTH_TOKEN, PUBLIC_URL
from tests.test_assembly import Running
from tests.test_webhook_replays import _handed_off, _post, _settled

AT = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
SIGNER = RequestValidator(AUTH_TOKEN)
running = test_assembly.running  # the fixture: the bot as `flexcord run` assembles it


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = await open_store(f"sqlite:///{tmp_path / 'flexcord.db'}")
    assert isinstance(opened, SqliteStore)
    yield opened
    await opened.close()


async def remember(store: SqliteStore, key: str, *, fail: bool = False) -> bool:
    async with store.transaction() as tx:
        first = await tx.mark_seen("feed", key, AT)
        if fail:
            raise ValueError("a rule broke halfway")
        return first


async def test_transactions_that_arrive_together_share_one_commit(store: SqliteStore) -> None:
    before = store.commits
    assert await asyncio.gather(*(remember(store, f"entry {n}") for n in range(20))) == [True] * 20
    assert store.commits == before + 1
    assert [await store.mark_seen("feed", f"entry {n}", AT) for n in range(20)] == [False] * 20  # all kept


async def test_a_member_that_raises_takes_back_only_its_own_changes(store: SqliteStore) -> None:
    results = await asyncio.gather(
        remember(store, "kept 1"),
        remember(store, "dropped", fail=True),
        remember(store, "kept 2"),
        return_exceptions=True,
    )
    assert results[0] is True and isinstance(results[1], ValueError) and results[2] is True
    assert await store.mark_seen("feed", "dropped", AT)  # new: its change was undone
    assert not await store.mark_seen("feed", "kept 1", AT) and not await store.mark_seen("feed", "kept 2", AT)


async def test_a_failed_shared_commit_fails_every_member_and_keeps_none(store: SqliteStore) -> None:
    await store.simulate("commit")
    members = (remember(store, f"entry {n}") for n in range(10))
    results = await asyncio.gather(*members, return_exceptions=True)
    assert all(isinstance(result, StorageError) for result in results), results
    assert not (await store.health()).ok
    await store.simulate(None)
    assert [await store.mark_seen("feed", f"entry {n}", AT) for n in range(10)] == [True] * 10  # none kept
    assert (await store.health()).ok


async def read_then_remember(store: SqliteStore, key: str) -> bool:
    async with store.view() as view:  # what a handler reads before its transaction
        await view.get_setting(key)
    return await remember(store, key)


async def test_reads_between_transactions_leave_them_to_share_a_commit(store: SqliteStore) -> None:
    """A read sees the open group and waits for its commit instead of committing it early, so
    20 handlers that each read, then write, take two commits (the first writer's, then the rest's),
    not one commit each."""
    before = store.commits
    assert await asyncio.gather(*(read_then_remember(store, f"entry {n}") for n in range(20))) == [True] * 20
    assert store.commits - before <= 2


async def put_then_read(store: SqliteStore) -> list[object]:
    async def write() -> None:
        async with store.transaction() as tx:
            await tx.put_setting("language:111", "seen fr")

    async def read() -> str | None:
        async with store.view() as view:
            return await view.get_setting("language:111")

    return await asyncio.gather(write(), read(), return_exceptions=True)


async def test_a_read_that_saw_changes_whose_commit_failed_fails_too(store: SqliteStore) -> None:
    """Nothing read is acted on before it is stored: the read saw the open group's change, and
    raises when that group's COMMIT fails (the handler that read it tries again)."""
    await store.simulate("commit")
    written, read = await put_then_read(store)
    assert isinstance(written, StorageError) and isinstance(read, StorageError), (written, read)
    await store.simulate(None)
    assert await store.get_setting("language:111") is None
    assert await put_then_read(store) == [None, "seen fr"]


def agent_says(conversation: str, n: int) -> dict[str, str]:
    return {
        "EventType": "onMessageAdded",
        "ConversationSid": conversation,
        "MessageSid": "IM" + f"{n:032x}",
        "Author": "misty_agent",
        "Body": f"Step {n}: restart the launcher.",
        "Source": "SDK",
    }


async def post_together(run: Running, conversation: str, count: int) -> list[int]:
    path = "/twilio/conversations"
    forms = [agent_says(conversation, n) for n in range(count)]
    return await asyncio.gather(
        *(_post(run, path, form, SIGNER.compute_signature(PUBLIC_URL + path, form)) for form in forms)
    )


async def test_webhooks_whose_shared_commit_fails_are_each_refused_then_each_delivered_once(
    running: Running,
) -> None:
    conversation = await _handed_off(running)
    store = running.bot.runtime.store
    assert isinstance(store, SqliteStore)
    await store.simulate("commit")
    assert await post_together(running, conversation, 8) == [503] * 8  # Twilio will deliver them again
    await store.simulate(None)
    assert await post_together(running, conversation, 8) == [200] * 8  # Twilio's retries
    texts = await _settled(running, conversation, "marker: the retries are in")
    for n in range(8):
        assert sum(f"Step {n}: restart the launcher." in text for text in texts) == 1


FRAME_BYTES = 4096 + 24  # a WAL frame: one page of the database and its header


async def test_the_write_ahead_log_is_copied_into_the_database_as_it_grows(
    store: SqliteStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own checkpoint is off (it would run on the event loop); the store's keeps the WAL
    under WAL_FRAMES pages, plus what is written while a checkpoint runs, however long writers go on."""
    monkeypatch.setattr(group, "WAL_FRAMES", 300)  # the real bound is 32 MB: too long to write here
    wal = tmp_path / "flexcord.db-wal"
    sizes = []
    for n in range(12 * CHECKPOINT_EVERY):
        await store.put_setting(f"key {n % 500}", f"{n}" * 400)
        if n % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1:
            sizes.append(wal.stat().st_size)
    # The bound by design, whatever the machine's speed: WAL_FRAMES pages, the writes of the
    # interval in which the checkpoint that finds it past them runs, and of the one after, at
    # whose end writers wait for its copy (the first interval, all inserts, writes the most pages;
    # half of one more for the writes already queued when the copy ends). Written with no
    # checkpoint at all, the same writes make a WAL of about 16 MB, three times this.
    bound = group.WAL_FRAMES * FRAME_BYTES + 2.5 * sizes[0]
    assert max(sizes) <= bound, (sizes, bound)
    last = 12 * CHECKPOINT_EVERY - 1
    assert await store.get_setting(f"key {last % 500}") == f"{last}" * 400
