"""The bounded map behind the bot's caches: it never holds more than its limit, forgetting the oldest."""

from __future__ import annotations

import pytest

from engine.bounded import BoundedMap


def test_the_least_recently_stored_entry_is_forgotten_first() -> None:
    seen: BoundedMap[str, int] = BoundedMap(2)
    seen.put("a", 1)
    seen.put("b", 2)
    seen.put("a", 3)  # storing again makes it the newest
    seen.put("c", 4)
    assert dict(seen) == {"a": 3, "c": 4}


def test_remember_keeps_the_first_value_and_respects_the_limit() -> None:
    seen: BoundedMap[int, str] = BoundedMap(3)
    for number in range(10):
        assert seen.remember(number, "first") == "first"
    assert seen.remember(9, "second") == "first"
    assert list(seen) == [7, 8, 9]


def test_a_map_that_could_hold_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        BoundedMap(0)
