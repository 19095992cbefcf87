"""The report's reads (and the outbox backlog /metrics shows): plain, read-only SQL over the store's
existing tables, mapped to `ReportRows`.

Nothing here writes. The facts come from what the runtime already records:
- cases and their first move to `closed` (`cases`, `case_events`);
- a handoff is a `start_handoff` item of the outbox (its payload names the queue and conversation);
- an agent joined at the case's history note "agent joined" (engine.runtime.conversations);
- a FAQ answer is a `dm` item whose buttons include the chatbot's "solved" or "agent" button;
  "That solved it" is the player's inbound line `[<the button's label>]`;
- knowledge-base gaps: the FAQ bot's questions left unanswered or followed by a request for an agent
  (`faq_questions`, in stores that record them; otherwise the report says they are not recorded).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from engine.reports.rows import CaseRow, FaqRow, GapRow, HandoffRow, ReportRows
from engine.store import Reads, Store, from_text, to_text

CLOSED = "closed"
TOP_GAPS = 10
FAQ_BUTTONS = ("solved", "agent")  # engine.chatbot's SOLVED_BUTTON_ID and AGENT_BUTTON_ID
AGENT_JOINED = "agent joined"  # engine.runtime.conversations.AGENT_JOINED
GAP_TABLE = "faq_questions"  # what the FAQ bot asked and how it ended, in stores that record it

CASES = (
    "SELECT c.ref, c.template, c.created_at, c.rating, "
    "(SELECT MIN(e.at) FROM case_events e WHERE e.case_ref = c.ref AND e.to_status = ?) "
    "FROM cases c WHERE c.created_at >= ? AND c.created_at <= ? ORDER BY c.created_at"
)
HANDOFFS = (
    "SELECT o.case_ref, o.payload, o.created_at, "
    "(SELECT MIN(e.at) FROM case_events e WHERE e.case_ref = o.case_ref AND e.note = ? "
    "AND e.at >= o.created_at) "
    "FROM outbox o WHERE o.kind = 'start_handoff' AND o.case_ref IS NOT NULL "
    "AND o.created_at >= ? AND o.created_at <= ? ORDER BY o.id"
)
FAQ_ANSWERS = (
    "SELECT m.conversation_id, o.created_at, o.payload FROM outbox o JOIN messages m ON m.id = o.message_id "
    "WHERE o.kind = 'dm' AND m.conversation_id IS NOT NULL AND o.created_at >= ? AND o.created_at <= ? "
    "AND o.payload LIKE '%\"buttons\"%' ORDER BY o.id"
)
FAQ_SOLVED = (  # + "AND text IN (?, ?, ...)"
    "SELECT conversation_id, at FROM messages WHERE direction = 'in' AND conversation_id IS NOT NULL "
    "AND at >= ? AND at <= ?"
)
OUTBOX_PENDING = "SELECT kind, COUNT(*), MIN(created_at) FROM outbox WHERE status = 'pending' GROUP BY kind"
GAPS = (  # the same question asked again (case and spaces aside) counts once more
    "SELECT MIN(TRIM(text)), COUNT(*) AS n FROM faq_questions WHERE outcome IN ('unanswered', 'escalated') "
    "AND at >= ? AND at <= ? GROUP BY LOWER(TRIM(text)) ORDER BY n DESC, MIN(TRIM(text)) LIMIT ?"
)
TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"  # SQLite: PostgreSQL reads information_schema


def _buttons(payload: str) -> set[str]:
    try:
        message = json.loads(payload).get("message") or {}
        return {str(button.get("id")) for button in message.get("buttons") or ()}
    except (ValueError, AttributeError):
        return set()


async def _all(view: Reads, query: str, params: Iterable[object] = ()) -> Sequence[Sequence[Any]]:
    return await view.read_sql(query, params)


async def _cases(view: Reads, since: str, until: str) -> tuple[CaseRow, ...]:
    rows = await _all(view, CASES, (CLOSED, since, until))
    return tuple(
        CaseRow(str(r[0]), str(r[1]), from_text(r[2]), from_text(r[4]) if r[4] else None, r[3]) for r in rows
    )


async def _handoffs(view: Reads, since: str, until: str) -> tuple[HandoffRow, ...]:
    found = []
    for ref, payload, created, joined in await _all(view, HANDOFFS, (AGENT_JOINED, since, until)):
        data = json.loads(payload)
        conversation = data.get("conversation_id")
        found.append(
            HandoffRow(
                str(ref),
                str(data.get("queue") or "-"),
                int(conversation) if conversation is not None else None,
                from_text(created),
                from_text(joined) if joined else None,
            )
        )
    return tuple(found)


async def _faq(
    view: Reads, since: str, until: str, solved_labels: Sequence[str]
) -> tuple[tuple[FaqRow, ...], tuple[FaqRow, ...]]:
    answers = tuple(
        FaqRow(int(r[0]), from_text(r[1]))
        for r in await _all(view, FAQ_ANSWERS, (since, until))
        if _buttons(r[2]) & set(FAQ_BUTTONS)
    )
    solved: tuple[FaqRow, ...] = ()
    if solved_labels:
        marks = ", ".join("?" for _ in solved_labels)
        query = f"{FAQ_SOLVED} AND text IN ({marks})"
        texts = [f"[{label}]" for label in solved_labels]
        solved = tuple(
            FaqRow(int(r[0]), from_text(r[1])) for r in await _all(view, query, (since, until, *texts))
        )
    return answers, solved


async def _gaps(view: Reads, since: str, until: str) -> tuple[GapRow, ...] | None:
    tables = {str(r[0]) for r in await _all(view, TABLES)}
    if GAP_TABLE not in tables:
        return None
    return tuple(GapRow(str(r[0]), int(r[1])) for r in await _all(view, GAPS, (since, until, TOP_GAPS)))


async def read_rows(
    store: Store, since: datetime, until: datetime, *, solved_labels: Sequence[str] = ()
) -> ReportRows:
    """Every fact of the period [since, until] the report needs, read in one consistent view."""
    start, end = to_text(since), to_text(until)
    async with store.view() as view:
        cases = await _cases(view, start, end)
        handoffs = await _handoffs(view, start, end)
        answers, solved = await _faq(view, start, end, solved_labels)
        gaps = await _gaps(view, start, end)
    return ReportRows(since, until, cases, handoffs, answers, solved, gaps)


async def outbox_pending(store: Store, now: datetime) -> list[tuple[str, int, float]]:
    """(item kind, items waiting for delivery, age in seconds of the oldest) for /metrics."""
    async with store.view() as view:
        rows = await _all(view, OUTBOX_PENDING)
    return [
        (str(kind), int(n), max(0.0, (now - from_text(oldest)).total_seconds())) for kind, n, oldest in rows
    ]


__all__ = ["outbox_pending", "read_rows"]
