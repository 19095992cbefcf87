"""How big a config may be in all: files, bytes, rules and messages.

Each file is read up to 1 MiB (engine.config.yaml.read), but fifty such files took 95 s and
5.9 GB to check, and a reload of them stalled the bot. The size of the files is checked from
the folder, before any route file is read; rules and messages are counted once the files are
read, before the schema, the checks and the compile, which are the slow part.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList, mark_of

__all__ = [
    "MAX_FILES",
    "MAX_MESSAGES",
    "MAX_RULES",
    "MAX_TOTAL_BYTES",
    "entries_over_budget",
    "files_over_budget",
]

MAX_FILES = 100
"""flexcord.yaml and the route files it includes."""
MAX_TOTAL_BYTES = 8 * 1024 * 1024
"""All files together."""
MAX_RULES = 10_000
MAX_MESSAGES = 1_000


def _mib(size: int) -> str:
    return f"{size / 1048576:.1f} MiB"


def files_over_budget(files: Sequence[str], at: Mark) -> Diagnostic | None:
    """Too many files, or too many bytes in them, told at `at` (flexcord.yaml's `include:`)."""
    if len(files) > MAX_FILES:
        return Diagnostic(
            at.file,
            at.line,
            at.col,
            "error",
            f"too many files: flexcord.yaml and its includes are {len(files)} files",
            f"flexcord reads at most {MAX_FILES}; put rules together in fewer route files",
        )
    total = sum(_size(file) for file in files)
    if total <= MAX_TOTAL_BYTES:
        return None
    return Diagnostic(
        at.file,
        at.line,
        at.col,
        "error",
        f"the config is too big: its {len(files)} files hold {_mib(total)}",
        f"flexcord reads at most {_mib(MAX_TOTAL_BYTES)} in all; check that include: finds only route files",
    )


def _size(file: str) -> int:
    try:
        return os.path.getsize(file)
    except OSError:
        return 0  # reading it reports the problem


def entries_over_budget(doc: MarkedDict) -> list[Diagnostic]:
    """Too many rules or messages in all files together, told at the first one over the limit."""
    found = []
    rules = doc.get("rules")
    if isinstance(rules, MarkedList) and len(rules) > MAX_RULES:
        at = mark_of(rules, MAX_RULES) or rules.mark
        message = f"too many rules: {len(rules):,} in all files together"
        found.append(_over(at, message, "rules", MAX_RULES))
    messages = doc.get("messages")
    if isinstance(messages, MarkedDict) and len(messages) > MAX_MESSAGES:
        name = list(messages)[MAX_MESSAGES]
        at = mark_of(messages, name, of_key=True) or messages.mark
        found.append(
            _over(at, f"too many messages: {len(messages):,} in all files together", "messages", MAX_MESSAGES)
        )
    return found


def _over(at: Mark, message: str, what: str, limit: int) -> Diagnostic:
    hint = f"flexcord reads at most {limit:,} {what}; this is the first one over"
    return Diagnostic(at.file, at.line, at.col, "error", message, hint)
