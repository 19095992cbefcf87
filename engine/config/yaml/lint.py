"""Line by line, the YAML mistakes a parser either accepts with another meaning or blames elsewhere.

`lint(file, text)` returns errors for what cannot be meant as written, at the line of the mistake:
- a value starting with `{{` (YAML reads `{{ user.name }}` as a mapping, not as text);
- `key:value` with no space after the colon (YAML reads it as one word, `reply:"Hi"`);
and warnings for the silent traps, which YAML reads without complaint:
- ` #` in an unquoted text starts a comment and cuts the rest of the text off.

Lines inside `|` / `>` blocks of text and inside quotes are text, and left alone.
"""

from __future__ import annotations

import re

from engine.config.diagnostics import Diagnostic

__all__ = ["lint"]

# `key:` or `- key:` or `- ` at the start of a line, then the value
_ENTRY = re.compile(r"^(?P<indent> *)(?:- +)?(?:(?P<key>[\w][\w -]*?) *: +)?(?P<value>.*)$")
_NO_SPACE = re.compile(r"^ *(?:- +)?(?P<key>[A-Za-z_][\w-]*):(?P<after>[^\s:/\\])")
_BLOCK_START = re.compile(r"(?:^|:\s|-\s)[|>][-+0-9]*\s*(?:#.*)?$")
_COMMENT_IN_TEXT = re.compile(r" #(?=\S)")


def lint(file: str, text: str) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """(errors, warnings) found line by line in one YAML file."""
    errors: list[Diagnostic] = []
    warnings: list[Diagnostic] = []
    block_indent: int | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if block_indent is not None:
            if not stripped or indent > block_indent:
                continue
            block_indent = None
        if not stripped or stripped.startswith("#"):
            continue
        if _BLOCK_START.search(line):
            block_indent = indent
            continue
        found = _line(file, number, line)
        if found is not None:
            (errors if found.severity == "error" else warnings).append(found)
    return errors, warnings


_SECRET_WORDS = ("token", "secret", "password", "sid", "key")


def _line(file: str, number: int, line: str) -> Diagnostic | None:
    entry = _ENTRY.match(line)
    value = entry.group("value") if entry else ""
    key = entry.group("key") if entry else None
    if key and any(word in key.lower() for word in _SECRET_WORDS):
        return _secret_line(file, number, line, key)
    if value.startswith("{{"):
        col = line.index("{{") + 1
        example = f'{key}: "{value.rstrip()}"' if key else f'- "{value.rstrip()}"'
        return Diagnostic(
            file,
            number,
            col,
            "error",
            "a value that starts with '{{' must be in quotes (YAML reads '{' as the start of a mapping)",
            f"write {example}",
        )
    no_space = _NO_SPACE.match(line)
    if no_space and not _time_like(line, no_space.end("key")) and _meant_as_key(line, no_space.group("key")):
        col = no_space.end("key") + 1
        name = no_space.group("key")
        rest = line[col:].rstrip()
        return Diagnostic(
            file,
            number,
            col,
            "error",
            f"there is no space after the ':' of '{name}', so YAML reads '{name}:{rest[:20]}' as one word",
            f"add a space after the colon: {name}: {rest}",
        )
    if value and value[0] not in "\"'[{" and (cut := _COMMENT_IN_TEXT.search(value)):
        col = line.index(value) + cut.start() + 2
        kept = value[: cut.start()].rstrip()
        return Diagnostic(
            file,
            number,
            col,
            "warning",
            f"everything from ' #' on is a comment, so the value is only '{kept}'",
            f'if the # is part of the text, put the whole value in quotes: "{value.rstrip()}"',
        )
    return None


_LIST_ITEM_KEYS = frozenset(
    {"reply", "dm", "post", "open_case", "update_case", "chatbot", "handoff", "name", "url", "every"}
)
"""Keys that start list items in flexcord's files (actions, rules, feeds): `- reply:"Hi"` is one of
them without its space; any other `- word:text` may well be a value, like `- mailto:help@example.com`."""


def _meant_as_key(line: str, key: str) -> bool:
    return not line.lstrip(" ").startswith("-") or key in _LIST_ITEM_KEYS


def _time_like(line: str, colon: int) -> bool:
    """`09:00` or a URL's `https:` is not a key."""
    before = line[:colon].strip(" -")
    return before.isdigit() or before.lower() in ("http", "https")


def _secret_line(file: str, number: int, line: str, key: str) -> Diagnostic | None:
    """The same mistakes on a line that may hold a secret, said without repeating its value."""
    no_space = _NO_SPACE.match(line)
    if no_space and no_space.group("key") == key:
        col = no_space.end("key") + 1
        return Diagnostic(
            file,
            number,
            col,
            "error",
            f"there is no space after the ':' of '{key}', so YAML reads the whole line as one word",
            f"add a space after the colon: {key}: ...",
        )
    return None
