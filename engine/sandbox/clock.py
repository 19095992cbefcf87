"""The sandbox's time: real time, or a chosen moment that then moves on with real time.

Rules with `hours:` read this clock, and the emulated Discord's clock follows it, so a
community manager can try "what happens on Monday at 10:00" without waiting for Monday.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment ('2026-03-02T10:00:00-08:00'); a moment without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a date and time; write it like 2026-03-02T10:00:00-08:00") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SandboxClock:
    """Callable clock (`clock()` -> aware UTC datetime) whose start can be set."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = timedelta(0)
        if start is not None:
            self.set(start)

    def __call__(self) -> datetime:
        return self.real_now() + self._offset

    @staticmethod
    def real_now() -> datetime:
        return datetime.fromtimestamp(time.time(), UTC)

    @property
    def shifted(self) -> bool:
        """True when the sandbox runs at a chosen time rather than the real one."""
        return self._offset != timedelta(0)

    def set(self, moment: datetime | None) -> None:
        """Make `moment` the current time (None: back to real time)."""
        if moment is None:
            self._offset = timedelta(0)
            return
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self._offset = moment.astimezone(UTC) - self.real_now()
