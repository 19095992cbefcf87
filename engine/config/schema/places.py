"""Where a schema problem is and what was written there, in words a community manager reads.

A jsonschema error carries a path like `("commands", "bug", "options", "ref", "type")`; here it
becomes a mark (`file:line:col`) and a place ("'type' of option 'ref' of command 'bug'"), and a
value becomes what it looks like to its writer ("the single word 'yes'", "a list").
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from engine.config.loader import ENTRY_NOUNS
from engine.config.yaml.nodes import Mark, MarkedDict, mark_of

__all__ = ["NOUNS", "describe", "entry_mark", "expected", "got", "key_mark", "node_at", "value_mark"]

Path = Sequence[str | int]

NOUNS = {
    **ENTRY_NOUNS,
    "options": "option",
    "form": "form field",
    "rules": "rule",
    "feeds": "feed",
    "do": "action",
}
"""Sections and lists whose items are named entries, and what one entry is called."""

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a set of 'key: value' lines",
    "null": "nothing",
}


def _get(node: object, key: str | int) -> object:
    if isinstance(node, dict) and isinstance(key, str):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def node_at(doc: object, path: Path) -> object:
    """The value at `path`, or None when the path leads nowhere."""
    for key in path:
        doc = _get(doc, key)
    return doc


def value_mark(doc: MarkedDict, path: Path) -> Mark:
    """Where the value at `path` was written."""
    if not path:
        return doc.mark
    return mark_of(node_at(doc, path[:-1]), path[-1]) or doc.mark


def key_mark(doc: MarkedDict, path: Path) -> Mark:
    """Where the thing at `path` is named: its key (`bug:`) or its list item (`- name: ...`)."""
    if not path:
        return doc.mark
    return mark_of(node_at(doc, path[:-1]), path[-1], of_key=True) or doc.mark


def entry_mark(doc: MarkedDict, path: Path) -> Mark | None:
    """The mark of the named entry (command, rule, ...) a path lies in."""
    if len(path) >= 2 and path[0] in NOUNS:
        return value_mark(doc, path[:2])
    return None


def _entry_label(key: str, index: str | int, item: object) -> str:
    """How one entry of a section is named: 'bug', a rule's name, or its position."""
    if not isinstance(index, int):
        return f"{NOUNS[key]} '{index}'"
    name = item.get("name") if isinstance(item, dict) and key == "rules" else None
    return f"{NOUNS[key]} " + (f"'{name}'" if isinstance(name, str) else str(index + 1))


def describe(doc: MarkedDict, path: Path, main: bool) -> str:
    """A place in words: "'type' of option 'ref' of command 'bug'"."""
    if not path:
        return "flexcord.yaml" if main else "this route file"
    parts: list[str] = []
    plain: list[str] = []
    node: object = doc
    i = 0
    while i < len(path):
        key = path[i]
        child = _get(node, key)
        if isinstance(key, str) and key in NOUNS and i + 1 < len(path):
            if plain:
                parts.append("'" + ".".join(plain) + "'")
                plain = []
            node = _get(child, path[i + 1])
            parts.append(_entry_label(key, path[i + 1], node))
            i += 2
            continue
        if isinstance(key, int):
            parts.append(("'" + ".".join(plain) + "' " if plain else "") + f"item {key + 1}")
            plain = []
        else:
            plain.append(key)
        node = child
        i += 1
    if plain:
        parts.append("'" + ".".join(plain) + "'")
    return " of ".join(reversed(parts))


def got(value: object) -> str:
    """What a value looks like to the person who wrote it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the single word '{value}'" if " " not in value.strip() else f"the text '{value[:40]}'"
    if isinstance(value, list):
        return "a list"
    return "a set of 'key: value' lines"


def expected(schema: Mapping[str, object]) -> str:
    """The kinds of value a schema allows, in words: "text or a list of names"."""
    given = schema.get("type", [])
    types = (
        [given]
        if isinstance(given, str)
        else [str(kind) for kind in given]
        if isinstance(given, list)
        else []
    )
    items = schema.get("items")
    return " or ".join(
        _list_words(items) if kind == "array" else _TYPE_WORDS.get(kind, kind) for kind in types
    ) or ("something else")


def _list_words(items: object) -> str:
    if isinstance(items, dict):
        if str(items.get("$ref", "")).endswith("/action"):
            return "a list of actions"
        if "$ref" in items or "pattern" in items:
            return "a list of names"
        if items.get("type") == "string":
            return "a list of words"
    return _TYPE_WORDS["array"]


def quoted(value: object) -> str:
    """A value as JSON, for 'must be 1, not 2'."""
    return json.dumps(value, default=str)
