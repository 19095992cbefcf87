"""The durable record: cases and their history, conversations, transcripts, the outbox, dedupe marks.

`Store` (engine.store.port) is what the rest of the engine uses; `open_store(url)` picks the
implementation for a storage URL (today SQLite, in engine.store.sqlite, imported only then).
"""

from __future__ import annotations

from pathlib import Path

from engine.store.port import Reads, StorageError, Store, StoreHealth, Writes
from engine.store.records import (
    AttachmentRecord,
    CaseEvent,
    CaseRecord,
    ConversationRecord,
    Forgotten,
    MessageRecord,
    OutboxItem,
)
from engine.timestamps import from_text, to_text

SQLITE = "sqlite:///"


def database_path(url: str, root: str | Path | None = None) -> str:
    """The file behind a storage URL: 'sqlite:///data/x.db' -> '<root>/data/x.db', ':memory:' kept."""
    if not url.startswith(SQLITE):
        raise ValueError(
            f"storage '{url}' is not supported: use sqlite:///path/to/file.db or sqlite:///:memory:"
        )
    path = url[len(SQLITE) :]
    if not path:
        raise ValueError(f"storage '{url}' names no file: use sqlite:///path/to/file.db")
    if path == ":memory:" or Path(path).is_absolute() or root is None:
        return path
    return str(Path(root) / path)


async def open_store(url: str, *, root: str | Path | None = None, initialise: bool = False) -> Store:
    """Open (creating and migrating as needed) the store at `url`; relative paths are under `root`.

    StorageError when records were kept at `url` but the database is gone or empty, unless
    `initialise` says to begin with an empty one.
    """
    path = database_path(url, root)
    from engine.store.sqlite import open_sqlite  # the driver is loaded only by who opens a store

    return await open_sqlite(url, path, initialise=initialise)


__all__ = [
    "AttachmentRecord",
    "CaseEvent",
    "CaseRecord",
    "ConversationRecord",
    "Forgotten",
    "MessageRecord",
    "OutboxItem",
    "Reads",
    "StorageError",
    "Store",
    "StoreHealth",
    "Writes",
    "database_path",
    "from_text",
    "open_store",
    "to_text",
]
