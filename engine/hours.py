"""Business hours: is support open at a given moment, and when does it open next.

Pure functions of (Hours, now); the caller passes the time, so tests inject any moment.
`now` must be timezone-aware; it is converted to the hours' own timezone (zoneinfo).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.config.model import Hours

MINUTES_PER_DAY = 24 * 60
_SEARCH_DAYS = 400  # a year of closed dates plus a week is the longest wait worth describing
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _local(hours: Hours, now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("business hours need a timezone-aware time")
    return now.astimezone(ZoneInfo(hours.timezone))


def _is_open_local(hours: Hours, local: datetime) -> bool:
    if local.date() in hours.closed_on:
        return False
    minute = local.hour * 60 + local.minute
    return any(start <= minute < end for start, end in hours.weekly[local.weekday()])


def is_open(hours: Hours, now: datetime) -> bool:
    """True when `now` falls inside an opening range of its weekday and not on a closed date."""
    return _is_open_local(hours, _local(hours, now))


def _at(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)


def next_open(hours: Hours, now: datetime) -> datetime | None:
    """`now` if open, else the next moment support opens (in the hours' timezone); None if never."""
    local = _local(hours, now)
    if _is_open_local(hours, local):
        return local
    zone = ZoneInfo(hours.timezone)
    today = local.date()
    for offset in range(_SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if day in hours.closed_on:
            continue
        for start, _end in sorted(hours.weekly[day.weekday()]):
            opening = _at(day, start, zone)
            if opening > local and _is_open_local(hours, opening):
                return opening
    return None


def describe_next_open(hours: Hours, now: datetime) -> str:
    """When support opens next, in words: 'now', 'today at 09:00 (Europe/Paris)', 'Monday at 09:00 (…)'.

    A moment is always said with its time zone, as players may live anywhere.
    """
    opening = next_open(hours, now)
    if opening is None:
        return "soon"
    local = _local(hours, now)
    if opening == local:
        return "now"
    clock = f"{opening.hour:02d}:{opening.minute:02d} ({hours.timezone})"
    days_ahead = (opening.date() - local.date()).days
    if days_ahead == 0:
        return f"today at {clock}"
    if days_ahead < 7:
        return f"{DAY_NAMES[opening.weekday()]} at {clock}"
    return f"on {MONTH_NAMES[opening.month - 1]} {opening.day} at {clock}"


# --- reading opening hours from the YAML -----------------------------------------------------

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_GROUPS = {"daily": range(7), "weekdays": range(5), "weekends": range(5, 7)}
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _day(name: str) -> int:
    key = name.strip().lower()[:3]
    if key not in _DAYS or not DAY_NAMES[_DAYS.index(key)].lower().startswith(name.strip().lower()):
        raise ValueError(f"'{name}' is not a day; use mon, tue, wed, thu, fri, sat or sun")
    return _DAYS.index(key)


def parse_days(spec: str) -> list[int]:
    """Weekday numbers (0 = Monday) of 'mon-fri', 'sat', 'mon,wed,fri', 'fri-mon', 'daily'."""
    days: list[int] = []
    for part in str(spec).split(","):
        part = part.strip().lower()
        if part in _DAY_GROUPS:
            days.extend(_DAY_GROUPS[part])
            continue
        first, sep, last = part.partition("-")
        start = _day(first)
        end = _day(last) if sep else start
        days.extend((start + i) % 7 for i in range((end - start) % 7 + 1))
    return days


def parse_range(spec: str) -> tuple[int, int]:
    """Minutes since midnight of '09:00-18:00'; an end before the start means past midnight."""
    found = _RANGE.match(str(spec).strip())
    if not found:
        raise ValueError(f"'{spec}' is not a time range; write it like 09:00-18:00")
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > MINUTES_PER_DAY:
        raise ValueError(f"'{spec}' has a time that does not exist; use 00:00 to 24:00")
    if start == end:
        raise ValueError(f"'{spec}' starts and ends at the same time; to stay open all day write 00:00-24:00")
    return start, end


def _merge(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _closed_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"'{value}' in closed_on is not a date; write it like 2026-12-25") from None


def parse_hours_spec(node: Mapping[str, Any]) -> Hours:
    """Hours from `{timezone, open: {"mon-fri": "09:00-18:00", sat: [...]}, closed_on: [...]}`.

    A range that ends before it starts ('22:00-02:00') runs past midnight into the next day.
    """
    timezone = str(node.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone '{timezone}'; use a name like America/Los_Angeles or UTC"
        ) from None
    weekly: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for days, ranges in (node.get("open") or {}).items():
        for spec in [ranges] if isinstance(ranges, str) else ranges:
            for piece in str(spec).split(","):
                start, end = parse_range(piece)
                for day in parse_days(str(days)):
                    if start < end:
                        weekly[day].append((start, end))
                    else:
                        weekly[day].append((start, MINUTES_PER_DAY))
                        weekly[(day + 1) % 7].append((0, end))
    return Hours(
        timezone=timezone,
        weekly=tuple(_merge(day) for day in weekly),
        closed_on=tuple(_closed_date(d) for d in node.get("closed_on") or ()),
    )
