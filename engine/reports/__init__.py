"""Support reports: how many cases came in, how long players waited, what the FAQ bot solved, how happy
players were, which service levels were missed.

`engine.reports.queries` reads plain rows from the store (read-only SQL), `engine.reports.figures`
computes the figures (pure), `engine.reports.render` prints them as a table, CSV or JSON, and
`engine.reports.page` serves them as the /reports page.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from engine.config.model import Config
from engine.reports.figures import Report, compute
from engine.reports.queries import read_rows
from engine.store import Store

DEFAULT_PERIOD = timedelta(days=7)


def solved_labels(config: Config) -> list[str]:
    """The labels of every chatbot's "That solved it" button, as the transcript records a press,
    in every language (message `solved_button` names it when the config has one)."""
    labels = {bot.solved_button for bot in config.chatbots.values() if bot.solved_button}
    named = [
        config.messages.get("solved_button"),
        *(t.get("solved_button") for t in config.translations.values()),
    ]
    return sorted(labels | {label for label in named if label}) if labels else []


async def build_report(
    store: Store, config: Config, now: datetime, period: timedelta = DEFAULT_PERIOD
) -> Report:
    """The report of the `period` up to `now`, from what `store` recorded, with `config`'s targets."""
    rows = await read_rows(store, now - period, now, solved_labels=solved_labels(config))
    return compute(rows, config.queues, config.hours, now)


__all__ = ["DEFAULT_PERIOD", "Report", "build_report", "compute", "read_rows", "solved_labels"]
