"""Business hours: open/closed at injected moments, the next opening, and how it reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.hours import describe_next_open, is_open, next_open, parse_days, parse_hours_spec, parse_range

LA = ZoneInfo("America/Los_Angeles")

# The demo's hours: weekdays 09-18, Saturday 10-14, closed on Christmas and New Year's Day.
DEMO = parse_hours_spec(
    {
        "timezone": "America/Los_Angeles",
        "open": {"mon-fri": "09:00-18:00", "sat": "10:00-14:00"},
        "closed_on": ["2026-12-25", date(2027, 1, 1)],
    }
)


def la(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LA)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23T09:00", True),  # Monday, opening minute
        ("2026-11-23T08:59", False),
        ("2026-11-23T17:59", True),
        ("2026-11-23T18:00", False),  # the end is not included
        ("2026-11-28T11:00", True),  # Saturday
        ("2026-11-28T14:30", False),
        ("2026-11-22T12:00", False),  # Sunday
        ("2026-12-25T12:00", False),  # closed date, a Friday
        ("2026-12-24T12:00", True),
    ],
)
def test_is_open_in_the_hours_timezone(moment: str, expected: bool) -> None:
    assert is_open(DEMO, la(moment)) is expected


def test_a_moment_in_another_timezone_is_converted() -> None:
    # 17:30 UTC on a Monday in November is 09:30 in Los Angeles (UTC-8).
    assert is_open(DEMO, datetime(2026, 11, 23, 17, 30, tzinfo=UTC))
    assert not is_open(DEMO, datetime(2026, 11, 23, 16, 30, tzinfo=UTC))


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(DEMO, datetime(2026, 11, 23, 10, 0))


def test_across_the_spring_dst_change() -> None:
    # 2026-03-08 is the Sunday clocks go forward in Los Angeles; Monday 09:00 is now UTC-7.
    assert is_open(DEMO, datetime(2026, 3, 9, 16, 0, tzinfo=UTC))  # 09:00 PDT (08:00 in winter time)
    assert not is_open(DEMO, datetime(2026, 3, 10, 1, 30, tzinfo=UTC))  # 18:30 PDT (17:30 in winter)
    opening = next_open(DEMO, la("2026-03-08T01:00"))
    assert opening == la("2026-03-09T09:00")
    assert opening is not None and opening.utcoffset() == timedelta(hours=-7)


def test_an_opening_time_in_the_dst_gap_still_opens() -> None:
    night = parse_hours_spec({"timezone": "America/Los_Angeles", "open": {"sun": "02:30-04:00"}})
    opening = next_open(night, la("2026-03-08T00:00"))
    assert opening is not None and opening.date() == date(2026, 3, 8)
    assert is_open(night, datetime(2026, 3, 8, 10, 45, tzinfo=UTC))  # 03:45 PDT


def test_across_the_autumn_dst_change() -> None:
    # 2026-11-01 is the Sunday clocks go back; Monday 09:00 is UTC-8 again.
    assert is_open(DEMO, datetime(2026, 11, 2, 17, 0, tzinfo=UTC))
    assert not is_open(DEMO, datetime(2026, 11, 2, 16, 30, tzinfo=UTC))


def test_next_open_is_now_while_open() -> None:
    now = la("2026-11-23T10:15")
    assert next_open(DEMO, now) == now
    assert describe_next_open(DEMO, now) == "now"


def test_next_open_later_today() -> None:
    assert next_open(DEMO, la("2026-11-23T07:00")) == la("2026-11-23T09:00")
    assert describe_next_open(DEMO, la("2026-11-23T07:00")) == "today at 09:00 (America/Los_Angeles)"


def test_next_open_on_a_weekday_name_within_a_week() -> None:
    assert (
        describe_next_open(DEMO, la("2026-11-22T21:00")) == "Monday at 09:00 (America/Los_Angeles)"
    )  # Sunday night
    assert (
        describe_next_open(DEMO, la("2026-11-28T15:00")) == "Monday at 09:00 (America/Los_Angeles)"
    )  # Saturday after closing
    assert describe_next_open(DEMO, la("2026-11-27T19:00")) == "Saturday at 10:00 (America/Los_Angeles)"


def test_next_open_skips_closed_dates() -> None:
    # Thursday evening before Christmas: Friday is closed, so Saturday 10:00.
    assert next_open(DEMO, la("2026-12-24T19:00")) == la("2026-12-26T10:00")
    assert describe_next_open(DEMO, la("2026-12-24T19:00")) == "Saturday at 10:00 (America/Los_Angeles)"


def test_next_open_more_than_a_week_away_names_the_date() -> None:
    closed_a_while = parse_hours_spec(
        {
            "timezone": "UTC",
            "open": {"mon-fri": "09:00-17:00"},
            "closed_on": [f"2026-12-{day:02d}" for day in range(21, 32)],
        }
    )
    now = datetime(2026, 12, 19, 12, 0, tzinfo=UTC)  # a Saturday
    assert next_open(closed_a_while, now) == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    assert describe_next_open(closed_a_while, now) == "on Jan 1 at 09:00 (UTC)"


def test_never_open() -> None:
    never = parse_hours_spec({"timezone": "UTC", "open": {}})
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert not is_open(never, now)
    assert next_open(never, now) is None
    assert describe_next_open(never, now) == "soon"


def test_a_range_past_midnight_continues_the_next_day() -> None:
    late = parse_hours_spec({"timezone": "UTC", "open": {"fri": "22:00-02:00"}})
    assert late.weekly[4] == ((22 * 60, 24 * 60),)
    assert late.weekly[5] == ((0, 120),)
    assert is_open(late, datetime(2026, 11, 28, 1, 0, tzinfo=UTC))  # Saturday 01:00


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("mon-fri", [0, 1, 2, 3, 4]),
        ("sat", [5]),
        ("Monday", [0]),
        ("mon,wed, fri", [0, 2, 4]),
        ("fri-mon", [4, 5, 6, 0]),
        ("daily", list(range(7))),
        ("weekends", [5, 6]),
    ],
)
def test_day_specs(spec: str, days: list[int]) -> None:
    assert parse_days(spec) == days


@pytest.mark.parametrize("spec", ["funday", "mo", "monkey", "mon-xyz"])
def test_bad_days_say_what_to_write(spec: str) -> None:
    with pytest.raises(ValueError, match="use mon, tue"):
        parse_days(spec)


def test_ranges() -> None:
    assert parse_range("09:00-18:00") == (540, 1080)
    assert parse_range("9:30 - 12:00") == (570, 720)
    assert parse_range("00:00-24:00") == (0, 1440)
    with pytest.raises(ValueError, match="like 09:00-18:00"):
        parse_range("9am-5pm")
    with pytest.raises(ValueError, match="does not exist"):
        parse_range("09:00-25:00")
    with pytest.raises(ValueError, match="same time"):
        parse_range("09:00-09:00")


def test_several_ranges_in_a_day_are_merged_and_sorted() -> None:
    hours = parse_hours_spec(
        {"timezone": "UTC", "open": {"mon": ["13:00-17:00", "09:00-12:00"], "mon-tue": "11:00-14:00"}}
    )
    assert hours.weekly[0] == ((540, 1020),)
    assert hours.weekly[1] == ((660, 840),)
    comma = parse_hours_spec({"timezone": "UTC", "open": {"wed": "09:00-12:00, 13:00-17:00"}})
    assert comma.weekly[2] == ((540, 720), (780, 1020))


def test_bad_timezone_and_date() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Base'"):
        parse_hours_spec({"timezone": "Mars/Base", "open": {}})
    with pytest.raises(ValueError, match="not a date"):
        parse_hours_spec({"timezone": "UTC", "open": {}, "closed_on": ["Christmas"]})
