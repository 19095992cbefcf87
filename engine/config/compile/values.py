"""Values in the YAML that a schema cannot fully check: durations, limits, hours, names, text.

Each parser raises CompileError with the place the value was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from engine.config.model import Cooldown, Hours
from engine.config.yaml.nodes import Mark, mark_of
from engine.hours import parse_hours_spec


class CompileError(ValueError):
    """A value the schema let through but that cannot be used; `mark` says where it was written."""

    def __init__(self, message: str, mark: Mark | None = None) -> None:
        self.message = message
        self.mark = mark
        super().__init__(f"{mark}: {message}" if mark else message)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"\s*(\d+)\s*([smhd])\s*")


def parse_duration(value: Any, mark: Mark | None = None) -> int:
    """Seconds in a duration: `30s`, `10m`, `1h`, `2d`, `1h30m`, or a plain number of seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = str(value).strip().lower()
    if text.isdigit():
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text.replace(" ", ""):
        raise CompileError(f"'{value}' is not a duration; write it like 30s, 10m, 1h or 2d", mark)
    return sum(int(number) * _UNITS[unit] for number, unit in parts)


def parse_cooldown(value: Any, mark: Mark | None = None) -> Cooldown:
    """`2/10m` -> at most 2 uses every 10 minutes."""
    uses, sep, per = str(value).partition("/")
    if not sep or not uses.strip().isdigit() or int(uses) < 1:
        raise CompileError(f"'{value}' is not a limit; write it like 2/10m (2 times every 10 minutes)", mark)
    seconds = parse_duration(per, mark)
    if seconds < 1:
        raise CompileError(f"'{value}': the time in a limit must be at least 1s", mark)
    return Cooldown(uses=int(uses), per_seconds=seconds)


def parse_hours(node: Mapping[str, Any], mark: Mark | None = None) -> Hours:
    """Opening hours from `{timezone, open: {"mon-fri": "09:00-18:00"}, closed_on: [dates]}`."""
    try:
        return parse_hours_spec(node)
    except ValueError as exc:
        raise CompileError(str(exc), mark_of(node, "open") or mark) from None


def text_or_none(value: Any) -> str | None:
    """A setting that may be missing or left empty (an unset ${VAR:-}); both mean None."""
    if value is None or value == "":
        return None
    return str(value)


def names(value: Any) -> tuple[str, ...]:
    """A single name or a list of names; channel names may be written with a leading '#'."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(str(item).lstrip("#") for item in items)
