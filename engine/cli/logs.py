"""How flexcord logs: INFO by default, DEBUG with `-v`, and never a player's message text unless asked.

Some libraries write whole payloads at DEBUG: discord.py the messages it sends and receives,
aiosqlite the parameters of every statement (the transcript's text among them). Those loggers
stay at INFO even with `-v`; `--log-message-text` lets them through, for debugging on a test server.
"""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
PAYLOAD_LOGGERS = ("discord.http", "discord.gateway", "discord.webhook", "aiosqlite")
"""Loggers whose DEBUG lines carry message payloads, so a player's text."""


def configure_logging(verbose: bool = False, *, message_text: bool = False) -> None:
    """Log to stderr at INFO (DEBUG when `verbose`), keeping message text out unless `message_text`."""
    level = logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format=FORMAT)
    logging.getLogger().setLevel(level)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if message_text else max(level, logging.INFO))


__all__ = ["PAYLOAD_LOGGERS", "configure_logging"]
