"""The store port: what the runtime, the outbox and the CLI need from the durable record.

The unit is the transaction. `view()` gives one consistent snapshot, `transaction()` one atomic
change; everything inside commits or vanishes together. `engine.store.sqlite` implements it for
one process; an implementation for a shared server database (PostgreSQL with several replicas)
fits the same shape:
- `transaction()` is a database transaction on a pooled connection (`BEGIN`), so the runtime's
  per-player lock in memory is only an optimisation and the database decides;
- `Store.claim(lane, now)` is how an outbox takes the next item of a lane: a replica takes it
  with `SELECT ... FOR UPDATE SKIP LOCKED` and a lease column, so two replicas never send the same
  item, and an item whose replica died is taken again when its lease ends;
- `Writes.mark_processed` is an insert that conflicts, which is exactly-once across replicas too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from engine.attachments import Upload
from engine.deliveries import Delivery
from engine.store.records import (
    Afterwards,
    AttachmentRecord,
    CaseEvent,
    CaseRecord,
    ConversationRecord,
    FaqQuestion,
    Forgotten,
    MessageRecord,
    NewCase,
    NewMessage,
    OutboxItem,
    PlayerState,
    Slot,
)


class StorageError(Exception):
    """The store refused a read or a write (disk full, read-only file, database gone, ...)."""


class StateChanged(Exception):
    """A turn worked out on a guess of the player's state (`Writes.take_event`'s `guess`) found it
    changed: its transaction was rolled back, and the event is to be handled again from a fresh read."""


class StoreHealth(NamedTuple):
    """Whether the store can take writes now, and why not in plain words."""

    ok: bool
    detail: str


class Replica(NamedTuple):
    """A flexcord process recorded in a shared database, and the rules (config version) it runs."""

    name: str
    config_version: str
    started_at: str
    seen_at: str


class Status(NamedTuple):
    """Where a database stands: its schema version, how many cases it keeps, the replicas seen."""

    version: int
    cases: int | None
    replicas: tuple[Replica, ...]


class CaseReads(Protocol):
    """Cases and their deliveries: read inside a view or a transaction, or in one call on the store."""

    async def get_case(self, ref: str) -> CaseRecord | None: ...

    async def list_cases(
        self,
        *,
        status: str | None = None,
        template: str | None = None,
        reporter: str | None = None,
        limit: int | None = None,
        after: CaseRecord | None = None,
    ) -> list[CaseRecord]: ...

    async def case_history(self, ref: str) -> list[CaseEvent]: ...

    async def case_transcript(self, ref: str) -> list[MessageRecord]: ...

    async def case_attachments(self, ref: str) -> list[AttachmentRecord]: ...

    async def case_outbox(self, ref: str) -> list[OutboxItem]: ...

    async def lane_outbox(self, lane: str) -> list[OutboxItem]: ...


class Reads(CaseReads, Protocol):
    """Queries, inside `Store.view()` or a transaction."""

    async def is_processed(self, event_id: str) -> bool: ...

    async def last_processed_at(self, prefix: str) -> datetime | None: ...

    async def dm_watermarks(self, limit: int) -> dict[str, int]: ...

    async def get_setting(self, key: str) -> str | None: ...

    async def recent_messages(self, conversation_id: int, limit: int = 50) -> list[MessageRecord]: ...

    async def get_attachment(self, attachment_id: int) -> tuple[AttachmentRecord, bytes] | None: ...

    async def conversation(self, user_id: str) -> ConversationRecord | None: ...

    async def player_state(
        self, user_id: str, *, event_id: str, setting: str, lane: str, kind: str
    ) -> PlayerState:
        """What handling a player's event reads first, in one query (see PlayerState)."""
        ...

    async def conversation_by_id(self, conversation_id: int) -> ConversationRecord | None: ...

    async def conversation_by_sid(self, conversation_sid: str) -> ConversationRecord | None: ...

    async def waiting_since(self, moment: datetime) -> list[ConversationRecord]: ...

    async def outbox_item(self, item_id: int) -> OutboxItem | None: ...

    async def pending_lanes(self) -> list[str]: ...

    async def pending_of_kind(self, lane: str, kind: str) -> list[OutboxItem]: ...

    async def faq_questions(self, since: datetime) -> list[FaqQuestion]:
        """What the FAQ bot was asked since `since`, oldest first (see Writes.record_faq_question)."""
        ...

    async def read_sql(self, query: str, params: Iterable[object] = ()) -> Sequence[Sequence[Any]]:
        """Rows of a read-only query over the store's tables, for reports (SQL both stores speak)."""
        ...


class Writes(Reads, Protocol):
    """Changes, inside `Store.transaction()`: they commit or roll back together."""

    async def mark_processed(self, event_id: str, at: datetime) -> bool: ...

    async def take_event(
        self,
        event_id: str,
        at: datetime,
        user_id: str,
        *,
        setting: str,
        lane: str,
        kind: str,
        slot: Slot | None = None,
        guess: PlayerState | None = None,
    ) -> PlayerState | None:
        """`mark_processed`, then `player_state` if the event is new (one trip on PostgreSQL);
        None when it was handled already.

        `slot`: a limit's use the event is about to take (a relayed DM's message limit). A store
        may take it in the same trip, if it is free; `take_slot` then answers it without another.
        Nothing of it is kept when the event was handled already.

        `guess`: the player's state as a turn of theirs read it before (with the same `setting`,
        `lane` and `kind`), which the caller's turn was worked out on. The transaction then commits
        only if the event is new, the state is still `guess` (in all but its times of change) and
        `slot` is free; else it raises StateChanged and nothing of it is kept. PostgreSQL checks
        all of that in the COMMIT's trip (no trip here: `guess` is returned, and `take_slot`
        answers `slot` without one); SQLite at once (the state read is returned, None when the
        event was handled already)."""
        ...

    async def forget_processed(self, before: datetime) -> int: ...

    async def forget_delivered(self, before: datetime) -> int:
        """Delete outbox items delivered before `before`; returns how many."""
        ...

    async def forget_transcripts(self, before: datetime) -> int:
        """Delete transcript lines written before `before` (cases and their history stay)."""
        ...

    async def mark_seen(self, namespace: str, key: str, at: datetime) -> bool: ...

    async def put_setting(self, key: str, value: str) -> None: ...

    async def forget_uses(self, before: datetime) -> int: ...

    async def take_slot(self, slot: Slot, *, use: bool = True) -> float | None:
        """A cooldown or message limit, shared by every process on the store: None if allowed, else
        the seconds until a slot frees up."""
        ...

    async def create_case(self, case: NewCase) -> CaseRecord: ...

    async def change_case(
        self, ref: str, status: str, *, who: str, note: str | None, at: datetime
    ) -> None: ...

    async def rate_case(self, ref: str, rating: int, at: datetime) -> None: ...

    async def open_conversation(self, user_id: str, user_name: str, at: datetime) -> ConversationRecord: ...

    async def save_conversation(self, conversation: ConversationRecord) -> None: ...

    async def add_message(self, message: NewMessage) -> int: ...

    async def add_line(self, message: NewMessage) -> None:
        """`add_message` for a line whose id nobody needs (on PostgreSQL it travels with the next trip)."""
        ...

    async def set_message_platform_id(self, message_id: int, platform_id: str) -> None: ...

    async def add_attachment(
        self, *, case_ref: str | None, user_id: str, who: str, file: Upload, at: datetime
    ) -> int: ...

    async def attach_to_case(self, user_id: str, case_ref: str) -> int: ...

    async def enqueue(
        self,
        *,
        lane: str,
        delivery: Delivery,
        key: str,
        at: datetime,
        case_ref: str | None = None,
        message_id: int | None = None,
    ) -> int: ...

    async def queue(
        self, *, lane: str, delivery: Delivery, key: str, at: datetime, case_ref: str | None = None
    ) -> None:
        """`enqueue` for an item whose id nobody needs (on PostgreSQL it travels with the next trip)."""
        ...

    async def say(
        self, message: NewMessage, *, lane: str, delivery: Delivery, key: str, case_ref: str | None
    ) -> None:
        """A transcript line and the outbox item that delivers it, linked (`enqueue`'s `message_id`),
        due at the line's time; nothing is read back (one statement, sent later, on PostgreSQL)."""
        ...

    async def mark_delivered(self, item_id: int, at: datetime) -> bool:
        """Mark an item delivered; whether other items of its lane are pending (True: not known)."""
        ...

    async def mark_delivered_later(self, item_id: int, at: datetime) -> Afterwards[bool]:
        """`mark_delivered`, whose answer is wanted only once the transaction has committed (on
        PostgreSQL the statement then travels with the COMMIT)."""
        ...

    async def claim_later(
        self, lane: str, now: datetime, setting: str | None = None
    ) -> Afterwards[tuple[OutboxItem | None, str | None]]:
        """`claim` (with `setting`: `claim_reading`) as the transaction ends: the lane's head, the
        transaction's own items included, known once it has committed (on PostgreSQL the claim
        travels with the COMMIT, one trip, not two). Made after the transaction's last write."""
        ...

    async def mark_retry(self, item_id: int, next_attempt_at: datetime, error: str) -> None: ...

    async def mark_failed(self, item_id: int, error: str) -> None: ...

    async def give_up(self, item_id: int, reason: str) -> None: ...

    async def set_delivery(self, item_id: int, delivery: Delivery) -> None: ...

    async def record_faq_question(
        self, user_id: str, text: str, language: str | None, outcome: str, at: datetime
    ) -> None:
        """Remember a message the FAQ bot answered (suggested) or could not (unanswered)."""
        ...

    async def settle_faq_question(self, user_id: str, outcome: str, since: datetime) -> bool:
        """Mark the player's last question solved or escalated, if it got suggestions at or after
        `since`; False when it did not."""
        ...

    async def forget_player(
        self, user_id: str, lanes: Sequence[str], settings: Sequence[str] = ()
    ) -> Forgotten:
        """Erase a player's personal data: conversation, transcript, deliveries (in `lanes` and about
        their cases), the `settings` kept about them; their cases stay, anonymised."""
        ...


class Store(CaseReads, Protocol):
    """The durable record. Each method below the first two is one transaction of its own."""

    url: str

    def view(self) -> AbstractAsyncContextManager[Reads]:
        """A consistent snapshot for several reads (never inside a transaction)."""
        ...

    def transaction(self, *, background: bool = False) -> AbstractAsyncContextManager[Writes]:
        """One atomic unit of change: committed when the block ends, rolled back if it raises.

        `background`: nobody waits on it to be answered (a delivery's outcome); a store may commit
        it together with other background transactions that end at the same time."""
        ...

    async def claim(self, lane: str, now: datetime) -> OutboxItem | None:
        """The oldest pending item of `lane`, taken for delivery by this process (None: none, or taken)."""
        ...

    async def claim_reading(
        self, lane: str, now: datetime, setting: str
    ) -> tuple[OutboxItem | None, str | None]:
        """`claim`, and the value of `setting` read at the same moment (one trip on PostgreSQL)."""
        ...

    async def health(self) -> StoreHealth: ...

    async def close(self) -> None: ...

    # one-call reads and writes (besides those of CaseReads), for callers that need a single one
    async def dm_watermarks(self, limit: int) -> dict[str, int]: ...

    async def conversation(self, user_id: str) -> ConversationRecord | None: ...

    async def player_state(
        self, user_id: str, *, event_id: str, setting: str, lane: str, kind: str
    ) -> PlayerState: ...

    async def is_processed(self, event_id: str) -> bool: ...

    async def get_setting(self, key: str) -> str | None: ...

    async def put_setting(self, key: str, value: str) -> None: ...

    async def mark_seen(self, namespace: str, key: str, at: datetime) -> bool: ...
