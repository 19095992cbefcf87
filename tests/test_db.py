"""`flexcord db status` / `db upgrade`: versioned migrations for SQLite and PostgreSQL, one replica
migrating at a time, and a database written by the previous release upgraded with every case kept."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import psycopg
from click.testing import CliRunner

from engine.cli import main
from engine.deliveries import DirectMessage, SendToAgent
from engine.store import LATEST_VERSION, open_store
from tests.postgres import fresh_database

PREVIOUS_RELEASE = Path(__file__).parent / "fixtures" / "previous-release.db"


def flexcord(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"FLEXCORD_STORAGE": None})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_database_of_the_previous_release_is_reported_then_upgraded_with_every_case(tmp_path: Path) -> None:
    copy = tmp_path / "flexcord.db"
    shutil.copy(PREVIOUS_RELEASE, copy)
    url = f"sqlite:///{copy}"

    before = flexcord("db", "status", "--storage", url)
    assert f"schema: version 1, this release uses {LATEST_VERSION}" in before
    assert "cases: 3" in before

    assert f"schema: version 1 -> {LATEST_VERSION}; cases kept: 3" in flexcord(
        "db", "upgrade", "--storage", url
    )
    assert f"schema: version {LATEST_VERSION}, up to date" in flexcord("db", "status", "--storage", url)

    async def read_back() -> None:
        store = await open_store(url)
        cases = {case.ref: case for case in await store.list_cases()}
        assert sorted(cases) == ["BUG-1", "BUG-2", "BUG-3"]
        assert cases["BUG-1"].status == "resolved"
        assert [e.to_status for e in await store.case_history("BUG-1")] == ["open", "resolved"]
        assert [m.text for m in await store.case_transcript("BUG-2")] == ["Lost my items, please help"]
        conversation = await store.conversation("111")
        assert (
            conversation is not None and conversation.conversation_sid == "CH0123456789abcdef0123456789abcdef"
        )
        dms = [item.delivery for item in await store.lane_outbox("dm:111")]
        assert [d.message.text for d in dms if isinstance(d, DirectMessage)] == ["Got it", "Still there?"]
        (pending,) = [item.delivery for item in await store.lane_outbox("contact:111")]
        assert isinstance(pending, SendToAgent)  # the pending message still knows where the agent is
        assert pending.conversation_sid == conversation.conversation_sid
        await store.close()

    asyncio.run(read_back())


def test_postgresql_is_migrated_once_when_replicas_start_together() -> None:
    async def scenario() -> list[int]:
        url = await fresh_database()
        stores = await asyncio.gather(*(open_store(url) for _ in range(3)))
        for store in stores:
            await store.close()
        async with await psycopg.AsyncConnection.connect(url) as conn:
            cursor = await conn.execute("SELECT version FROM schema_version ORDER BY version")
            return [int(row[0]) for row in await cursor.fetchall()]

    assert asyncio.run(scenario()) == list(range(1, LATEST_VERSION + 1))


def test_db_status_and_upgrade_on_postgresql_hide_the_password() -> None:
    url = asyncio.run(fresh_database()).replace("flexcord@", "flexcord:s3cret-pw@")
    assert "schema: empty" in flexcord("db", "status", "--storage", url)
    upgraded = flexcord("db", "upgrade", "--storage", url)
    assert f"schema: version 0 -> {LATEST_VERSION}; cases kept: 0" in upgraded
    status = flexcord("db", "status", "--storage", url)
    assert f"schema: version {LATEST_VERSION}, up to date" in status
    assert "s3cret-pw" not in upgraded + status and "flexcord:***@" in status
