"""Per-player rate limits in words, and which commands file a case; the windows are counted in the store
(`Writes.take_slot`), so that every replica counts the same uses."""

from __future__ import annotations

import math
from datetime import datetime

from engine.config.model import Command, Config, OpenCase
from engine.store import Slot


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


def relay_slot(config: Config, user_id: str, event_id: str, at: datetime) -> Slot | None:
    """The use of `limits.player_messages` a player's message relayed to the agent takes (None: no
    limit), counted once per event."""
    limit = config.limits.player_messages
    if limit is None:
        return None
    return Slot(f"relay/{user_id}", limit.uses, limit.per_seconds, at, once=event_id)


def files_a_case(config: Config, command: Command, template: str | None) -> bool:
    """True when `command` opens a case through a form (of `template`, when one is named)."""
    for action in command.actions:
        if isinstance(action, OpenCase) and template in (None, action.template):
            case = config.cases.get(action.template)
            if case is not None and case.form:
                return True
    return False


def longest_window(config: Config) -> int:
    """Seconds of the longest cooldown or message-limit window: older uses count for nothing."""
    windows = [c.cooldown.per_seconds for c in config.commands.values() if c.cooldown is not None]
    if config.limits.player_messages is not None:
        windows.append(config.limits.player_messages.per_seconds)
    return max(windows, default=0)
