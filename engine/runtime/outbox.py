"""Delivers the outbox: every outbound call, written in its event's transaction, is sent from here.

Mechanics only: items of one lane (one player's DMs, one player's contact-center calls, one
channel) go out in order, an item waiting for a retry holds back the items behind it; failures
are retried with exponential backoff and jitter (a platform's retry-after wins); permanent
failures are marked failed with the reason. What an outcome means for a conversation is the
`Outcomes` given in (engine.runtime.outcomes); the outbox reads nothing but the outbox.

Background delivery is bounded: lanes to deliver are marked in one set (a lane at most once)
and a few drain tasks work through it; past `MAX_MARKED` lanes the marks are dropped for one
sweep of every pending lane in the store. Retries are woken by one timer (`loop.call_later`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import NamedTuple, Protocol, assert_never, cast, runtime_checkable

from engine.attachments import Upload
from engine.deliveries import (
    CaseThread,
    ChannelPost,
    CloseHandoff,
    DirectMessage,
    EditPost,
    SendToAgent,
    StartHandoff,
    TransferChat,
)
from engine.ports import ChatSide, ContactCenter, DeliveryError, HandoffTicket
from engine.runtime.early import Early, EarlyClaims, thread_setting
from engine.runtime.locks import KeyedLock
from engine.runtime.thread_delivery import Fallback, PlayerDelivery
from engine.store import OutboxItem, StorageError, Store, Writes

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BASE_DELAY_S = 2.0
MAX_DELAY_S = 900.0
DRAINS = 4  # background drain tasks at most
MAX_MARKED = 2000  # lanes marked for background delivery before a sweep replaces the marks

Sent = str | HandoffTicket | None
"""What a send returns: a platform message id, a started handoff's ids, or nothing."""


class Outcomes(Protocol):
    """What a delivery outcome means beyond the outbox; each returns the lanes it added items to."""

    async def delivered(self, tx: Writes, item: OutboxItem, sent: Sent, now: datetime) -> list[str]:
        """`item` as it was claimed (an outcome that needs it as it is now reads it in `tx`)."""
        ...

    async def failed(self, tx: Writes, item: OutboxItem, *, final: bool, now: datetime) -> list[str]: ...


def retry_delay(
    attempts: int, retry_after: float | None, jitter: Callable[[], float] = random.random
) -> float:
    """Seconds before the next try: 2, 4, 8 ... up to 15 min, plus up to 20% jitter; retry-after wins."""
    if retry_after is not None and retry_after > 0:
        return min(retry_after, MAX_DELAY_S)
    base: float = min(BASE_DELAY_S * 2.0 ** max(attempts - 1, 0), MAX_DELAY_S)
    return base * (1 + 0.2 * jitter())


@runtime_checkable
class DeliveryObserver(Protocol):
    """Who counts delivery problems (engine.metrics.Metrics), by item kind and a short reason."""

    def delivery_retried(self, kind: str, reason: str) -> None: ...

    def delivery_failed(self, kind: str, reason: str) -> None: ...


class Attempt(NamedTuple):
    """One item's delivery tried: whether the lane may go on, the lanes its outcome added items to,
    and the lane's next head if its outcome claimed it (its DM lane's thread with it)."""

    go_on: bool
    added: list[str]
    following: tuple[OutboxItem, str | None] | None = None


class Outbox:
    """Sends outbox items through the ports, in lane order, retrying until delivered or hopeless."""

    def __init__(
        self,
        store: Store,
        chat: ChatSide,
        contact: ContactCenter,
        outcomes: Outcomes,
        *,
        clock: Callable[[], datetime],
        starting: asyncio.Lock | None = None,
        observer: DeliveryObserver | None = None,
        fallback: Callable[[], Fallback | None] = lambda: None,
    ) -> None:
        self.observer = observer
        self.players = PlayerDelivery(store, chat, fallback)
        self.store = store
        self.chat = chat
        self.contact = contact
        self.outcomes = outcomes
        self.clock = clock
        self.starting = starting or asyncio.Lock()  # held while a handoff starts and its id is recorded
        self._lanes = KeyedLock()
        self._early = EarlyClaims()
        self._timer: asyncio.TimerHandle | None = None
        # True where something waits for each event to be handled through (the sandbox page answers a
        # player once the emulated Discord settles): the retry timer then stays out of that wait.
        self.timer_apart = False
        self._timer_at = 0.0
        self._marked: dict[str, Early | None] = {}  # lanes to deliver, each with its early claim if any
        self._sweep = False
        self._drains: set[asyncio.Task[None]] = set()
        self._stopped = False
        self.may_deliver: Callable[[str], bool] = lambda lane: True  # a standby replica: contact lanes only

    # --- entry points ----------------------------------------------------------------------

    async def deliver(
        self, lanes: Iterable[str], now: datetime | None = None, early: Early | None = None
    ) -> None:
        """Deliver the due items of these lanes now, and of the lanes their outcomes add items to
        (`early`: a claim made as the transaction that queued them committed, see claim_early)."""
        queue = list(dict.fromkeys(lanes))
        while queue:
            added = await self._deliver_lane(queue.pop(0), now, early)
            early = None
            queue.extend(lane for lane in dict.fromkeys(added) if lane not in queue)

    async def deliver_or_defer(
        self, lanes: Iterable[str], now: datetime | None = None, early: Early | None = None
    ) -> None:
        """Deliver now; if the store refuses to record an outcome, the items wait for the retry timer."""
        try:
            await self.deliver(lanes, now, early)
        except StorageError as exc:
            log.error("recording a delivery failed (%s); the outbox tries again later", exc)
            self._schedule(self.clock() + timedelta(seconds=BASE_DELAY_S))

    async def claim_early(self, tx: Writes, lanes: list[str]) -> Early | None:
        """Claim the first lane's head in `tx`, as it commits (engine.runtime.early), when this process
        may deliver that lane and no delivery of it is under way; for `deliver(lanes, early=...)`."""
        lane = lanes[0] if lanes else ""
        free = bool(lane) and not self._stopped and self.may_deliver(lane) and not self._lanes.busy(lane)
        if not free or lane in self._marked:  # else a delivery holds the lane, waits, or will claim it
            return None
        return await self._early.claim(tx, lane, self.clock())

    def deliver_soon(self, lanes: Iterable[str], early: Early | None = None) -> None:
        """Deliver these lanes in the background (the caller answers someone first); never raises."""
        if self._stopped:
            return
        for lane in lanes:
            self._marked[lane] = early if early is not None and early.lane == lane else self._marked.get(lane)
        if len(self._marked) > MAX_MARKED:
            self._marked.clear()
            self._sweep = True
        self._spawn_drains()

    def sweep_soon(self) -> None:
        """Look for due items in every lane, in the background (items other replicas wrote, or left)."""
        if not self._stopped:
            self._sweep = True
            self._spawn_drains()

    async def deliver_due(self, now: datetime | None = None) -> None:
        """Deliver every item that is due (new, or its retry time has come)."""
        async with self.store.view() as view:
            lanes = await view.pending_lanes()
        await self.deliver(lanes, now)

    async def start(self) -> None:
        """Resume: deliver what was pending when the process stopped, schedule the rest."""
        self._stopped = False
        await self.deliver_due()

    async def stop(self) -> None:
        """Cancel the retry timer and any drain in progress; pending items stay in the store."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        drains = list(self._drains)
        for task in drains:
            task.cancel()
        await asyncio.gather(*drains, return_exceptions=True)
        self._marked.clear()

    # --- background drains -------------------------------------------------------------------

    def _spawn_drains(self) -> None:
        wanted = min(DRAINS, len(self._marked) + int(self._sweep)) - len(self._drains)
        loop = asyncio.get_running_loop()
        for _ in range(max(wanted, 0)):
            task = loop.create_task(self._drain())
            self._drains.add(task)
            task.add_done_callback(self._drains.discard)

    async def _drain(self) -> None:
        try:
            while self._marked or self._sweep:
                try:
                    if self._sweep:
                        self._sweep = False
                        await self.deliver_due()
                    else:
                        lane = next(iter(self._marked))
                        await self.deliver([lane], early=self._marked.pop(lane))
                except Exception:  # the items stay pending: the retry timer or the next tick picks them up
                    log.exception("delivering outbox items failed; they will be retried")
                    self._schedule(self.clock() + timedelta(seconds=BASE_DELAY_S))
        finally:  # uncounted in the step that found nothing left: a lane marked then gets a drain
            self._drains.discard(cast("asyncio.Task[None]", asyncio.current_task()))

    # --- lanes -----------------------------------------------------------------------------

    async def _deliver_lane(self, lane: str, now: datetime | None, early: Early | None = None) -> list[str]:
        added: list[str] = []
        if not self.may_deliver(lane):
            return added
        async with self._lanes.hold(lane):
            claimed = self._early.use(early) if early is not None and early.lane == lane else None
            while True:
                at = now or self.clock()
                item, thread = claimed or await self._claim(lane, at)
                if item is None:
                    break
                if item.attempts and item.next_attempt_at > at:
                    self._schedule(item.next_attempt_at)
                    break
                done = await self._attempt(item, at, thread)
                added.extend(done.added)
                if not done.go_on:
                    break
                claimed = done.following
        return added

    async def _claim(self, lane: str, now: datetime) -> tuple[OutboxItem | None, str | None]:
        """The lane's head; for a player's DM lane, with the case thread their conversation is in
        (read at the same moment: one trip to PostgreSQL, not two)."""
        self._early.void(lane)
        setting = thread_setting(lane)
        if setting is None:
            return await self.store.claim(lane, now), None
        item, thread = await self.store.claim_reading(lane, now, setting)
        return item, thread or None

    # --- one attempt -----------------------------------------------------------------------

    async def _attempt(self, item: OutboxItem, now: datetime, thread: str | None) -> Attempt:
        """Deliver one item, and record how it went (Attempt)."""
        guard = self.starting if isinstance(item.delivery, StartHandoff) else contextlib.nullcontext()
        async with guard:
            try:
                sent = await self._send(item, thread)
            except DeliveryError as exc:
                cause = "rate_limited" if exc.retry_after is not None else "temporary"
                return await self._failed(item, exc.reason, exc.permanent, exc.retry_after, now, cause)
            except Exception as exc:  # a port bug or an outage must not lose the item
                log.warning("delivering outbox item %s (%s) failed: %r", item.id, item.kind, exc)
                return await self._failed(item, f"{type(exc).__name__}: {exc}", False, None, now, "exception")
            return await self._succeeded(item, sent, now)

    async def _send(self, item: OutboxItem, thread: str | None) -> Sent:
        """Send one item; `thread`: the case thread of the player whose DM lane it is in, if any."""
        delivery = item.delivery
        match delivery:
            case DirectMessage(user_id=user_id, message=message):
                files = [await self.contact.fetch_file(*ref.split("/", 1)) for ref in message.files]
                sent = await self.players.dm(user_id, message, item.case_ref, thread, files)
                await self.players.keep_agents_files(
                    user_id, item.case_ref, message.author, files, self.clock()
                )
                return sent
            case CaseThread():
                await self.players.thread(delivery, thread)
                return None
            case ChannelPost(channel=channel, message=message, tags=tags):
                return await self.chat.post(channel, message, tags=tags)
            case EditPost(channel=channel, message=message, message_id=posted):
                if posted is None:
                    raise DeliveryError(f"the case's post in #{channel} was never delivered", permanent=True)
                await self.chat.edit(channel, posted, message, tags=delivery.tags, closed=delivery.closed)
                return None
            case SendToAgent(conversation_sid=sid):
                if sid is None:
                    raise DeliveryError("the player is not connected to an agent", permanent=True)
                if delivery.notice:  # flexcord's own words to the agent, not the player's
                    await self.contact.notify(sid, delivery.text, item.key)
                elif delivery.attachment_id is not None:
                    await self.contact.send_file(sid, delivery.user_id, await self._file(delivery), item.key)
                else:
                    await self.contact.send(sid, delivery.user_id, delivery.text, item.key)
                return None
            case CloseHandoff(conversation_sid=sid):
                await self.contact.close(sid)
                return None
            case StartHandoff(request=request):
                return await self.contact.start_handoff(request)
            case TransferChat(conversation_sid=sid, transfer=transfer):
                await self.contact.transfer(sid, transfer)
                return None
            case _:
                assert_never(delivery)

    async def _file(self, delivery: SendToAgent) -> Upload:
        """The player's file a delivery carries, from the store every replica reads."""
        async with self.store.view() as view:
            kept = await view.get_attachment(delivery.attachment_id or 0)
        if kept is None:
            raise DeliveryError("the file was erased before it reached the agent", permanent=True)
        record, data = kept
        return Upload(record.name, data, record.content_type)

    async def _succeeded(self, item: OutboxItem, sent: Sent, now: datetime) -> Attempt:
        """Record the delivery; the lane's next head is claimed in the same trip (the lane is held).
        In the background: outcomes of lanes delivered at once may share that trip (PostgreSQL)."""
        async with self.store.transaction(background=True) as tx:
            added = await self.outcomes.delivered(tx, item, sent, now)
            if item.message_id is not None and isinstance(sent, str) and sent:
                await tx.set_message_platform_id(item.message_id, sent)
            waiting = await tx.mark_delivered_later(item.id, now)  # with the COMMIT
            if waiting.known and not waiting.value:  # (SQLite) nothing behind it: no claim to make
                return Attempt(False, added)
            self._early.void(item.lane)
            following = await tx.claim_later(item.lane, now, thread_setting(item.lane))
        head, thread = following.value
        if head is None:
            return Attempt(waiting.value, added)
        return Attempt(True, added, (head, thread or None))

    async def _failed(
        self,
        item: OutboxItem,
        reason: str,
        permanent: bool,
        retry_after: float | None,
        now: datetime,
        cause: str = "temporary",
    ) -> Attempt:
        attempts = item.attempts + 1
        final = permanent or attempts >= MAX_ATTEMPTS
        next_at = now + timedelta(seconds=retry_delay(attempts, retry_after))
        async with self.store.transaction() as tx:
            current = await tx.outbox_item(item.id) or item
            if current.status != "pending":  # replaced while the call was in flight
                return Attempt(True, [])
            if final:
                why = reason if permanent else f"gave up after {attempts} attempts: {reason}"
                await tx.mark_failed(item.id, why)
            else:
                await tx.mark_retry(item.id, next_at, reason)
            added = await self.outcomes.failed(tx, current, final=final, now=now)
        log.info(
            "outbox item %s (%s) %s: %s", item.id, item.kind, "failed" if final else "will retry", reason
        )
        if self.observer is not None and final:
            self.observer.delivery_failed(item.kind, "refused" if permanent else "gave_up")
        elif self.observer is not None:
            self.observer.delivery_retried(item.kind, cause)
        if not final:
            self._schedule(next_at)
        return Attempt(final, added)

    # --- the retry timer -------------------------------------------------------------------

    def _schedule(self, when: datetime) -> None:
        """Wake a sweep when `when` comes (earliest wins); no task sleeps in the meantime."""
        if self._stopped:
            return
        loop = asyncio.get_running_loop()
        delay = min(max((when - self.clock()).total_seconds(), 0.01), MAX_DELAY_S)
        fire_at = loop.time() + delay
        if self._timer is not None and self._timer_at <= fire_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        if self.timer_apart:  # set from a fresh context: not part of the event that happened to set it
            self._timer = contextvars.Context().run(loop.call_later, delay, self._wake)
        else:
            self._timer = loop.call_later(delay, self._wake)
        self._timer_at = fire_at

    def _wake(self) -> None:
        self._timer = None
        if self._stopped:
            return
        self._sweep = True
        self._spawn_drains()
