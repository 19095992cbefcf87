"""What a report is computed from: plain rows read from the store, one dataclass per kind of fact.

The store's reading side (`engine.reports.queries`) fills a `ReportRows`; the pure
`engine.reports.figures.compute` turns it into the figures. Tests build rows (or a store) by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case opened in the period: its template, when it opened and closed, the player's rating."""

    ref: str
    template: str
    opened_at: datetime
    closed_at: datetime | None = None
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class HandoffRow:
    """A case handed to a live agent: the queue, when it was handed off, when an agent first joined."""

    case_ref: str
    queue: str
    conversation_id: int | None
    handed_at: datetime
    joined_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FaqRow:
    """A moment of a conversation with the FAQ bot: it answered (articles, or "I couldn't find
    anything"), or the player pressed "That solved it"."""

    conversation_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class GapRow:
    """A question the knowledge base did not answer well, and how often it was asked."""

    question: str
    count: int


@dataclass(frozen=True, slots=True)
class ReportRows:
    """Everything read for one report period [since, until]."""

    since: datetime
    until: datetime
    cases: tuple[CaseRow, ...] = ()
    handoffs: tuple[HandoffRow, ...] = ()
    faq_answers: tuple[FaqRow, ...] = ()
    faq_solved: tuple[FaqRow, ...] = ()
    gaps: tuple[GapRow, ...] | None = field(default=None)  # None: this store records no gaps yet
