"""Per-player rate limits: slash-command cooldowns and messages to agents, as sliding windows."""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime

from engine.config.model import Command, Config, Cooldown, OpenCase


def describe_wait(seconds: float) -> str:
    """A wait in words for players: '42 s', '5 min', '5 min 3 s', '2 h 10 min'."""
    total = max(1, math.ceil(seconds))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        minutes, rest = divmod(total, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, rest = divmod(total, 3600)
    minutes = math.ceil(rest / 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


class SlidingWindow:
    """Counts uses per key over the last `per_seconds`; kept in memory (limits reset on restart).

    A use can name its event (`once`): an event tried again, because the store refused it the
    first time, takes no second slot.
    """

    def __init__(self) -> None:
        self._uses: dict[str, deque[tuple[datetime, str]]] = {}

    def take(
        self, key: str, limit: Cooldown, now: datetime, *, use: bool = True, once: str = ""
    ) -> float | None:
        """Use one slot for `key` at `now`; None if allowed, else the seconds until a slot frees up.

        With `use=False` only look: a form that is merely shown does not count, its filing does.
        """
        uses = self._uses.setdefault(key, deque())
        while uses and (now - uses[0][0]).total_seconds() >= limit.per_seconds:
            uses.popleft()
        if once and any(taken == once for _, taken in uses):
            return None
        if len(uses) >= limit.uses:
            return limit.per_seconds - (now - uses[0][0]).total_seconds()
        if use:
            uses.append((now, once))
        return None


def files_a_case(config: Config, command: Command, template: str | None) -> bool:
    """True when `command` opens a case through a form (of `template`, when one is named)."""
    for action in command.actions:
        if isinstance(action, OpenCase) and template in (None, action.template):
            case = config.cases.get(action.template)
            if case is not None and case.form:
                return True
    return False
