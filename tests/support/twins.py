"""In-memory twins of the ports, for tests and the sandbox: a chat side and a contact center.

`MemoryChat` records what players and channels would see; `MemoryContactCenter` records what
agents would see and plays the agent's side (join, say, close) back into a runtime. Both can be
told to fail, transiently or for good, the way Discord and Flex do.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from engine.attachments import Upload
from engine.config.model import DM
from engine.events import ContactEvent, ContactEventKind, Event, EventKind, Outcome, OutMessage, User
from engine.ports import DeliveryError, HandoffRequest, HandoffTicket, Transfer
from engine.runtime import Generation, Runtime, build_generation
from engine.runtime.runtime import TrafficObserver
from engine.store import Store, open_store

DM_BLOCKED = "Cannot send messages to this user (Discord error 50007)"


@dataclass(frozen=True, slots=True)
class _Failure:
    reason: str
    permanent: bool
    retry_after: float | None


class _Failures:
    """The next N calls fail with a DeliveryError."""

    def __init__(self) -> None:
        self._queue: list[_Failure] = []

    def add(self, count: int, reason: str, permanent: bool, retry_after: float | None) -> None:
        self._queue.extend(_Failure(reason, permanent, retry_after) for _ in range(count))

    def check(self) -> None:
        if self._queue:
            failure = self._queue.pop(0)
            raise DeliveryError(failure.reason, permanent=failure.permanent, retry_after=failure.retry_after)


class _Recorder:
    """Lets a test wait (with a deadline) until something was recorded."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        """Return once `condition()` holds; TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(condition)


class MemoryChat(_Recorder):
    """The chat side in memory: `dms[user_id]` and `posts[channel]` list what was delivered."""

    def __init__(self) -> None:
        super().__init__()
        self.dms: dict[str, list[OutMessage]] = defaultdict(list)
        self.files: dict[str, list[Upload]] = defaultdict(list)  # files DMed, by player
        self.posts: dict[str, list[OutMessage]] = defaultdict(list)
        self.edits: list[tuple[str, str, OutMessage]] = []  # (channel, message id, new message)
        self.attempts = 0
        self._ids = itertools.count(1000)
        self._sent: dict[str, str] = {}  # idempotency key -> message id
        self._failures = _Failures()
        self._blocked: dict[str, str] = {}

    def fail_next(
        self,
        count: int = 1,
        *,
        reason: str = "Discord is unavailable (503)",
        retry_after: float | None = None,
    ) -> None:
        """The next `count` sends fail with a retryable error."""
        self._failures.add(count, reason, False, retry_after)

    def block_dms(self, user_id: str, reason: str = DM_BLOCKED) -> None:
        """Every DM to `user_id` fails for good, as when a player blocks DMs from the bot."""
        self._blocked[user_id] = reason

    def texts(self, user_id: str) -> list[str]:
        """The text of each DM the player received, oldest first."""
        return [message.text for message in self.dms.get(user_id, [])]

    async def send_dm(self, user_id: str, message: OutMessage, files: Sequence[Upload] = ()) -> str:
        self.attempts += 1
        if user_id in self._blocked:
            raise DeliveryError(self._blocked[user_id], permanent=True, dm_closed=True)
        self.files[user_id].extend(files)
        return await self._deliver(self.dms[user_id], message)

    async def post(self, channel: str, message: OutMessage, *, tags: tuple[str, ...] = ()) -> str:
        self.attempts += 1
        return await self._deliver(self.posts[channel], message)

    async def edit(
        self,
        channel: str,
        message_id: str,
        message: OutMessage,
        *,
        tags: tuple[str, ...] = (),
        closed: bool = False,
    ) -> None:
        self.attempts += 1
        self._failures.check()
        self.edits.append((channel, message_id, message))

    async def _deliver(self, into: list[OutMessage], message: OutMessage) -> str:
        self._failures.check()
        if message.key is not None and message.key in self._sent:
            return self._sent[message.key]
        message_id = str(next(self._ids))
        if message.key is not None:
            self._sent[message.key] = message_id
        into.append(message)
        await self._notify()
        return message_id


class ContactEventSink(Protocol):
    """Where contact-center events go (engine.runtime.Runtime)."""

    async def on_contact_event(self, event: ContactEvent) -> None: ...


class MemoryContactCenter(_Recorder):
    """The contact center in memory: records handoff requests, messages to agents and closes."""

    def __init__(self, runtime: ContactEventSink | None = None) -> None:
        super().__init__()
        self.runtime = runtime
        self.requests: list[HandoffRequest] = []
        self.handoffs: dict[str, HandoffRequest] = {}
        self.sent: dict[str, list[str]] = defaultdict(list)  # handoff -> texts the agent received
        self.notices: dict[str, list[str]] = defaultdict(list)  # handoff -> flexcord's own notices
        self.closed: list[str] = []
        self.transfers: list[tuple[str, Transfer]] = []
        self.attempts = 0
        self.media: dict[str, Upload] = {}  # files agents sent, by media sid
        self._numbers = itertools.count(1)
        self._events = itertools.count(1)
        self.keys: list[str] = []  # idempotency keys of the messages received
        self._failures = _Failures()

    def fail_next(
        self, count: int = 1, *, reason: str = "Flex is unavailable (503)", permanent: bool = False
    ) -> None:
        """The next `count` calls (start, send or close) fail."""
        self._failures.add(count, reason, permanent, None)

    def handoff_of(self, user_id: str) -> str:
        """The latest handoff started for a player."""
        for handoff, request in reversed(self.handoffs.items()):
            if request.user_id == user_id:
                return handoff
        raise KeyError(f"no handoff for user {user_id}")

    async def start_handoff(self, request: HandoffRequest) -> HandoffTicket:
        self.attempts += 1
        self._failures.check()
        number = next(self._numbers)
        handoff = f"CH{number:032d}"  # shaped like a Twilio sid, as a webhook carries it
        self.requests.append(request)
        self.handoffs[handoff] = request
        await self._notify()
        return HandoffTicket(conversation_sid=handoff, interaction_sid=f"KD{number:04d}")

    async def send(self, handoff: str, user_id: str, text: str, key: str) -> None:
        self.attempts += 1
        self._failures.check()
        if key in self.keys:
            return
        self.keys.append(key)
        self.sent[handoff].append(text)
        await self._notify()

    async def send_file(self, handoff: str, user_id: str, file: Upload, key: str) -> None:
        await self.send(handoff, user_id, f"[file {file.name}]", key)

    async def fetch_file(self, handoff: str, media_sid: str) -> Upload:
        return self.media[media_sid]

    async def notify(self, handoff: str, text: str, key: str) -> None:
        self.attempts += 1
        self._failures.check()
        if key in self.keys:
            return
        self.keys.append(key)
        self.notices[handoff].append(text)
        await self._notify()

    async def close(self, handoff: str) -> None:
        self.attempts += 1
        self._failures.check()
        self.closed.append(handoff)
        await self._notify()

    async def transfer(self, handoff: str, transfer: Transfer) -> None:
        self.attempts += 1
        self._failures.check()
        self.transfers.append((handoff, transfer))
        await self._notify()

    # --- the agent's side, played into the runtime --------------------------------------------

    async def emit(
        self,
        kind: ContactEventKind,
        handoff: str,
        *,
        agent: str | None = None,
        text: str = "",
        at: datetime | None = None,
        media: tuple[str, ...] = (),
    ) -> ContactEvent:
        """Deliver one contact-center event to the runtime; returns it (to deliver it again)."""
        if self.runtime is None:
            raise RuntimeError("MemoryContactCenter has no runtime to send events to; set .runtime")
        event = ContactEvent(
            kind=kind,
            id=f"EV{next(self._events):04d}",
            conversation_sid=handoff,
            agent=agent,
            text=text,
            at=at,
            media=media,
        )
        await self.runtime.on_contact_event(event)
        return event

    async def agent_joins(self, handoff: str, name: str, at: datetime | None = None) -> ContactEvent:
        return await self.emit("agent_joined", handoff, agent=name, at=at)

    async def agent_says(
        self,
        handoff: str,
        text: str,
        name: str | None = None,
        at: datetime | None = None,
        file: Upload | None = None,
    ) -> ContactEvent:
        media: tuple[str, ...] = ()
        if file is not None:  # the agent's file, held as Flex's Media Content Service would
            media = (f"ME{len(self.media) + 1:032d}",)
            self.media[media[0]] = file
        return await self.emit("agent_message", handoff, agent=name, text=text, at=at, media=media)

    async def agent_leaves(self, handoff: str, name: str, at: datetime | None = None) -> ContactEvent:
        return await self.emit("agent_left", handoff, agent=name, at=at)

    async def closes(self, handoff: str, at: datetime | None = None) -> ContactEvent:
        return await self.emit("closed", handoff, at=at)

    async def fails(self, handoff: str, at: datetime | None = None) -> ContactEvent:
        return await self.emit("failed", handoff, at=at)


class ManualClock:
    """A clock that only moves when told to: pass it as a Runtime's `clock`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 4, 17, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Los Angeles

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class PlayerEvents(Protocol):
    """Where player events go (engine.runtime.Runtime)."""

    async def handle(self, event: Event) -> Outcome: ...


class Player:
    """A player acting on a runtime: each call builds an Event with a fresh id at the clock's time."""

    _ids = itertools.count(1)

    def __init__(
        self, runtime: PlayerEvents, user: User, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self.runtime = runtime
        self.user = user
        self.clock = clock
        self.last_event: Event | None = None

    def event(self, kind: EventKind, where: str = DM, **fields: Any) -> Event:
        event = Event(
            kind=kind, id=f"E{next(self._ids):06d}", user=self.user, where=where, at=self.clock(), **fields
        )
        self.last_event = event
        return event

    async def says(self, text: str, where: str = DM, files: tuple[tuple[str, bytes], ...] = ()) -> Outcome:
        return await self.runtime.handle(self.event("message", where, text=text, files=files))

    async def uses(self, command: str, where: str, **options: object) -> Outcome:
        return await self.runtime.handle(self.event("command", where, command=command, options=options))

    async def submits(self, form: str, where: str, **fields: object) -> Outcome:
        return await self.runtime.handle(self.event("form", where, form=form, options=fields))

    async def presses(self, button: str, label: str = "", where: str = DM) -> Outcome:
        return await self.runtime.handle(self.event("button", where, button=button, text=label))


@dataclass
class World:
    """A runtime wired to in-memory ports and a store, with a manual clock: a whole bot in a test."""

    runtime: Runtime
    store: Store
    chat: MemoryChat
    contact: MemoryContactCenter
    clock: ManualClock

    def player(self, user_id: str, name: str, roles: tuple[str, ...] = ()) -> Player:
        return Player(self.runtime, User(user_id, name, roles), self.clock)

    async def close(self) -> None:
        await self.runtime.stop()
        await self.store.close()


async def memory_world(
    generation: Generation,
    *,
    store_url: str = "sqlite:///:memory:",
    clock: ManualClock | None = None,
    observer: TrafficObserver | None = None,
    alert: Callable[[str], Awaitable[None]] | None = None,
) -> World:
    """A started runtime on `generation` with MemoryChat, MemoryContactCenter and a fresh store."""
    store = await open_store(store_url)
    chat, contact = MemoryChat(), MemoryContactCenter()
    clock = clock or ManualClock()
    runtime = Runtime(generation, store, chat, contact, clock=clock, observer=observer, alert=alert)
    contact.runtime = runtime
    await runtime.start()
    return World(runtime, store, chat, contact, clock)


def generation_from(path: str | Path) -> Generation:
    """Build the config at `path` (offline) and its Generation; ValueError listing the errors if any."""
    from engine.config import build

    result = build(path, offline=True)
    if result.config is None:
        raise ValueError("the config has errors:\n" + "\n".join(str(d) for d in result.errors))
    return build_generation(result.config)
