"""The SQLite store's checkpoint (it waits for the disk) runs beside the transactions, not in their way."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from engine.store import open_store
from engine.store.group import CHECKPOINT_EVERY, GroupCommit
from engine.store.sqlite import SqliteStore


async def test_a_transaction_commits_while_the_checkpoint_copies_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copying, slow_disk, copied = threading.Event(), threading.Event(), threading.Event()
    copy = GroupCommit._copy_wal

    def copy_on_a_slow_disk(self: GroupCommit) -> int:
        if copying.is_set():
            return copy(self)
        copying.set()
        slow_disk.wait(10)  # a bound for a broken store, not a measure: the test waits for no time
        frames = copy(self)
        copied.set()
        return frames

    monkeypatch.setattr(GroupCommit, "_copy_wal", copy_on_a_slow_disk)
    store = await open_store(f"sqlite:///{tmp_path / 'flexcord.db'}")
    assert isinstance(store, SqliteStore)
    try:
        for n in range(CHECKPOINT_EVERY):
            await store.put_setting(f"key {n}", "x")
        await asyncio.to_thread(copying.wait, 10)  # the checkpoint is under way, held by the disk
        await store.put_setting("during the checkpoint", "kept")
        assert not copied.is_set()  # committed while the copy still waits for the disk
        assert await store.get_setting("during the checkpoint") == "kept"
    finally:
        slow_disk.set()
        await store.close()
    reopened = await open_store(f"sqlite:///{tmp_path / 'flexcord.db'}")
    try:
        assert await reopened.get_setting("during the checkpoint") == "kept"
        assert await reopened.get_setting(f"key {CHECKPOINT_EVERY - 1}") == "x"
    finally:
        await reopened.close()
