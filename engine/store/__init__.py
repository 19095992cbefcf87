"""The durable record: cases and their history, conversations, transcripts, the outbox, dedupe marks.

`open_store(url)` returns a `Store`; every SQL statement lives in `engine.store.sql`.
"""

from engine.store.reads import StoreView
from engine.store.records import (
    CaseEvent,
    CaseRecord,
    ConversationRecord,
    FaqQuestion,
    MessageRecord,
    OutboxItem,
    from_text,
    to_text,
)
from engine.store.sqlite import Store, StoreTx, database_path, open_store

__all__ = [
    "CaseEvent",
    "CaseRecord",
    "ConversationRecord",
    "FaqQuestion",
    "MessageRecord",
    "OutboxItem",
    "Store",
    "StoreTx",
    "StoreView",
    "database_path",
    "from_text",
    "open_store",
    "to_text",
]
