"""Warnings for what YAML reads without complaint but surely means something else, each with the fix.

- `view: []` hides a channel from everyone, `send: []` lets nobody post, `threads: []` lets nobody
  start a thread (leaving the key out is what allows everyone);
- `says: agent, human` without brackets is one phrase, "agent, human", not two words;
- a `matches:` pattern in double quotes where `\\b` became a backspace (YAML's escape), so it never
  matches a word boundary.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import MarkedDict, MarkedList, mark_of

__all__ = ["traps"]

_EMPTY = {
    "view": ("hides channel '{name}' from everyone", "to let everyone see it, remove 'view'"),
    "send": ("lets nobody post in channel '{name}'", "to let everyone post, remove 'send'"),
    "threads": ("lets nobody start a thread in channel '{name}'", "to let everyone, remove 'threads'"),
}
_ESCAPES = {"\b": "\\b", "\a": "\\a", "\f": "\\f", "\v": "\\v", "\x1b": "\\e", "\0": "\\0"}


def traps(doc: MarkedDict) -> list[Diagnostic]:
    """Every trap in the merged document, as warnings at the line of the value."""
    return [*_empty_lists(doc), *_rule_traps(doc)]


def _warning(node: Any, key: str | int, message: str, hint: str) -> Diagnostic:
    mark = mark_of(node, key) or node.mark
    return Diagnostic(mark.file, mark.line, mark.col, "warning", message, hint)


def _empty_lists(doc: MarkedDict) -> Iterator[Diagnostic]:
    channels = doc.get("channels")
    if not isinstance(channels, MarkedDict):
        return
    for name, channel in channels.items():
        if not isinstance(channel, MarkedDict):
            continue
        for key, (what, fix) in _EMPTY.items():
            if isinstance(channel.get(key), MarkedList) and not channel[key]:
                yield _warning(
                    channel,
                    key,
                    f"an empty '{key}: []' {what.format(name=name)}",
                    f"{fix}; to allow only some roles, list them: {key}: [moderator]",
                )


def _rule_traps(doc: MarkedDict) -> Iterator[Diagnostic]:
    rules = doc.get("rules")
    if not isinstance(rules, MarkedList):
        return
    for rule in rules:
        when = rule.get("when") if isinstance(rule, MarkedDict) else None
        if not isinstance(when, MarkedDict):
            continue
        says = when.get("says")
        if isinstance(says, str) and "," in says:
            words = [w.strip() for w in says.split(",") if w.strip()]
            yield _warning(
                when,
                "says",
                f"says: '{says}' is one phrase, matched only as written with its commas",
                f"for several words or phrases, write a list in brackets: says: [{', '.join(words)}]",
            )
        matches = when.get("matches")
        if isinstance(matches, str) and any(c in matches for c in _ESCAPES):
            escape = next(_ESCAPES[c] for c in matches if c in _ESCAPES)
            written = "".join(_ESCAPES.get(c, c) for c in matches)
            yield _warning(
                when,
                "matches",
                f"in double quotes YAML turns {escape} into a control character, so this pattern "
                "does not mean what it says",
                f"write the pattern in single quotes: matches: '{written}'",
            )
