"""Delivers the outbox: every outbound call, written in its event's transaction, is sent from here.

Items of one lane (one player's DMs, one player's contact-center calls, one channel) go out in
order: an item waiting for a retry holds back the items behind it. Failures are retried with
exponential backoff and jitter (a platform's retry-after wins); permanent failures are marked
failed with the reason. Retries are woken by a timer (`loop.call_later`) that starts a short
drain task, never by a task that sleeps forever; `tick()` drains due items too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from engine.ports import ChatSide, ContactCenter, DeliveryError, HandoffRequest, HandoffTicket
from engine.runtime.locks import KeyedLock
from engine.runtime.thread_delivery import THREAD_KINDS, Fallback, PlayerDelivery
from engine.runtime.wire import message_from_payload
from engine.store import OutboxItem, Store, StoreTx

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BASE_DELAY_S = 2.0
MAX_DELAY_S = 900.0
TRANSCRIPT_LINES = 50


class Reactions(Protocol):
    """What the conversation does about a delivery outcome; each returns the lanes it added items to."""

    async def handoff_started(
        self, tx: StoreTx, item: OutboxItem, ticket: HandoffTicket, now: datetime
    ) -> list[str]: ...

    async def handoff_not_started(self, tx: StoreTx, item: OutboxItem, now: datetime) -> list[str]: ...

    async def dm_undeliverable(self, tx: StoreTx, item: OutboxItem, now: datetime) -> list[str]: ...

    def thread_fallback(self) -> Fallback | None:
        """Where a player whose DMs are closed goes instead (None: nowhere, the DM fails)."""
        ...


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


class Outbox:
    """Sends outbox items through the ports, in lane order, retrying until delivered or hopeless."""

    def __init__(
        self,
        store: Store,
        chat: ChatSide,
        contact: ContactCenter,
        reactions: Reactions,
        *,
        clock: Callable[[], datetime],
        observer: DeliveryObserver | None = None,
    ) -> None:
        self.observer = observer
        self.store = store
        self.chat = chat
        self.contact = contact
        self.reactions = reactions
        self.players = PlayerDelivery(store, chat, reactions.thread_fallback)
        self.clock = clock
        self.starting = asyncio.Lock()  # held while a handoff starts and its id is recorded
        self._lanes = KeyedLock()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopped = False

    # --- entry points ----------------------------------------------------------------------

    async def deliver(self, lanes: Iterable[str], now: datetime | None = None) -> None:
        """Deliver the due items of these lanes now, and of the lanes their outcomes add items to."""
        queue = list(dict.fromkeys(lanes))
        while queue:
            added = await self._deliver_lane(queue.pop(0), now)
            queue.extend(lane for lane in dict.fromkeys(added) if lane not in queue)

    def deliver_soon(self, lanes: Iterable[str]) -> None:
        """Deliver these lanes in the background (the caller answers someone first); never raises."""
        wanted = list(lanes)
        if wanted and not self._stopped:
            self._track(asyncio.get_running_loop().create_task(self._deliver_quietly(wanted)))

    async def _deliver_quietly(self, lanes: list[str]) -> None:
        try:
            await self.deliver(lanes)
        except Exception:  # the items stay pending: the retry timer or the next tick picks them up
            log.exception("delivering outbox lanes %s failed; they will be retried", lanes)
            self._schedule(self.clock() + timedelta(seconds=BASE_DELAY_S))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- lanes -----------------------------------------------------------------------------

    async def _deliver_lane(self, lane: str, now: datetime | None) -> list[str]:
        added: list[str] = []
        async with self._lanes.hold(lane):
            while True:
                async with self.store.view() as view:
                    item = await view.lane_head(lane)
                if item is None:
                    break
                at = now or self.clock()
                if item.attempts and item.next_attempt_at > at:
                    self._schedule(item.next_attempt_at)
                    break
                go_on, more = await self._attempt(item, at)
                added.extend(more)
                if not go_on:
                    break
        return added

    # --- one attempt -----------------------------------------------------------------------

    async def _attempt(self, item: OutboxItem, now: datetime) -> tuple[bool, list[str]]:
        """Deliver one item; (whether the lane may go on, lanes the outcome added items to)."""
        guard = self.starting if item.kind == "start_handoff" else contextlib.nullcontext()
        async with guard:
            try:
                result = await self._call(item)
            except DeliveryError as exc:
                cause = "rate_limited" if exc.retry_after is not None else "temporary"
                return await self._failed(item, exc.reason, exc.permanent, exc.retry_after, now, cause)
            except Exception as exc:  # a port bug or an outage must not lose the item
                log.warning("delivering outbox item %s (%s) failed: %r", item.id, item.kind, exc)
                return await self._failed(item, f"{type(exc).__name__}: {exc}", False, None, now, "exception")
            return await self._succeeded(item, result, now)

    async def _call(self, item: OutboxItem) -> str | HandoffTicket | None:
        payload = item.payload
        if item.kind == "dm" or item.kind in THREAD_KINDS:
            return await self.players.deliver(item)
        if item.kind == "post":
            tags = tuple(payload.get("tags") or ())
            return await self.chat.post(
                str(payload["target"]), message_from_payload(payload["message"]), tags=tags
            )
        if item.kind == "edit":
            await self._edit(item)
            return None
        if item.kind == "send":
            user_id = str(payload["user_id"])
            async with self.store.view() as view:
                conversation = await view.conversation(user_id)
            if conversation is None or conversation.handoff is None:
                raise DeliveryError("the player is not connected to an agent", permanent=True)
            if payload.get("notice"):  # flexcord's own words to the agent, not the player's
                await self.contact.notify(conversation.handoff, str(payload["text"]), item.key)
            else:
                await self.contact.send(conversation.handoff, user_id, str(payload["text"]), item.key)
            return None
        if item.kind == "close":
            await self.contact.close(str(payload["handoff"]))
            return None
        if item.kind == "start_handoff":
            return await self.contact.start_handoff(await self._request(item))
        raise DeliveryError(f"unknown kind of outbox item: {item.kind}", permanent=True)

    async def _edit(self, item: OutboxItem) -> None:
        """Edit the case's post; it went out earlier on the same lane, so its id is known by now."""
        target = str(item.payload["target"])
        async with self.store.view() as view:
            lines = await view.case_transcript(str(item.case_ref))
        posted = [
            m.platform_id for m in lines if m.direction == "out" and m.where == target and m.platform_id
        ]
        if not posted:
            raise DeliveryError(f"the case's post in #{target} was never delivered", permanent=True)
        await self.chat.edit(
            target,
            posted[0],
            message_from_payload(item.payload["message"]),
            tags=tuple(item.payload.get("tags") or ()),
            closed=bool(item.payload.get("closed")),
        )

    async def _request(self, item: OutboxItem) -> HandoffRequest:
        """The handoff request as of now: the transcript includes everything said until this attempt."""
        payload = item.payload
        async with self.store.view() as view:
            conversation = await view.conversation_by_id(int(payload["conversation_id"]))
            if conversation is None:
                raise DeliveryError("the conversation no longer exists", permanent=True)
            lines = await view.recent_messages(conversation.id, TRANSCRIPT_LINES)
        return HandoffRequest(
            user_id=conversation.user_id,
            user_name=conversation.user_name,
            case_ref=str(payload["case_ref"]),
            queue=str(payload["queue"]),
            priority=int(payload.get("priority", 0)),
            skills=tuple(payload.get("skills", ())),
            case_fields={str(k): str(v) for k, v in dict(payload.get("case_fields", {})).items()},
            transcript=tuple((line.author, line.text) for line in lines),
            transcript_at=tuple(line.at for line in lines),
        )

    async def _succeeded(
        self, item: OutboxItem, result: str | HandoffTicket | None, now: datetime
    ) -> tuple[bool, list[str]]:
        added: list[str] = []
        async with self.store.transaction() as tx:
            current = await tx.outbox_item(item.id) or item
            if isinstance(result, HandoffTicket):
                added = await self.reactions.handoff_started(tx, current, result, now)
            await tx.mark_delivered(item.id, now)
            if item.message_id is not None and isinstance(result, str) and result:
                await tx.set_message_platform_id(item.message_id, result)
        return True, added

    async def _failed(
        self,
        item: OutboxItem,
        reason: str,
        permanent: bool,
        retry_after: float | None,
        now: datetime,
        cause: str = "temporary",
    ) -> tuple[bool, list[str]]:
        attempts = item.attempts + 1
        final = permanent or attempts >= MAX_ATTEMPTS
        next_at = now + timedelta(seconds=retry_delay(attempts, retry_after))
        added: list[str] = []
        async with self.store.transaction() as tx:
            current = await tx.outbox_item(item.id) or item
            if current.status != "pending":  # replaced while the call was in flight
                return True, []
            if final:
                why = reason if permanent else f"gave up after {attempts} attempts: {reason}"
                await tx.mark_failed(item.id, why)
            else:
                await tx.mark_retry(item.id, next_at, reason)
            if item.kind == "start_handoff":
                added = await self.reactions.handoff_not_started(tx, current, now)
            elif item.kind == "dm" and final:
                added = await self.reactions.dm_undeliverable(tx, current, now)
        log.info(
            "outbox item %s (%s) %s: %s", item.id, item.kind, "failed" if final else "will retry", reason
        )
        if self.observer is not None and final:
            self.observer.delivery_failed(item.kind, "refused" if permanent else "gave_up")
        elif self.observer is not None:
            self.observer.delivery_retried(item.kind, cause)
        if not final:
            self._schedule(next_at)
        return final, added

    # --- the retry timer -------------------------------------------------------------------

    def _schedule(self, when: datetime) -> None:
        """Wake a drain when `when` comes (earliest wins); no task sleeps in the meantime."""
        if self._stopped:
            return
        loop = asyncio.get_running_loop()
        delay = min(max((when - self.clock()).total_seconds(), 0.01), MAX_DELAY_S)
        fire_at = loop.time() + delay
        if self._timer is not None and self._timer_at <= fire_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(delay, self._wake)
        self._timer_at = fire_at

    def _wake(self) -> None:
        self._timer = None
        if self._stopped:
            return
        self._track(asyncio.get_running_loop().create_task(self._drain()))

    async def _drain(self) -> None:
        try:
            await self.deliver_due()
        except Exception:
            log.exception("delivering due outbox items failed; trying again in a minute")
            self._schedule(self.clock() + timedelta(minutes=1))
