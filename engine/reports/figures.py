"""The support report's figures, computed from plain rows: pure, no I/O, time passed in.

`compute(rows, queues, hours, now)` -> `Report`. Days and hours of the week are counted in the
business-hours time zone (UTC when the config sets no hours). Waiting time is handoff -> agent
joined; resolution is case opened -> first closed. Medians are the middle value (the mean of the
two middle values for an even count); the 90th percentile is the nearest rank.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from engine.config.model import Hours, Queue
from engine.hours import is_open
from engine.reports.rows import CaseRow, GapRow, HandoffRow, ReportRows

FAQ_WINDOW = timedelta(minutes=30)
"""How long after an answer a "That solved it" or a handoff still counts as its outcome."""
NO_QUEUE = "-"
RATINGS = (1, 2, 3, 4, 5)
SlaKind = Literal["first_response", "resolution"]


@dataclass(frozen=True, slots=True)
class Opened:
    """Cases opened on one local day from one template, in one queue ("-": never handed off)."""

    day: str
    template: str
    queue: str
    count: int


@dataclass(frozen=True, slots=True)
class Spread:
    """How long something took: how many, the median and the 90th percentile (seconds)."""

    count: int
    median_s: float | None
    p90_s: float | None
    pending: int  # still waiting (no agent yet) or still open


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """Player ratings (1-5) of the cases opened in the period."""

    count: int
    average: float | None
    distribution: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class Deflection:
    """What followed each FAQ answer: the player said it solved it, asked for an agent, or neither."""

    answers: int
    solved: int
    escalated: int
    gave_up: int


@dataclass(frozen=True, slots=True)
class HourCell:
    """Cases opened in one hour of the week (weekday 0 = Monday, local time), and whether support is open."""

    weekday: int
    hour: int
    count: int
    open: bool


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """One queue's target of one kind: how many cases were checked against it and how many missed it."""

    queue: str
    kind: SlaKind
    target_s: int
    checked: int
    breached: int


@dataclass(frozen=True, slots=True)
class SlaBreach:
    """A case that missed its queue's target; `took_s` is None while it is still not done."""

    case_ref: str
    queue: str
    kind: SlaKind
    target_s: int
    took_s: float | None


@dataclass(frozen=True, slots=True)
class Report:
    """Every figure of one support report."""

    since: datetime
    until: datetime
    timezone: str
    cases: int
    opened: tuple[Opened, ...]
    waiting: Spread
    resolution: Spread
    satisfaction: Satisfaction
    faq: Deflection
    hours: tuple[HourCell, ...]
    sla: tuple[SlaTarget, ...]
    breaches: tuple[SlaBreach, ...]
    gaps: tuple[GapRow, ...] | None


def spread(durations: Sequence[float], pending: int = 0) -> Spread:
    """Count, median and nearest-rank 90th percentile of `durations` (seconds).

    >>> spread([60, 120, 180, 240]).median_s, spread([60, 120, 180, 240]).p90_s
    (150.0, 240.0)
    """
    if not durations:
        return Spread(0, None, None, pending)
    ordered = sorted(durations)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return Spread(len(ordered), float(statistics.median(ordered)), float(p90), pending)


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def first_handoffs(handoffs: Iterable[HandoffRow]) -> dict[str, HandoffRow]:
    """Each case's first handoff (a case handed off again keeps its first queue and wait)."""
    first: dict[str, HandoffRow] = {}
    for row in sorted(handoffs, key=lambda h: h.handed_at):
        first.setdefault(row.case_ref, row)
    return first


def _opened(cases: Sequence[CaseRow], queue_of: Mapping[str, str], zone: ZoneInfo) -> tuple[Opened, ...]:
    counts = Counter(
        (c.opened_at.astimezone(zone).date().isoformat(), c.template, queue_of.get(c.ref, NO_QUEUE))
        for c in cases
    )
    return tuple(Opened(day, template, queue, n) for (day, template, queue), n in sorted(counts.items()))


def _satisfaction(cases: Sequence[CaseRow]) -> Satisfaction:
    ratings = [c.rating for c in cases if c.rating in RATINGS]
    counts = Counter(ratings)
    average = round(sum(r for r in ratings if r is not None) / len(ratings), 2) if ratings else None
    return Satisfaction(len(ratings), average, {r: counts.get(r, 0) for r in RATINGS})


def _week(
    cases: Sequence[CaseRow], hours: Hours | None, zone: ZoneInfo, now: datetime
) -> tuple[HourCell, ...]:
    """7 x 24 cells; open/closed is read on the current week's calendar (closed dates ignored)."""
    counts = Counter(
        (c.opened_at.astimezone(zone).weekday(), c.opened_at.astimezone(zone).hour) for c in cases
    )
    local = now.astimezone(zone)
    monday = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=local.weekday())
    cells = []
    for weekday in range(7):
        for hour in range(24):
            moment = monday + timedelta(days=weekday, hours=hour, minutes=30)
            open_now = True if hours is None else _open_weekly(hours, moment)
            cells.append(HourCell(weekday, hour, counts.get((weekday, hour), 0), open_now))
    return tuple(cells)


def _open_weekly(hours: Hours, moment: datetime) -> bool:
    weekly_only = Hours(timezone=hours.timezone, weekly=hours.weekly)
    return is_open(weekly_only, moment)


def faq_outcomes(rows: ReportRows) -> Deflection:
    """Each FAQ answer's outcome: the first "solved" or handoff of the same conversation before its
    next answer and within FAQ_WINDOW; otherwise the player gave up."""
    events: dict[int, list[tuple[datetime, int, str]]] = {}
    for answer in rows.faq_answers:
        events.setdefault(answer.conversation_id, []).append((answer.at, 0, "answer"))
    for solved in rows.faq_solved:
        events.setdefault(solved.conversation_id, []).append((solved.at, 1, "solved"))
    for handoff in rows.handoffs:
        if handoff.conversation_id is not None:
            events.setdefault(handoff.conversation_id, []).append((handoff.handed_at, 1, "escalated"))
    outcomes: Counter[str] = Counter()
    for timeline in events.values():
        timeline.sort()
        for i, (at, _, kind) in enumerate(timeline):
            if kind == "answer":
                outcomes[_outcome(at, timeline[i + 1 :])] += 1
    return Deflection(sum(outcomes.values()), outcomes["solved"], outcomes["escalated"], outcomes["gave_up"])


def _outcome(at: datetime, later: Sequence[tuple[datetime, int, str]]) -> str:
    for when, _, kind in later:
        if kind == "answer" or when - at > FAQ_WINDOW:
            return "gave_up"
        return kind
    return "gave_up"


def compute(rows: ReportRows, queues: Mapping[str, Queue], hours: Hours | None, now: datetime) -> Report:
    """The report of `rows`; `queues` give the SLA targets, `hours` the time zone and opening hours."""
    zone = ZoneInfo(hours.timezone) if hours is not None else ZoneInfo("UTC")
    handoffs = first_handoffs(rows.handoffs)
    queue_of = {ref: h.queue for ref, h in handoffs.items()}
    joined = [h for h in handoffs.values() if h.joined_at is not None]
    closed = [c for c in rows.cases if c.closed_at is not None]
    targets, breaches = check_sla(rows.cases, handoffs, queues, now)
    return Report(
        since=rows.since,
        until=rows.until,
        timezone=str(zone),
        cases=len(rows.cases),
        opened=_opened(rows.cases, queue_of, zone),
        waiting=spread(
            [_seconds(h.handed_at, h.joined_at) for h in joined if h.joined_at is not None],
            pending=len(handoffs) - len(joined),
        ),
        resolution=spread(
            [_seconds(c.opened_at, c.closed_at) for c in closed if c.closed_at is not None],
            pending=len(rows.cases) - len(closed),
        ),
        satisfaction=_satisfaction(rows.cases),
        faq=faq_outcomes(rows),
        hours=_week(rows.cases, hours, zone, now),
        sla=targets,
        breaches=breaches,
        gaps=rows.gaps,
    )


def _targets(queue: Queue) -> list[tuple[SlaKind, int]]:
    kinds: tuple[tuple[SlaKind, int | None], ...] = (
        ("first_response", queue.first_response_seconds),
        ("resolution", queue.resolution_seconds),
    )
    return [(kind, target) for kind, target in kinds if target is not None]


def check_sla(
    cases: Sequence[CaseRow], handoffs: Mapping[str, HandoffRow], queues: Mapping[str, Queue], now: datetime
) -> tuple[tuple[SlaTarget, ...], tuple[SlaBreach, ...]]:
    """Every handed-off case against its queue's `sla:`; a case not done yet breaches once overdue."""
    by_ref = {c.ref: c for c in cases}
    checked: Counter[tuple[str, SlaKind]] = Counter()
    breaches: list[SlaBreach] = []
    for ref, handoff in sorted(handoffs.items(), key=lambda item: item[1].handed_at):
        queue = queues.get(handoff.queue)
        case = by_ref.get(ref)
        if queue is None or case is None:
            continue
        spans: dict[SlaKind, tuple[datetime, datetime | None]] = {
            "first_response": (handoff.handed_at, handoff.joined_at),
            "resolution": (case.opened_at, case.closed_at),
        }
        for kind, target in _targets(queue):
            start, end = spans[kind]
            checked[(queue.name, kind)] += 1
            took = _seconds(start, end) if end is not None else None
            if (took if took is not None else _seconds(start, now)) > target:
                breaches.append(SlaBreach(ref, queue.name, kind, target, took))
    missed = Counter((b.queue, b.kind) for b in breaches)
    targets = tuple(
        SlaTarget(name, kind, target, checked[(name, kind)], missed[(name, kind)])
        for name, queue in sorted(queues.items())
        for kind, target in _targets(queue)
    )
    return targets, tuple(breaches)


__all__ = [
    "FAQ_WINDOW",
    "NO_QUEUE",
    "Deflection",
    "HourCell",
    "Opened",
    "Report",
    "Satisfaction",
    "SlaBreach",
    "SlaTarget",
    "Spread",
    "compute",
    "faq_outcomes",
    "first_handoffs",
    "spread",
]
