"""A week of made-up support history, written to a store the way the runtime writes it, so the reports
page has something to show in the sandbox (`flexcord sandbox --seed-demo-data`).

Deterministic for a given seed and moment. `seed_week` returns what it wrote (`DemoWeek`), so a
test can check the report against the facts put in, not against the report's own arithmetic.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from engine.config.model import Config
from engine.deliveries import DirectMessage, StartHandoff
from engine.events import Button, OutMessage
from engine.hours import is_open
from engine.ports import HandoffRequest
from engine.runtime.conversations import AGENT_JOINED
from engine.runtime.wire import contact_lane, dm_lane
from engine.store import NewCase, NewMessage, Store, Writes

PLAYERS = (
    "Ash",
    "Misty",
    "Brock",
    "May",
    "Dawn",
    "Serena",
    "Gary",
    "Iris",
    "Cilan",
    "Clemont",
    "Lillie",
    "Gou",
)
AGENTS = ("Nurse Joy", "Officer Jenny", "Professor Oak")
SUPPORT_TEMPLATE, SOLVED_LABEL = "support", "That solved it"
SEEDED = "demo_data_seeded_at"
ANSWERED_QUESTIONS = ("how do I reset my password", "when is the next raid", "how do I trade with friends")
GAP_QUESTIONS = (
    "how do I delete my account",
    "how do I delete my account",
    "can I change my trainer name",
    "why was my account banned",
    "do you have a student discount",
)


@dataclass
class DemoWeek:
    """What `seed_week` wrote: case counts by template, ratings, FAQ answers by outcome."""

    cases: dict[str, int] = field(default_factory=dict)
    ratings: list[int] = field(default_factory=list)
    handoffs: int = 0
    faq: dict[str, int] = field(default_factory=lambda: {"solved": 0, "escalated": 0, "gave_up": 0})
    gaps: dict[str, int] | None = None  # questions unanswered or escalated; None: the store keeps none

    @property
    def total(self) -> int:
        return sum(self.cases.values())


@dataclass
class _Writer:
    """Writes one made-up player's story in one transaction."""

    tx: Writes
    config: Config
    rng: random.Random
    week: DemoWeek
    now: datetime
    number: int = 0

    def _queues(self) -> Sequence[str]:
        return sorted(self.config.queues) or ["support"]

    async def _dm(
        self, user: str, conversation: int, text: str, at: datetime, key: str, **extra: object
    ) -> None:
        buttons = extra.get("buttons", ())
        message = OutMessage(text=text, buttons=buttons if isinstance(buttons, tuple) else ())
        case_ref = extra.get("case_ref")
        ref = str(case_ref) if case_ref is not None else None
        message_id = await self.tx.add_message(
            NewMessage(
                conversation_id=conversation,
                case_ref=ref,
                direction="out",
                author="bot",
                text=text,
                where="dm",
                at=at,
            )
        )
        item = await self.tx.enqueue(
            lane=dm_lane(user),
            delivery=DirectMessage(user, message),
            key=key,
            at=at,
            case_ref=ref,
            message_id=message_id,
        )
        await self.tx.mark_delivered(item, at)

    async def player(self, at: datetime) -> None:
        """One player's visit: a FAQ answer, maybe a support chat, or a bug/feature report."""
        self.number += 1
        name = self.rng.choice(PLAYERS)
        user = f"demo-{self.number}"
        conversation = (await self.tx.open_conversation(user, name, at)).id
        roll = self.rng.random()
        if roll < 0.35:
            await self._report(user, name, conversation, at, "bug" if roll < 0.22 else "feature")
            return
        buttons = (Button("solved", SOLVED_LABEL, "success"), Button("agent", "Talk to an agent", "primary"))
        await self._dm(user, conversation, "Here is what I found.", at, f"demo:{user}:faq", buttons=buttons)
        outcome = self.rng.choice(("solved", "solved", "escalated", "escalated", "gave_up"))
        self.week.faq[outcome] += 1
        await self._question(user, outcome, at)
        if outcome == "solved":
            await self.tx.add_message(
                NewMessage(
                    conversation_id=conversation,
                    case_ref=None,
                    direction="in",
                    author=name,
                    text=f"[{SOLVED_LABEL}]",
                    where="dm",
                    at=at + timedelta(minutes=1),
                )
            )
        elif outcome == "escalated":
            await self._support(user, name, conversation, at + timedelta(minutes=2))

    async def _question(self, user: str, outcome: str, at: datetime) -> None:
        """What the player asked, in stores where the FAQ bot records its questions (gaps)."""
        record = getattr(self.tx, "record_faq_question", None)
        if record is None:
            return
        gap = outcome != "solved" and self.rng.random() < 0.6
        text = self.rng.choice(GAP_QUESTIONS if gap else ANSWERED_QUESTIONS)
        recorded = {"solved": "solved", "escalated": "escalated"}.get(
            outcome, "unanswered" if gap else "suggested"
        )
        await record(user, text, "en", recorded, at)
        if recorded in ("unanswered", "escalated"):
            self.week.gaps = self.week.gaps or {}
            self.week.gaps[text] = self.week.gaps.get(text, 0) + 1

    async def _case(self, template: str, user: str, name: str, conversation: int, at: datetime) -> str:
        spec = self.config.cases.get(template)
        case = await self.tx.create_case(
            NewCase(
                template=template,
                prefix=spec.prefix if spec else template[:3].upper(),
                title=f"{template} from {name}",
                status=spec.statuses[0] if spec and spec.statuses else "open",
                reporter_id=user,
                reporter_name=name,
                where="dm",
                fields={},
                conversation_id=conversation,
                at=at,
            )
        )
        self.week.cases[template] = self.week.cases.get(template, 0) + 1
        return case.ref

    async def _report(self, user: str, name: str, conversation: int, at: datetime, template: str) -> None:
        if template not in self.config.cases:
            return
        ref = await self._case(template, user, name, conversation, at)
        later = at + timedelta(hours=self.rng.uniform(2, 60))
        if self.rng.random() < 0.4 and later < self.now:
            await self.tx.change_case(ref, "closed", who="moderator", note="done", at=later)

    async def _support(self, user: str, name: str, conversation: int, at: datetime) -> None:
        if SUPPORT_TEMPLATE not in self.config.cases:
            return
        ref = await self._case(SUPPORT_TEMPLATE, user, name, conversation, at)
        queue = self.rng.choice(self._queues())
        request = HandoffRequest(user_id=user, user_name=name, case_ref=ref, queue=queue)
        item = await self.tx.enqueue(
            lane=contact_lane(user),
            delivery=StartHandoff(conversation, request),
            key=f"demo:{ref}:handoff",
            at=at,
            case_ref=ref,
        )
        await self.tx.mark_delivered(item, at)
        self.week.handoffs += 1
        if self.rng.random() < 0.1:
            return  # nobody picked up yet
        joined = at + timedelta(seconds=self.rng.lognormvariate(5.3, 0.7))
        agent = self.rng.choice(AGENTS)
        await self.tx.change_case(ref, "open", who=agent, note=AGENT_JOINED, at=joined)
        await self._dm(
            user, conversation, f"{agent} joined the chat.", joined, f"demo:{ref}:joined", case_ref=ref
        )
        closed = joined + timedelta(minutes=self.rng.uniform(3, 40))
        await self.tx.change_case(ref, "closed", who=agent, note="chat closed", at=closed)
        if self.rng.random() < 0.75:
            rating = self.rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 2, 5, 6))[0]
            await self.tx.rate_case(ref, rating, closed + timedelta(minutes=1))
            self.week.ratings.append(rating)


def _moments(config: Config, rng: random.Random, now: datetime, days: int) -> list[datetime]:
    """When players came, over the `days` before `now`: mostly in business hours, some at night."""
    zone = ZoneInfo(config.hours.timezone) if config.hours else ZoneInfo("UTC")
    start = now - timedelta(days=days)
    moments: list[datetime] = []
    while len(moments) < 12 * days:
        moment = start + timedelta(seconds=rng.uniform(0, days * 86400 - 7200))
        local_open = config.hours is None or is_open(config.hours, moment.astimezone(zone))
        if local_open or rng.random() < 0.2:
            moments.append(moment)
    return sorted(moments)


async def seed_week(
    store: Store, config: Config, now: datetime, *, seed: int = 7, days: int = 7
) -> DemoWeek | None:
    """Write `days` of made-up history ending at `now` into `store`; returns what was written
    (None when this store was seeded before: a restart on the same data keeps its history)."""
    rng = random.Random(seed)
    week = DemoWeek()
    async with store.transaction() as tx:
        if await tx.get_setting(SEEDED) is not None:
            return None
        await tx.put_setting(SEEDED, now.isoformat())
        writer = _Writer(tx, config, rng, week, now)
        for moment in _moments(config, rng, now, days):
            await writer.player(moment)
    return week


__all__ = ["DemoWeek", "seed_week"]
