"""The runtime: turns routing Decisions and contact-center events into effects, with a durable record.

Each event is applied once: its processed mark, state changes, transcript lines and outbox items
commit in one transaction; the outbox then delivers them. Events of one player are handled one
at a time; different players run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from engine.bounded import BoundedMap
from engine.chatbot.gaps import record_faq_turn
from engine.config.model import Config, RelayToAgent, Retention
from engine.events import ContactEvent, Decision, Event, Outcome
from engine.ports import ChatSide, ContactCenter
from engine.runtime import cases, conversations
from engine.runtime.begin import begin_turn, player_state, take_event
from engine.runtime.chatbots import chatbot_answers
from engine.runtime.early import Early
from engine.runtime.executor import execute
from engine.runtime.front import Front, Relaying, front_of
from engine.runtime.generation import Generation
from engine.runtime.languages import (
    locale_of,
    only_relays,
    remember_later,
)
from engine.runtime.limits import longest_window, relay_slot
from engine.runtime.locks import KeyedLock
from engine.runtime.outbox import DeliveryObserver, Outbox
from engine.runtime.outcomes import ConversationOutcomes
from engine.runtime.reading import RATING_BUTTON as RATING_BUTTON  # engine.discord reads it here
from engine.runtime.thread_delivery import fallback_of
from engine.runtime.turn import Turn
from engine.runtime.unstored import RETRY_DELAYS, StorageAlarm, Unstored, waits_when_refused
from engine.store import ConversationRecord, PlayerState, StateChanged, StorageError, Store, with_setting

log = logging.getLogger(__name__)

PROCESSED_RETENTION = timedelta(days=7)  # repeated deliveries come within minutes, not days
PRUNE_EVERY = timedelta(hours=1)
SID_PLAYERS = 10_000  # conversations whose player is known without a read (about 1 MB at most)


def utc_now() -> datetime:
    return datetime.now(UTC)


RELAYED = "(to the agent)"
"""The rule label of a message that no rule matched and that went to the agent."""


class TrafficObserver(Protocol):
    """Who counts traffic (engine.metrics.Metrics): told once an event's effects are committed."""

    def message_routed(self, rule: str | None) -> None: ...

    def handoff(self, queue: str) -> None: ...

    def case_opened(self, template: str) -> None: ...

    def faq_outcome(self, outcome: str) -> None: ...

    def storage_refused(self, waiting: int) -> None:
        """The store refused a write; `waiting` player messages wait in memory for it."""
        ...

    def storage_recovered(self) -> None: ...


class Runtime:
    """Handles player events and contact-center events for the current Generation."""

    def __init__(
        self,
        generation: Generation,
        store: Store,
        chat: ChatSide,
        contact: ContactCenter,
        *,
        clock: Callable[[], datetime] = utc_now,
        observer: TrafficObserver | None = None,
        alert: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self._generation = generation
        self.observer = observer
        self.store = store
        self.chat = chat
        self.contact = contact
        self.clock = clock
        self._starting = asyncio.Lock()  # held while a handoff starts and its sid is recorded
        outcomes = ConversationOutcomes(lambda: self._generation)
        delivery = observer if isinstance(observer, DeliveryObserver) else None
        self.outbox = Outbox(
            store,
            chat,
            contact,
            outcomes,
            clock=clock,
            starting=self._starting,
            observer=delivery,
            fallback=lambda: fallback_of(self._generation),
        )
        self.players = self._players = KeyedLock()  # one player's work at a time (the case page too)
        self._sid_players: BoundedMap[str, str] = BoundedMap(SID_PLAYERS)  # a sid's player, read once
        self._relaying = Relaying()  # what the last turn of players talking to an agent saw
        self._pruned_at: datetime | None = None
        self._unstored = Unstored()
        self._storage = StorageAlarm(observer, alert)

    @property
    def generation(self) -> Generation:
        return self._generation

    @property
    def config(self) -> Config:
        return self._generation.config

    def swap(self, generation: Generation) -> None:
        """Serve a new generation; events already being handled finish on the one they started with."""
        self._generation = generation

    async def start(self) -> None:
        """Resume delivering outbox items left pending by a previous run."""
        await self.outbox.start()

    async def stop(self) -> None:
        await self.outbox.stop()

    # --- player events -----------------------------------------------------------------------

    async def handle(self, event: Event) -> Outcome:
        """Route a player's event and carry out the decision; a repeated event id does nothing.

        StorageError when the store refuses to record it (after a few tries); a DM then waits
        in memory, with the player's later DMs behind it, and `tick` tries again.
        """
        async with self._players.hold(event.user.id):
            try:
                await self._store_waiting(event.user.id)
                return await self._handle_retrying(event)
            except StorageError as exc:
                if waits_when_refused(event):
                    self._unstored.add(event)
                await self._storage.refused(exc, len(self._unstored))
                raise

    @property
    def waiting_to_store(self) -> int:
        """Player messages the store refused, waiting in memory to be stored."""
        return len(self._unstored)

    async def retry_unstored(self) -> int:
        """Store and handle the messages that wait, each player's in order; returns how many went in."""
        before = len(self._unstored)
        try:
            for user_id in self._unstored.players():
                async with self._players.hold(user_id):
                    await self._store_waiting(user_id)
        except StorageError as exc:
            await self._storage.refused(exc, len(self._unstored))
        handled = before - len(self._unstored)
        if not self._unstored:
            await self._storage.recovered(handled)
        return handled

    async def _store_waiting(self, user_id: str) -> None:
        """Handle the player's waiting messages in order (lock held); StorageError while the store refuses."""
        while (event := self._unstored.first(user_id)) is not None:
            await self._handle(event)
            self._unstored.stored(user_id)

    async def _handle_retrying(self, event: Event) -> Outcome:
        for delay in RETRY_DELAYS:
            try:
                return await self._handle(event)
            except StorageError:
                await asyncio.sleep(delay)
        return await self._handle(event)

    async def _handle(self, event: Event) -> Outcome:
        generation = self._generation
        guess = self._relaying.guess(event)
        if guess is not None:  # their last turn relayed: routed on what it saw, checked with the COMMIT
            front = await front_of(generation, self.store, event, guess)
            if only_relays(front.decision):
                with contextlib.suppress(StateChanged):  # rolled back: start over from a fresh read
                    return await self._turn(generation, front, guess)
        player = await player_state(self.store, event.user.id, f"event:{event.id}")  # its own snapshot
        if player.processed:
            return Outcome(decision=None)
        front = await front_of(generation, self.store, event, player)
        if not front.acts:
            return Outcome(decision=front.decision, state=front.state)
        return await self._turn(generation, front)

    async def _turn(self, generation: Generation, front: Front, guess: PlayerState | None = None) -> Outcome:
        """Take the event and carry out its front, in one transaction; `guess`: the player's state the
        front was worked out on, unread (StateChanged when the store finds it changed)."""
        config, event, decision = generation.config, front.event, front.decision
        answers = await chatbot_answers(generation, decision, event)
        ahead = relay_slot(config, event.user.id, event.id, event.at) if only_relays(decision) else None
        async with self.store.transaction() as tx:
            state = await take_event(tx, event.user.id, f"event:{event.id}", event.at, ahead, guess)
            if state is None:
                return Outcome(decision=None)
            settle = partial(locale_of, config, event, state.setting) if front.later else None
            chosen = front.chosen is not None
            turn = await begin_turn(generation, tx, event, state, front.rating, chosen=chosen, settle=settle)
            if front.too_long:  # neither routed nor relayed: the player hears the limit and can split it
                turn.say("too_long", extra={"limit": config.limits.message_length})
            elif front.rating is not None:
                await cases.rate(turn, front.rating)
            elif front.solved or chosen:
                turn.say("solved" if front.solved else "language_set")
            else:
                await execute(turn, event, decision, answers)
            faq = None
            if not front.too_long:
                faq = await record_faq_turn(tx, config, event, decision, answers, front.solved)
            await turn.finish()
            early = await self.outbox.claim_early(tx, turn.lanes)  # travels with the COMMIT
        self._observe(decision, turn)
        if faq is not None and self.observer is not None:
            self.observer.faq_outcome(faq)
        await self.outbox.deliver_or_defer(turn.lanes, early=early)
        if front.later:  # sent: now the language the message is written in
            state = with_setting(state, await remember_later(self.store, event, turn.locale, state.setting))
        self._relaying.turned(event, front, state, turn.conversation)
        return Outcome(
            decision=decision,
            replies=tuple(turn.replies),
            form=turn.form,
            state=turn.conversation.state,
            case_ref=turn.case.ref if turn.case is not None else None,
        )

    def _observe(self, decision: Decision, turn: Turn) -> None:
        """Count what a committed turn did: the rule that routed it, the case and handoffs it started."""
        if self.observer is None:
            return
        relayed = any(isinstance(action, RelayToAgent) for action in decision.actions)
        self.observer.message_routed(decision.rule or (RELAYED if relayed else None))
        if turn.opened is not None:
            self.observer.case_opened(turn.opened.template)
        for queue in turn.handoffs:
            self.observer.handoff(queue)

    # --- the contact center ------------------------------------------------------------------

    async def on_contact_event(self, event: ContactEvent) -> None:
        """Apply an agent's or the contact center's event to the player's conversation, once, and deliver."""
        lanes, early = await self._apply_contact_event(event)
        await self.outbox.deliver_or_defer(lanes, early=early)

    async def accept_contact_event(self, event: ContactEvent) -> None:
        """Apply the event durably and return; what it says is delivered in the background.

        A webhook answers Twilio only once this returns, so an event acknowledged is never lost
        (a crash before the commit gets the event delivered again), yet the answer does not
        wait for Discord.
        """
        lanes, early = await self._apply_contact_event(event)
        self.outbox.deliver_soon(lanes, early)

    async def _apply_contact_event(self, event: ContactEvent) -> tuple[list[str], Early | None]:
        """Commit the event's effects (once); returns the outbox lanes it wrote to, and the first
        lane's head if it was claimed with the COMMIT."""
        now = event.at or self.clock()
        sid = event.conversation_sid
        user_id = await self._player_of(sid)
        if user_id is None:
            log.info("contact-center event %s is for an unknown conversation %s; ignored", event.id, sid)
            return [], None
        async with self._players.hold(user_id):
            guess = self._relaying.known(user_id, sid)
            if guess is not None:
                with contextlib.suppress(StateChanged):  # changed meanwhile: start over from a fresh read
                    return await self._contact_turn(event, user_id, now, guess)
            return await self._contact_turn(event, user_id, now)

    async def _contact_turn(
        self, event: ContactEvent, user_id: str, now: datetime, guess: PlayerState | None = None
    ) -> tuple[list[str], Early | None]:
        """The event's turn, in one transaction; `guess`: as in `_turn`."""
        generation, key, sid = self._generation, f"contact:{event.id}", event.conversation_sid
        async with self.store.transaction() as tx:
            player = await take_event(tx, user_id, key, now, guess=guess)
            if player is None:
                return [], None
            conversation = player.conversation
            if conversation is None or conversation.conversation_sid != sid:  # closed, or forgotten
                self._sid_players.pop(sid, None)
                return [], None
            turn = Turn(generation, tx, conversation, now=now, key=key, waiting_start=player.waiting)
            turn.case = player.case
            await conversations.apply_contact_event(turn, event)
            await turn.finish()
            early = await self.outbox.claim_early(tx, turn.lanes)  # travels with the COMMIT
        self._relaying.kept(user_id, player, turn.conversation)
        self._observe_join(conversation, turn.conversation)
        return turn.lanes, early

    def _observe_join(self, before: ConversationRecord, after: ConversationRecord) -> None:
        """Time the wait from handoff (or from an agent leaving) to an agent joining."""
        joined = before.state == "queued" and after.state == "agent" and before.queued_at is not None
        observe = getattr(self.observer, "agent_joined", None)
        if joined and observe is not None and before.queued_at is not None:
            observe(before.queue or "-", (after.updated_at - before.queued_at).total_seconds())

    async def _player_of(self, sid: str) -> str | None:
        """The player whose conversation `sid` is (None: no such conversation). A sid never changes
        hands, so it is read once: the player's event then reads nothing before its transaction."""
        known = self._sid_players.get(sid)
        if known is None:
            found = await self._conversation_of(sid)
            if found is None:
                return None
            known = found.user_id
            self._sid_players.put(sid, known)
        return known

    async def _conversation_of(self, sid: str) -> ConversationRecord | None:
        async with self.store.view() as view:
            found = await view.conversation_by_sid(sid)
        if found is None:  # the handoff may be starting right now: wait until its sid is recorded
            async with self._starting:
                pass
            async with self.store.view() as view:
                found = await view.conversation_by_sid(sid)
        return found

    # --- time ----------------------------------------------------------------------------------

    async def tick(self, now: datetime | None = None) -> None:
        """Tell players waiting longer than `queue_timeout`, retry due deliveries, forget old event ids."""
        now = now or self.clock()
        self._relaying.prune()
        await self.retry_unstored()
        generation = self._generation
        cutoff = now - timedelta(seconds=generation.config.limits.queue_timeout_seconds)
        async with self.store.view() as view:
            waiting = await view.waiting_since(cutoff)
        for queued in waiting:
            async with self._players.hold(queued.user_id):
                told = await conversations.tell_timed_out(generation, self.store, queued.id, cutoff, now)
                await self.outbox.deliver_or_defer(told, now)
        await self.outbox.deliver_due(now)
        if self._pruned_at is None or now - self._pruned_at >= PRUNE_EVERY:
            await self._prune(generation.config.retention, now)
            self._pruned_at = now

    async def _prune(self, retention: Retention, now: datetime) -> None:
        """Forget old event ids, delivered outbox items, uses past every limit's window and, if
        `retention.transcripts` says, old lines."""
        async with self.store.transaction() as tx:
            await tx.forget_processed(now - PROCESSED_RETENTION)
            await tx.forget_delivered(now - timedelta(seconds=retention.delivered_seconds))
            await tx.forget_uses(now - timedelta(seconds=longest_window(self.config)))
            if retention.transcripts_seconds is not None:
                await tx.forget_transcripts(now - timedelta(seconds=retention.transcripts_seconds))
