"""What a player's event is, decided before its transaction from the player's state: the language to
answer in, a rating or a "solved" press, a message over the length limit, and the routing decision
(a command's cooldown included).

The player's state comes from a read before the transaction or, for a DM of a player whose last
turn relayed a DM to the agent or brought them an agent's message, from what that turn worked on
(`Relaying`). A guess is checked by the store as the transaction commits (`Writes.take_event`'s
`guess`: on PostgreSQL in the COMMIT's trip, with no read before it): if the player's state is no
longer the guess, nothing of the turn is kept and the event starts over from a fresh read. A
chatbot is never asked on a guess: only a decision that just relays to the agent is made on one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from engine.bounded import BoundedMap
from engine.config.model import Config, ConversationState, Refuse, in_conversation
from engine.events import Decision, Event
from engine.routing import route
from engine.runtime.generation import Generation
from engine.runtime.languages import only_relays, settle_language, settles_later
from engine.runtime.limits import describe_wait, files_a_case
from engine.runtime.reading import SOLVED_BUTTON, rating_of, unrouted
from engine.store import ConversationRecord, PlayerState, Slot, Store

RELAYING_MAX = 2_048  # players whose last turn relayed to the agent, remembered (about 2 KB each)
KEEP_S = 600.0  # and for 10 minutes at most: a player's next message to the agent usually comes sooner,
# and a player erased by `flexcord players forget` (another process) is out of memory by then


@dataclass(frozen=True, slots=True)
class Front:
    """An event's front: `event` in the language to answer in (unless `later`), and what to do."""

    event: Event
    decision: Decision
    later: bool  # a DM relayed to the agent: its language is settled once needed (after the send)
    chosen: str | None  # the locale `/language` chose
    too_long: bool  # over `limits.message_length`: neither routed nor relayed
    rating: int | None
    solved: bool
    state: ConversationState | None  # the player's conversation's state (None: they never wrote)

    @property
    def acts(self) -> bool:
        """Whether the event needs a turn (else it changes nothing: no rule matched outside a DM)."""
        in_dm = self.event.kind == "message" and in_conversation(self.event.where)
        answered = self.rating is not None or self.solved or self.too_long or self.chosen is not None
        return bool(self.decision.actions) or answered or in_dm


async def front_of(generation: Generation, store: Store, event: Event, player: PlayerState) -> Front:
    """The front of `event`, the player's state being `player`."""
    config = generation.config
    known = player.conversation
    state = known.state if known is not None else None
    later = settles_later(generation, event, player.setting, state)
    event, chosen = (event, None) if later else settle_language(config, event, player.setting)
    limit = config.limits.message_length
    too_long = event.kind == "message" and len(event.text) > limit
    rating = None if too_long else rating_of(event, known)
    solved = event.kind == "button" and event.button == SOLVED_BUTTON
    decision = unrouted(config, event, limit if too_long else None, rating, solved, chosen)
    if decision is None:
        decision = await cooldown(store, config, event, route(config, event, state or "bot", event.at))
    if later and not only_relays(decision):  # a rule's words are said in the player's language
        event, later = settle_language(config, event, player.setting)[0], False
    return Front(event, decision, later, chosen, too_long, rating, solved, state)


class Relaying:
    """The state each player's last turn worked on, for players whose last turn relayed a DM to the
    agent or brought them an agent's message, leaving their conversation as it was: their next DM
    is routed on it before its transaction, and an agent's next event applied on it; the store
    checks it as the transaction commits."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: BoundedMap[str, tuple[float, PlayerState]] = BoundedMap(RELAYING_MAX)  # oldest first
        self._clock = clock

    def guess(self, event: Event) -> PlayerState | None:
        """The state to route `event` on before reading it (None: read it first)."""
        return self._get(event.user.id) if event.kind == "message" else None

    def known(self, user_id: str, sid: str) -> PlayerState | None:
        """The state the player's last turn worked on and left as it was, if their conversation is
        with the contact center's `sid` in it (the guess an agent's event is applied on)."""
        seen = self._get(user_id)
        if seen is None or seen.conversation is None or seen.conversation.conversation_sid != sid:
            return None
        return seen

    def prune(self) -> None:
        """Forget the states kept longer than KEEP_S."""
        cutoff = self._clock() - KEEP_S
        while self._seen:
            user_id, (at, _) = next(iter(self._seen.items()))
            if at >= cutoff:
                return
            del self._seen[user_id]

    def _get(self, user_id: str) -> PlayerState | None:
        self.prune()
        entry = self._seen.get(user_id)
        return None if entry is None else entry[1]

    def turned(self, event: Event, front: Front, seen: PlayerState, after: ConversationRecord) -> None:
        """A player's turn committed: `seen` is the state it worked on (with the language setting it
        left), worth guessing on if all it did was relay, leaving the conversation (`after`) as it was."""
        if event.kind == "message" and only_relays(front.decision):
            self.kept(event.user.id, seen, after)
        else:
            self._seen.pop(event.user.id, None)

    def kept(self, user_id: str, seen: PlayerState, after: ConversationRecord) -> None:
        """A turn that worked on `seen` committed, leaving the conversation as `after`: remembered
        if that is as it was (an agent's message, a relayed DM), else forgotten."""
        if after == seen.conversation:
            self._seen.put(user_id, (self._clock(), seen))
        else:
            self._seen.pop(user_id, None)


async def cooldown(store: Store, config: Config, event: Event, decision: Decision) -> Decision:
    """Refuse a slash command used more often than its `cooldown` allows, saying when it is usable.

    What counts is what was done: a command that shows a case form counts when the form is
    filed, not when it is opened (and dismissed).
    """
    if event.kind not in ("command", "form") or any(isinstance(a, Refuse) for a in decision.actions):
        return decision
    if event.kind == "form":
        command = next((c for c in config.commands.values() if files_a_case(config, c, event.form)), None)
    else:
        command = config.commands.get(event.command or "")
    if command is None or command.cooldown is None:
        return decision
    shows_form = event.kind == "command" and files_a_case(config, command, None)
    key, limit = f"{event.user.id}/{command.name}", command.cooldown
    async with store.transaction() as tx:  # in the store: every replica counts the same uses
        slot = Slot(key, limit.uses, limit.per_seconds, event.at, once=event.id)
        wait = await tx.take_slot(slot, use=not shows_form)
    if wait is None:
        return decision
    reason = f"You can use /{command.name} again in {describe_wait(wait)}."
    return dataclasses.replace(decision, actions=(Refuse(reason),), explanation=f"refused: {reason}")
