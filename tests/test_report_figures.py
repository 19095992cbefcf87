"""engine.reports.figures on hand-made rows: the rules behind the FAQ outcomes, percentiles and SLA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.config.model import Queue
from engine.reports.figures import compute, spread
from engine.reports.rows import CaseRow, FaqRow, HandoffRow, ReportRows

T0 = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def rows(**parts: object) -> ReportRows:
    return ReportRows(since=T0 - timedelta(days=7), until=minutes(600), **parts)  # type: ignore[arg-type]


def test_each_faq_answer_gets_the_first_outcome_before_the_next_answer_within_30_minutes() -> None:
    report = compute(
        rows(
            faq_answers=(
                FaqRow(1, minutes(0)),
                FaqRow(1, minutes(5)),
                FaqRow(2, minutes(0)),
                FaqRow(3, minutes(0)),
            ),
            faq_solved=(FaqRow(1, minutes(6)), FaqRow(2, minutes(31))),
            handoffs=(HandoffRow("SUP-1", "support", 3, minutes(29)),),
        ),
        {},
        None,
        minutes(600),
    )
    # conversation 1: asked again (gave up on the first answer), then solved; 2: solved too late; 3: agent
    assert (report.faq.answers, report.faq.solved, report.faq.escalated, report.faq.gave_up) == (4, 1, 1, 2)


def test_median_and_nearest_rank_90th_percentile() -> None:
    assert spread([]).median_s is None
    assert (spread([60]).median_s, spread([60]).p90_s) == (60.0, 60.0)
    assert (spread([240, 60, 180, 120]).median_s, spread([240, 60, 180, 120]).p90_s) == (150.0, 240.0)
    ten = spread([float(n) for n in range(1, 11)])
    assert (ten.median_s, ten.p90_s) == (5.5, 9.0)


def test_sla_counts_only_cases_of_queues_with_targets_and_overdue_open_ones() -> None:
    queues = {"support": Queue("support", first_response_seconds=300), "vip": Queue("vip")}
    report = compute(
        rows(
            cases=(
                CaseRow("SUP-1", "support", minutes(0)),
                CaseRow("SUP-2", "support", minutes(0)),
                CaseRow("SUP-3", "support", minutes(0)),
            ),
            handoffs=(
                HandoffRow("SUP-1", "support", 1, minutes(0), minutes(5)),  # exactly on target: met
                HandoffRow("SUP-2", "support", 2, minutes(0), None),  # still waiting at 10 h: missed
                HandoffRow("SUP-3", "vip", 3, minutes(0), minutes(60)),  # vip has no target
                HandoffRow("SUP-1", "support", 1, minutes(20), minutes(50)),  # a second handoff: not timed
            ),
        ),
        queues,
        None,
        minutes(600),
    )
    assert [(t.queue, t.kind, t.checked, t.breached) for t in report.sla] == [
        ("support", "first_response", 2, 1)
    ]
    assert [(b.case_ref, b.took_s) for b in report.breaches] == [("SUP-2", None)]
    assert (report.waiting.count, report.waiting.median_s, report.waiting.pending) == (2, 1950.0, 1)
