"""The durable record: cases and their history, conversations, transcripts, the outbox, dedupe marks.

`Store` (engine.store.port) is what the rest of the engine uses; `open_store(url)` picks the
implementation for a storage URL: SQLite (engine.store.sqlite), the embedded default, or PostgreSQL
(engine.store.postgres) for several replicas; each driver is imported only when its store is opened.
"""

from __future__ import annotations

from pathlib import Path

from engine.store.migrations import MIGRATIONS
from engine.store.port import Reads, Replica, StateChanged, Status, StorageError, Store, StoreHealth, Writes
from engine.store.records import (
    Afterwards,
    AttachmentRecord,
    CaseEvent,
    CaseRecord,
    ConversationRecord,
    Forgotten,
    MessageRecord,
    NewCase,
    NewMessage,
    OutboxItem,
    PlayerState,
    Slot,
    with_setting,
)
from engine.timestamps import from_text, to_text

SQLITE = "sqlite:///"
POSTGRES = ("postgresql://", "postgres://")


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES)


def database_path(url: str, root: str | Path | None = None) -> str:
    """The file behind a storage URL: 'sqlite:///data/x.db' -> '<root>/data/x.db', ':memory:' kept."""
    if not url.startswith(SQLITE):
        raise ValueError(
            f"storage '{url}' is not supported: use sqlite:///path/to/file.db, sqlite:///:memory: "
            "or postgresql://user:password@host/database"
        )
    path = url[len(SQLITE) :]
    if not path:
        raise ValueError(f"storage '{url}' names no file: use sqlite:///path/to/file.db")
    if path == ":memory:" or Path(path).is_absolute() or root is None:
        return path
    return str(Path(root) / path)


async def open_store(
    url: str, *, root: str | Path | None = None, initialise: bool = False, upgrade: bool = True
) -> Store:
    """Open (creating and migrating as needed) the store at `url`; relative paths are under `root`.

    StorageError when records were kept at `url` but the database is gone or empty, unless
    `initialise` says to begin with an empty one.
    """
    if is_postgres(url):
        from engine.store.postgres import open_postgres

        return await open_postgres(url, upgrade=upgrade)
    path = database_path(url, root)
    from engine.store.sqlite import open_sqlite  # the driver is loaded only by who opens a store

    return await open_sqlite(url, path, initialise=initialise, upgrade=upgrade)


async def store_status(url: str, *, root: str | Path | None = None) -> Status:
    """Where the database at `url` stands (schema version, cases, replicas), changing nothing.

    StorageError when there is no database there (yet) or it cannot be reached.
    """
    if is_postgres(url):
        from engine.store.postgres import postgres_status

        return await postgres_status(url)
    path = database_path(url, root)
    if path == ":memory:" or not Path(path).exists():
        raise StorageError(f"there is no database at {path} yet (the bot creates it when it first runs)")
    from engine.store.sqlite import sqlite_status

    return await sqlite_status(path)


LATEST_VERSION = MIGRATIONS[-1][0]


__all__ = [
    "LATEST_VERSION",
    "Afterwards",
    "AttachmentRecord",
    "CaseEvent",
    "CaseRecord",
    "ConversationRecord",
    "Forgotten",
    "MessageRecord",
    "NewCase",
    "NewMessage",
    "OutboxItem",
    "PlayerState",
    "Reads",
    "Replica",
    "Slot",
    "StateChanged",
    "Status",
    "StorageError",
    "Store",
    "StoreHealth",
    "Writes",
    "database_path",
    "from_text",
    "is_postgres",
    "open_store",
    "store_status",
    "to_text",
    "with_setting",
]
