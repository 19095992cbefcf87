"""The seams: what the running bot loads, typed outbox deliveries, records kept across an upgrade."""

from __future__ import annotations

import ast
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.deliveries import (
    ChannelPost,
    CloseHandoff,
    Delivery,
    DirectMessage,
    EditPost,
    SendToAgent,
    StartHandoff,
    decode,
    encode,
    kind_of,
)
from engine.events import Button, Embed, OutMessage
from engine.ports import HandoffRequest
from engine.store import open_store, sql
from engine.store.migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parent.parent
DRIVERS = ["aiosqlite", "aiohttp", "discord", "twilio", "quart", "simcord", "openapi_core"]


@pytest.mark.parametrize("module", ["engine.runtime", "engine.store", "engine.config", "engine.routing"])
def test_the_core_loads_no_driver_or_platform_library(module: str) -> None:
    probe = (
        f"import {module}, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in {set(DRIVERS)!r}))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert loaded.strip() == "[]"


def test_the_engine_never_imports_test_code() -> None:
    for path in (ROOT / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(name.split(".")[0] == "tests" for name in names), path
    assert not (ROOT / "engine" / "testing.py").exists()


TRANSCRIPT = (("Ash", "help"),)
NOW = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)
MESSAGE = OutMessage(
    "hi",
    embeds=(Embed("BUG-1: crash", "d", None, (("Device", "Switch"),), "by Ash"),),
    buttons=(Button("agent", "Talk to a person", "primary"),),
    key="event:1:1",
)


@pytest.mark.parametrize(
    "delivery",
    [
        DirectMessage("111", MESSAGE),
        ChannelPost("bug-report", MESSAGE),
        EditPost("bug-report", MESSAGE, "1234"),
        EditPost("bug-report", MESSAGE, None),
        StartHandoff(
            7,
            HandoffRequest("111", "Ash", "SUP-1", "support", 2, ("en",), {"title": "t"}, (("Ash", "help"),)),
        ),
        SendToAgent("111", "my save is gone", "CH1"),
        SendToAgent("111", "blocked DMs", None, notice=True),
        CloseHandoff("CH1"),
    ],
)
def test_every_delivery_reads_back_as_it_was_written(delivery: Delivery) -> None:
    assert decode(kind_of(delivery), encode(delivery)) == delivery


def test_an_unknown_kind_of_delivery_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        decode("fax", "{}")


async def test_an_upgrade_keeps_messages_waiting_for_the_agent_addressed(tmp_path: Path) -> None:
    """Records written before conversation sids moved into the deliveries still reach the agent."""
    path = tmp_path / "flexcord.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(sql.CREATE_SCHEMA_VERSION)
    for statement in MIGRATIONS[0][1]:
        db.execute(statement)
    db.execute("INSERT INTO schema_version (version) VALUES (1)")
    db.execute(
        "INSERT INTO conversations (user_id, user_name, state, handoff, updated_at) "
        "VALUES ('111', 'Ash', 'agent', 'CH1', '2026-03-04T17:00:00.000000+00:00')"
    )
    old = [
        ("send", {"user_id": "111", "text": "still there?"}, "k1"),
        ("start_handoff", {"conversation_id": 1, "case_ref": "SUP-1", "queue": "support"}, "k2"),
    ]
    for kind, payload, key in old:
        db.execute(
            "INSERT INTO outbox (lane, kind, payload, status, next_attempt_at, idempotency_key, created_at) "
            "VALUES ('contact:111', ?, ?, 'pending', '2026-03-04T17:00:00.000000+00:00', ?, "
            "'2026-03-04T17:00:00.000000+00:00')",
            (kind, json.dumps(payload), key),
        )
    db.close()

    store = await open_store(f"sqlite:///{path}")
    try:
        conversation = await store.conversation("111")
        assert conversation is not None and conversation.conversation_sid == "CH1"
        send, start = [item.delivery for item in await store.lane_outbox("contact:111")]
        assert send == SendToAgent("111", "still there?", "CH1")
        assert isinstance(start, StartHandoff)
        assert (start.request.user_id, start.request.user_name) == ("111", "Ash")
    finally:
        await store.close()
