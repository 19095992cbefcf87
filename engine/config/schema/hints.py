"""Hints for schema problems: what was written, what is expected, and how to write it instead.

Kept apart from engine.config.schema.explain, which decides where each problem is reported.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["LIST_KEYS", "name_hint", "split_list_hint", "split_text_hint", "type_hint"]

_WORDS_FOR_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}


def type_hint(value: object, schema: dict[str, Any]) -> str | None:
    types = schema.get("type", [])
    if "$ref" in schema.get("items", {}) and str(schema["items"]["$ref"]).endswith("/action"):
        return "write each action as a list item, like do: [chatbot: faq] or '- open_case: bug' lines"
    if "array" in types and isinstance(value, dict) and value:
        first = next(iter(value))
        return f"start each item with '- ' (a dash and a space), like '- {first}: ...'"
    if "array" in types and isinstance(value, str | int | float) and not isinstance(value, bool):
        return f"write a list in brackets: [{value}]"
    if "boolean" in types and isinstance(value, str) and value.lower() in _WORDS_FOR_BOOLEANS:
        meant = "true" if value.lower() in ("yes", "on", "y") else "false"
        return f"write {meant} (yes/no/on/off are plain words here; only true and false mean on or off)"
    if ("integer" in types or "number" in types) and isinstance(value, str) and value.strip().isdigit():
        return f"write the number without quotes: {value.strip()}"
    if "object" in types and value is None:
        return "write {} to leave every setting at its default"
    if types in ("string", ["string"]) and isinstance(value, int | float | bool):
        return f'put it in quotes: "{json.dumps(value)}"'
    return None


def name_hint(value: str, how: str, joiner: str = "-") -> str:
    """How to write a name that does not fit its pattern, with a suggestion when one is clear."""
    if value.startswith("#"):
        return "write channel names without '#'"
    if " " in value.strip():
        return how + f"; try '{joiner.join(value.lower().split())}'"
    if value != value.lower() and value.lower() == value.lower().strip():
        return how + f"; try '{value.lower()}'"
    return how


LIST_KEYS = frozenset(
    {"says", "roles", "state", "channels", "statuses", "notify_on", "view", "send", "threads", "choices"}
    | {"skills", "include", "closed_on", "do"}
)
"""Keys whose value is a list: written without brackets in `{...}`, their commas split them."""


def split_list_hint(node: dict[str, Any], key: str) -> str | None:
    """`{says: hello, hi}` reads as says: hello plus a key 'hi': say how to write the list."""
    if node.get(key) is not None:
        return None
    keys = list(node)
    for index in range(keys.index(key) - 1, -1, -1):
        before = keys[index]
        if before in LIST_KEYS and isinstance(node[before], str):
            items = [node[before], *(k for k in keys[index + 1 :] if node[k] is None)]
            return f"without brackets the commas end the list: write {before}: [{', '.join(items)}]"
        if node[keys[index]] is not None:
            return None
    return None


def split_text_hint(items: object, index: object) -> str | None:
    """`do: [reply: Hi, welcome]` reads 'welcome' as a second action: say to quote the text."""
    if not isinstance(items, list) or not isinstance(index, int) or index == 0:
        return None
    before = items[index - 1]
    if isinstance(before, dict) and len(before) == 1:
        ((action, text),) = before.items()
        if action in ("reply", "dm") and isinstance(text, str):
            whole = f"{text}, {items[index]}"
            return f'a comma inside [ ] separates items: put the text in quotes, like [{action}: "{whole}"]'
    return None
