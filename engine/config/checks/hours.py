"""Business hours as the bot will read them: a real timezone, real dates, times in order.

A range that ends before it starts runs past midnight ('22:00-02:00'); one that would then stay
open most of a day ('14:00-10:00') is far more often two times swapped, and gets a warning.

Each mistake is reported once: a date the schema already refused for its form (`25/12/2026`) is
not reported again as "not in the calendar".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from engine.config.diagnostics import Diagnostic, did_you_mean
from engine.config.schema.definitions import DATE
from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList, mark_of

__all__ = ["hours_problems"]

_ABBREVIATIONS = {
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "PT": "America/Los_Angeles",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "ET": "America/New_York",
    "GMT": "Europe/London",
    "BST": "Europe/London",
    "CET": "Europe/Paris",
    "CEST": "Europe/Paris",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "AEST": "Australia/Sydney",
}
"""Abbreviations people write, and the zone that keeps summer time right for the usual place."""
_LONGEST_NIGHT = 12 * 60
"""Past-midnight ranges longer than this (in minutes) are most likely swapped times."""
_RANGE = re.compile(r"(\d{1,2}):(\d{2}) ?- ?(\d{1,2}):(\d{2})")


def _diag(mark: Mark, message: str, hint: str) -> Diagnostic:
    return Diagnostic(mark.file, mark.line, mark.col, "error", message, hint)


def hours_problems(hours: MarkedDict) -> list[Diagnostic]:
    """Every problem of the `hours:` section the schema cannot see."""
    return [*_timezone(hours), *_dates(hours), *_ranges(hours)]


def _timezone(hours: MarkedDict) -> Iterator[Diagnostic]:
    zone = hours.get("timezone")
    if not isinstance(zone, str) or not zone or _is_timezone(zone):
        return
    mark = mark_of(hours, "timezone") or hours.mark
    named = _ABBREVIATIONS.get(zone.upper()) or _ABBREVIATIONS.get(zone.upper().replace(" ", ""))
    if named:
        hint = f"write the place, not the abbreviation: {named} (it follows summer time by itself)"
    else:
        suggestion = did_you_mean(zone.replace(" ", "_"), available_timezones())
        hint = suggestion or "use a name like America/Los_Angeles or UTC"
    yield _diag(mark, f"unknown timezone '{zone}'", hint)


def _is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _dates(hours: MarkedDict) -> Iterator[Diagnostic]:
    days = hours.get("closed_on")
    if not isinstance(days, MarkedList):
        return
    for index, day in enumerate(days):
        if not isinstance(day, str) or not re.search(DATE, day):
            continue  # the schema explains values of the wrong form
        try:
            date.fromisoformat(day)
        except ValueError:
            mark = mark_of(days, index) or days.mark
            yield _diag(mark, f"'{day}' is not a date in the calendar", "write it like 2026-12-25")


def _ranges(hours: MarkedDict) -> Iterator[Diagnostic]:
    """A range that runs past midnight for most of a day is far more often two times swapped."""
    opening = hours.get("open")
    if not isinstance(opening, MarkedDict):
        return
    for day, value in opening.items():
        texts = [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]
        for text in texts:
            for found in _RANGE.finditer(text):
                start = int(found.group(1)) * 60 + int(found.group(2))
                end = int(found.group(3)) * 60 + int(found.group(4))
                span = (end - start) % (24 * 60)
                if end <= start and span > _LONGEST_NIGHT:
                    mark = mark_of(opening, day) or opening.mark
                    swapped = f"{found.group(3)}:{found.group(4)}-{found.group(1)}:{found.group(2)}"
                    yield Diagnostic(
                        mark.file,
                        mark.line,
                        mark.col,
                        "warning",
                        f"'{found.group(0)}' ends before it starts, so it runs past midnight: open "
                        f"{span // 60} hours from {found.group(1)}:{found.group(2)} ({day})",
                        f"if you meant {swapped}, write the opening time first",
                    )
