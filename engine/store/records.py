"""The rows the store keeps, as frozen dataclasses: cases, history, conversations, transcript, outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Generic, Literal, TypeVar, cast

from engine.config.model import ConversationState
from engine.deliveries import Delivery, kind_of
from engine.store.sql import SEEN

Direction = Literal["in", "out"]
OutboxStatus = Literal["pending", "delivered", "failed"]


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """A case (ticket): what was reported, by whom, where, and how far it got."""

    ref: str
    template: str
    prefix: str
    number: int
    title: str
    status: str
    reporter_id: str
    reporter_name: str
    where: str
    fields: Mapping[str, str]
    conversation_id: int | None
    rating: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case about to be opened: the store numbers it in its prefix ('BUG-7') and stamps it `at`."""

    template: str
    prefix: str
    title: str
    status: str
    reporter_id: str
    reporter_name: str
    where: str
    fields: Mapping[str, str]
    conversation_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One change of a case: its status moved (or a note was added), by whom and when."""

    case_ref: str
    from_status: str | None
    to_status: str
    who: str
    note: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    """The one conversation a player has with the bot and, through handoffs, with agents."""

    id: int
    user_id: str
    user_name: str
    state: ConversationState
    conversation_sid: str | None  # the contact center's conversation, once a handoff started
    case_ref: str | None
    queue: str | None
    agent_name: str | None
    awaiting_rating: bool
    queued_at: datetime | None
    timeout_notified: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PlayerState:
    """What handling a player's event reads first, in one query (`Reads.player_state`)."""

    processed: bool  # the event was handled already
    conversation: ConversationRecord | None  # None: the player never wrote
    case: CaseRecord | None  # the conversation's current case
    setting: str | None  # the player's setting asked for (their language)
    waiting: bool  # an item of the kind asked for is pending in the lane asked for (a handoff to start)
    # the row as read, all but its times of change: what `Writes.take_event` checks a guess by
    seen: tuple[object, ...] = field(default=(), compare=False, repr=False)


def with_setting(state: PlayerState, setting: str | None) -> PlayerState:
    """`state` with the player's setting changed to `setting` (as a later read would see it)."""
    if setting == state.setting:
        return state
    at = _SETTING_AT
    return replace(state, setting=setting, seen=(*state.seen[:at], setting, *state.seen[at + 1 :]))


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One line of a transcript: who said what, when and where, with the platform's id."""

    id: int
    conversation_id: int | None
    case_ref: str | None
    direction: Direction
    author: str
    text: str
    where: str
    platform_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A transcript line about to be written; `platform_id` may follow once the platform gives one."""

    conversation_id: int | None
    case_ref: str | None
    direction: Direction
    author: str
    text: str
    where: str
    at: datetime
    platform_id: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """An outbound call waiting for delivery, delivered, or given up on (with the reason)."""

    id: int
    lane: str
    delivery: Delivery
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    key: str
    created_at: datetime
    delivered_at: datetime | None
    case_ref: str | None
    message_id: int | None = None

    @property
    def kind(self) -> str:
        return kind_of(self.delivery)


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    """A file kept with a case: who sent it, when, its name, type (read from its bytes) and size."""

    id: int
    case_ref: str | None
    user_id: str
    who: str
    name: str
    content_type: str
    size: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What erasing a player removed: their conversation, transcript lines and deliveries.

    Their cases stay (so counts and numbering hold), without title, answers or reporter.
    """

    conversation: bool
    messages: int
    deliveries: int
    cases: tuple[str, ...]
    settings: int = 0  # what was kept about the player alone, such as their chosen language


@dataclass(frozen=True, slots=True)
class FaqQuestion:
    """A message the FAQ bot answered: `outcome` is unanswered, suggested, solved or escalated."""

    user_id: str
    text: str
    language: str | None
    outcome: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Slot:
    """One use of a cooldown or message limit, as `Writes.take_slot` takes it: `uses` per
    `per_seconds` for `key`, at `now`, counted once for the event `once` names."""

    key: str
    uses: int
    per_seconds: float
    now: datetime
    once: str = ""


T = TypeVar("T")


class Afterwards(Generic[T]):
    """What a statement of a transaction returns, known once the transaction has committed: on
    PostgreSQL the statement travels with the COMMIT (one trip, not two), on SQLite it is known at once."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value: object = _UNSET

    def set(self, value: T) -> None:
        self._value = value

    @property
    def known(self) -> bool:
        """Whether the value is known already (on SQLite at once; on PostgreSQL once committed)."""
        return self._value is not _UNSET

    @property
    def value(self) -> T:
        if self._value is _UNSET:
            raise LookupError("asked for before its transaction committed")
        return cast(T, self._value)


_UNSET = object()
_SETTING_AT = SEEN.index("setting")  # where the setting is in PlayerState.seen
