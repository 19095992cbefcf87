"""A `Report` as JSON (what the reports page draws), CSV (section,key,value lines) and a text table."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from engine.reports.figures import Report, Spread

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _spread(s: Spread) -> dict[str, object]:
    return {"count": s.count, "median_s": s.median_s, "p90_s": s.p90_s, "pending": s.pending}


def _faq(r: Report) -> dict[str, object]:
    return {
        "answers": r.faq.answers,
        "solved": r.faq.solved,
        "escalated": r.faq.escalated,
        "gave_up": r.faq.gave_up,
    }


def as_json(report: Report) -> dict[str, object]:
    """Every figure, JSON-ready; times are ISO 8601, durations in seconds."""
    r = report
    return {
        "since": r.since.isoformat(),
        "until": r.until.isoformat(),
        "timezone": r.timezone,
        "cases": r.cases,
        "opened": [
            {"day": o.day, "template": o.template, "queue": o.queue, "count": o.count} for o in r.opened
        ],
        "waiting": _spread(r.waiting),
        "resolution": _spread(r.resolution),
        "satisfaction": {
            "count": r.satisfaction.count,
            "average": r.satisfaction.average,
            "distribution": {str(k): v for k, v in r.satisfaction.distribution.items()},
        },
        "faq": _faq(r),
        "hours": [{"weekday": c.weekday, "hour": c.hour, "count": c.count, "open": c.open} for c in r.hours],
        "sla": [
            {
                "queue": t.queue,
                "kind": t.kind,
                "target_s": t.target_s,
                "checked": t.checked,
                "breached": t.breached,
            }
            for t in r.sla
        ],
        "breaches": [
            {"case": b.case_ref, "queue": b.queue, "kind": b.kind, "target_s": b.target_s, "took_s": b.took_s}
            for b in r.breaches
        ],
        "gaps": None if r.gaps is None else [{"question": g.question, "count": g.count} for g in r.gaps],
    }


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def lines(report: Report) -> Iterator[tuple[str, str, str]]:
    """(section, key, value) for every figure: the CSV rows, one fact each."""
    yield "period", "since", report.since.isoformat()
    yield "period", "until", report.until.isoformat()
    yield "period", "timezone", report.timezone
    yield "cases", "total", _cell(report.cases)
    for o in report.opened:
        yield "opened", f"{o.day}/{o.template}/{o.queue}", _cell(o.count)
    for section, spread in (("waiting", report.waiting), ("resolution", report.resolution)):
        for key, value in _spread(spread).items():
            yield section, key, _cell(value)
    yield "satisfaction", "count", _cell(report.satisfaction.count)
    yield "satisfaction", "average", _cell(report.satisfaction.average)
    for rating, count in report.satisfaction.distribution.items():
        yield "satisfaction", f"rating_{rating}", _cell(count)
    for key, value in _faq(report).items():
        yield "faq", key, _cell(value)
    for c in report.hours:
        yield "hours", f"{WEEKDAYS[c.weekday]}/{c.hour:02d}", f"{c.count}{'' if c.open else ' closed'}"
    for t in report.sla:
        yield "sla", f"{t.queue}/{t.kind}", f"{t.breached}/{t.checked} over {t.target_s}s"
    for b in report.breaches:
        yield "breach", f"{b.case_ref}/{b.queue}/{b.kind}", "open" if b.took_s is None else _cell(b.took_s)
    if report.gaps is None:
        yield "gaps", "recorded", "no"
    else:
        for g in report.gaps:
            yield "gaps", g.question, _cell(g.count)


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("section", "key", "value"))
    writer.writerows(lines(report))
    return out.getvalue()


def duration(seconds: float | None) -> str:
    """Seconds for people: 45s, 12m, 3h 05m, 2d 4h."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s" if s % 60 else f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def _share(part: int, whole: int) -> str:
    return f" ({round(100 * part / whole)}%)" if whole else ""


def as_table(report: Report) -> str:
    """The report for a terminal: headline figures, then the details."""
    r = report
    faq = r.faq
    out = [
        f"Support report {r.since:%Y-%m-%d %H:%M} to {r.until:%Y-%m-%d %H:%M} UTC (days in {r.timezone})",
        "",
        f"Cases opened: {r.cases}",
    ]
    if r.opened:
        out.append(f"  {'DAY':<10}  {'TEMPLATE':<16} {'QUEUE':<12} CASES")
    out += [f"  {o.day}  {o.template:<16} {o.queue:<12} {o.count}" for o in r.opened]
    wait, done = r.waiting, r.resolution
    out += [
        "",
        f"Waiting for an agent: median {duration(wait.median_s)}, 90% within {duration(wait.p90_s)}"
        f" ({wait.count} joined, {wait.pending} still waiting)",
        f"Time to resolution: median {duration(done.median_s)}, 90% within {duration(done.p90_s)}"
        f" ({done.count} closed, {done.pending} still open)",
    ]
    csat = r.satisfaction
    stars = "  ".join(f"{k}: {v}" for k, v in csat.distribution.items())
    average = "-" if csat.average is None else f"{csat.average:.2f}"
    out += [f"Satisfaction: average {average} of 5 from {csat.count} ratings  ({stars})"]
    out += [
        f"FAQ bot: {faq.answers} answers: {faq.solved} solved{_share(faq.solved, faq.answers)}, "
        f"{faq.escalated} asked for an agent, {faq.gave_up} gave up",
        "",
        "Busiest hours (local time):",
    ]
    busiest = sorted((c for c in r.hours if c.count), key=lambda c: (-c.count, c.weekday, c.hour))[:5]
    out += [
        f"  {WEEKDAYS[c.weekday]} {c.hour:02d}:00  {c.count} cases  ({'open' if c.open else 'CLOSED'})"
        for c in busiest
    ] or ["  (no cases)"]
    out += ["", "Service levels:"]
    out += [
        f"  {t.queue:<12} {t.kind:<15} within {duration(t.target_s)}: {t.breached} of {t.checked} missed"
        for t in r.sla
    ] or ["  (no queue sets sla: in routes)"]
    out += [
        f"  missed: {b.case_ref} ({b.queue}, {b.kind.replace('_', ' ')}): "
        + ("not done yet" if b.took_s is None else f"took {duration(b.took_s)}")
        for b in r.breaches
    ]
    out += ["", "Knowledge-base gaps:"]
    if r.gaps is None:
        out.append("  not recorded yet (this store keeps no record of the FAQ bot's questions)")
    else:
        out += [f"  {g.count:>4}  {g.question}" for g in r.gaps] or ["  none"]
    return "\n".join(out)


__all__ = ["as_csv", "as_json", "as_table", "duration", "lines"]
