"""Logging set-up for the `flexcord` command: a level, and plain text for people or JSON lines for machines.

`setup_logging("info", "json")` makes every record one JSON object per line on stderr, with
`time` (UTC, ISO 8601), `level`, `logger`, `message` and, for an exception, `error` (its traceback),
ready for journald, Loki or any log shipper.

A player's message text is kept out at every level: some libraries write whole payloads at DEBUG
(discord.py the messages it sends and receives, aiosqlite the parameters of every statement), so
their loggers stay at INFO or above unless `message_text` asks for the text.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Literal

LEVELS = ("debug", "info", "warning", "error")
LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PAYLOAD_LOGGERS = ("discord.http", "discord.gateway", "discord.webhook", "aiosqlite", "psycopg")
"""Loggers whose DEBUG lines carry message payloads, so a player's text."""
CHATTY_LOGGERS = ("psycopg.pool",)
"""Loggers that say something at INFO for every request (a pool lending each connection); shown
only at DEBUG, so an operator's INFO log is about flexcord, not about each database call."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def keep_message_text_out(level: int, *, message_text: bool = False) -> None:
    """Hold the payload loggers at INFO or above (or `level` if higher), unless `message_text`."""
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if message_text else max(level, logging.INFO))


def setup_logging(level: str = "info", log_format: LogFormat = "text", *, message_text: bool = False) -> None:
    """Send flexcord's (and its libraries') log records to stderr at `level`, as text or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    keep_message_text_out(root.level, message_text=message_text)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(
            max(root.level, logging.WARNING) if root.level > logging.DEBUG else 0
        )


__all__ = [
    "CHATTY_LOGGERS",
    "LEVELS",
    "PAYLOAD_LOGGERS",
    "JsonFormatter",
    "keep_message_text_out",
    "setup_logging",
]
