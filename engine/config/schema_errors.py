"""Schema problems in plain words, one per problem, each at the line to fix.

jsonschema's messages ("'x' does not match '^[-_a-z0-9]+$'") are written for programmers. Here
each error becomes a Diagnostic at the mark of the offending value (or of the key, for unknown
keys), says what is wrong in words, and hints at the allowed form or range. Actions dispatch on
their key in the schema, so every error is already the deepest one for its place; no `best_match`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

from engine.config.diagnostics import Diagnostic
from engine.config.schema import quick_validator, validator
from engine.config.schema_defs import ACTION_EXAMPLES, ACTIONS, BARE_ACTIONS, PATTERN_WORDS
from engine.config.yamlnodes import Mark, MarkedDict, MarkedList, mark_of

__all__ = ["SchemaCheck", "did_you_mean", "validate_file"]

Path = Sequence[str | int]

_NOUNS = {
    "channels": "channel",
    "commands": "command",
    "cases": "case template",
    "queues": "queue",
    "chatbots": "chatbot",
    "messages": "message",
    "options": "option",
    "form": "form field",
    "rules": "rule",
    "feeds": "feed",
    "do": "action",
}
_NAME_NOUNS = {
    "channels": "channel name",
    "commands": "command name",
    "cases": "case template name",
    "queues": "queue name",
    "chatbots": "chatbot name",
    "messages": "message name",
    "options": "option name",
    "form": "form field name",
    "open": "day",
}
_COUNT_NOUNS = {"options": "options", "form": "form fields", "choices": "choices", "commands": "commands"}
_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a set of 'key: value' lines",
    "null": "nothing",
}


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """'did you mean 'x'?' when one of `choices` is close to `word`."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


@dataclass(frozen=True, slots=True)
class SchemaCheck:
    """The schema problems of one file, and what the semantic checks should leave alone."""

    diagnostics: list[Diagnostic]
    entries: set[Mark] = field(default_factory=set)  # marks of named entries with a problem
    sections: set[str] = field(default_factory=set)  # sections of the wrong shape (left out of the merge)


def validate_file(doc: MarkedDict, file: str, *, main: bool, plain: bool = False) -> SchemaCheck:
    """Check one file (flexcord.yaml when `main`, else a route file) against its schema.

    `plain`: the file holds only JSON's kinds of value (engine.config.loader.LoadedFile.plain), so
    the quick validator may say at once that it is valid; only a file with problems is walked
    again to explain each one."""
    if plain and _quickly_valid(doc, main):
        return SchemaCheck([])
    errors = sorted(validator(main).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    typed = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    found: dict[tuple[Any, ...], tuple[tuple[Any, ...], Diagnostic]] = {}
    broken: set[Mark] = set()
    unknown: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        path = tuple(error.absolute_path)
        if path in typed and error.validator != "type":
            continue
        entry = _entry_mark(doc, path)
        if entry is not None:
            broken.add(entry)
        for diagnostic in _explain(error, doc, path, main, unknown):
            found.setdefault((diagnostic.line, diagnostic.col, diagnostic.message), (path, diagnostic))
    diagnostics = [d for path, d in found.values() if not _covered(d, unknown.get(path, []))]
    misspelt = {name for name in unknown.get((), []) if name}  # 'mesages:' stands for 'messages:'
    return SchemaCheck(diagnostics, broken, {str(path[0]) for path in typed if len(path) == 1} | misspelt)


def _quickly_valid(doc: MarkedDict, main: bool) -> bool:
    try:
        return bool(quick_validator(main).is_valid(doc))
    except Exception:  # a value it cannot take: the full check decides
        return False


def _covered(diagnostic: Diagnostic, suggested: list[str]) -> bool:
    """A 'missing key' already explained by a misspelt key next to it ('descripton')."""
    return diagnostic.message.startswith("missing '") and diagnostic.message.split("'")[1] in suggested


def _get(node: Any, key: str | int) -> Any:
    if isinstance(node, dict) and isinstance(key, str):
        return node.get(key)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return None


def _node(doc: Any, path: Path) -> Any:
    for key in path:
        doc = _get(doc, key)
    return doc


def _value_mark(doc: MarkedDict, path: Path) -> Mark:
    if not path:
        return doc.mark
    return mark_of(_node(doc, path[:-1]), path[-1]) or doc.mark


def _key_mark(doc: MarkedDict, path: Path) -> Mark:
    """Where the thing at `path` is named: its key (`bug:`) or its list item (`- name: ...`)."""
    if not path:
        return doc.mark
    return mark_of(_node(doc, path[:-1]), path[-1], of_key=True) or doc.mark


def _entry_mark(doc: MarkedDict, path: Path) -> Mark | None:
    """The mark of the named entry (command, rule, ...) a path lies in."""
    if len(path) >= 2 and path[0] in _NOUNS:
        return _value_mark(doc, path[:2])
    return None


def describe(doc: MarkedDict, path: Path, main: bool) -> str:
    """A place in words: "'type' of option 'ref' of command 'bug'"."""
    if not path:
        return "flexcord.yaml" if main else "this route file"
    parts: list[str] = []
    plain: list[str] = []
    node: Any = doc
    i = 0
    while i < len(path):
        key = path[i]
        child = _get(node, key)
        if isinstance(key, str) and key in _NOUNS and i + 1 < len(path):
            if plain:
                parts.append("'" + ".".join(plain) + "'")
                plain = []
            index = path[i + 1]
            item = _get(child, index)
            if isinstance(index, int):
                name = item.get("name") if isinstance(item, dict) and key == "rules" else None
                label = f"'{name}'" if isinstance(name, str) else str(index + 1)
            else:
                label = f"'{index}'"
            parts.append(f"{_NOUNS[key]} {label}")
            node = item
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


def _diag(mark: Mark, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(mark.file, mark.line, mark.col, "error", message, hint)


def _got(value: Any) -> str:
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


def _expected(schema: dict[str, Any]) -> str:
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    words = []
    for kind in types:
        word = _TYPE_WORDS.get(kind, kind)
        items = schema.get("items")
        if kind == "array" and isinstance(items, dict):
            if str(items.get("$ref", "")).endswith("/action"):
                word = "a list of actions"
            elif "$ref" in items or "pattern" in items:
                word = "a list of names"
            elif items.get("type") == "string":
                word = "a list of words"
        words.append(word)
    return " or ".join(words) or "something else"


def _type_hint(value: Any, schema: dict[str, Any]) -> str | None:
    types = schema.get("type", [])
    if "$ref" in schema.get("items", {}) and str(schema["items"]["$ref"]).endswith("/action"):
        return "write each action as a list item, like do: [chatbot: faq] or '- open_case: bug' lines"
    if "array" in types and isinstance(value, str | int | float) and not isinstance(value, bool):
        return f"write [{value}]"
    if "object" in types and value is None:
        return "write {} to leave every setting at its default"
    if types in ("string", ["string"]) and isinstance(value, int | float | bool):
        return f'put it in quotes: "{json.dumps(value)}"'
    return None


def _range_hint(schema: dict[str, Any], low_key: str, high_key: str, unit: str = "") -> str:
    low, high = schema.get(low_key), schema.get(high_key)
    if low is not None and high is not None:
        return f"use {low} to {high}{unit}"
    if high is not None:
        return f"use at most {high}{unit}"
    return f"use at least {low}{unit}"


def _explain(
    error: ValidationError,
    doc: MarkedDict,
    path: tuple[Any, ...],
    main: bool,
    unknown: dict[tuple[Any, ...], list[str]],
) -> list[Diagnostic]:
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    value = error.instance
    where = describe(doc, path, main)
    at = _value_mark(doc, path)
    in_action = len(path) >= 2 and path[-2] == "do" and isinstance(path[-1], int)
    if "propertyNames" in error.relative_schema_path:
        return [_bad_name(doc, path, str(value), kind, schema)]
    if kind == "additionalProperties":
        return _unknown_keys(error, doc, path, main, in_action, unknown)
    if kind == "required":
        present = value if isinstance(value, dict) else {}
        missing = [key for key in error.validator_value if key not in present]
        properties = schema.get("properties", {})
        return [
            _diag(
                _key_mark(doc, path),
                f"missing '{key}' in {where}",
                f"add '{key}:' ({properties.get(key, {}).get('description', '').rstrip('.')})"
                if properties.get(key, {}).get("description")
                else f"add '{key}:'",
            )
            for key in missing
        ]
    if kind == "type":
        return [
            _diag(at, f"{where} should be {_expected(schema)}, not {_got(value)}", _type_hint(value, schema))
        ]
    if kind == "enum" and in_action:
        name = str(value)
        if name in ACTIONS:
            example = ACTION_EXAMPLES.get(name, f"{name}: ...")
            return [_diag(at, f"action '{name}' needs a value", f"write it like '{example}'")]
        return [
            _diag(
                at,
                f"unknown action '{name}'",
                did_you_mean(name, ACTIONS) or "actions: " + ", ".join(ACTIONS),
            )
        ]
    if kind == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return [
            _diag(
                at,
                f"{where}: expected one of: {options}; got '{value}'",
                did_you_mean(str(value), options.split(", ")),
            )
        ]
    if kind == "const":
        if path and path[-1] in BARE_ACTIONS:
            return [_diag(at, f"'{path[-1]}' takes no value", f"write it bare: '- {path[-1]}'")]
        return [
            _diag(
                at,
                f"{where} must be {json.dumps(error.validator_value)}, not {json.dumps(value, default=str)}",
            )
        ]
    if kind == "pattern":
        noun, how = PATTERN_WORDS.get(
            str(error.validator_value), ("value", f"it must match {error.validator_value}")
        )
        return [_diag(at, f"'{value}' is not a valid {noun} ({where})", _pattern_hint(str(value), how))]
    if kind in ("maxLength", "minLength"):
        if kind == "minLength" and value == "":
            return [
                _diag(at, f"{where} is empty", _range_hint(schema, "minLength", "maxLength", " characters"))
            ]
        return [
            _diag(
                at,
                f"{where} is too {'long' if kind == 'maxLength' else 'short'}: {len(value)} characters",
                _range_hint(schema, "minLength", "maxLength", " characters"),
            )
        ]
    if kind in ("maxItems", "minItems", "maxProperties", "minProperties"):
        return [_count(doc, path, value, kind, schema, where, in_action)]
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return [
            _diag(at, f"{where} is {value}, which is out of range", _range_hint(schema, "minimum", "maximum"))
        ]
    if kind == "uniqueItems" and isinstance(value, MarkedList):
        seen: set[str] = set()
        for index, item in enumerate(value):
            key = json.dumps(item, sort_keys=True, default=str)
            if key in seen:
                return [
                    _diag(mark_of(value, index) or at, f"'{item}' is listed twice in {where}", "remove one")
                ]
            seen.add(key)
    return [_diag(at, f"{where}: {error.message}")]


def _pattern_hint(value: str, how: str) -> str:
    if value.startswith("#"):
        return "write channel names without '#'"
    if value != value.lower() and value.lower() == value.lower().strip():
        return how + f"; try '{value.lower()}'"
    return how


def _bad_name(
    doc: MarkedDict, path: tuple[Any, ...], name: str, kind: Any, schema: dict[str, Any]
) -> Diagnostic:
    """A name chosen by the community manager (a command, a channel, a day) that does not fit."""
    at = mark_of(_node(doc, path), name, of_key=True) or _value_mark(doc, path)
    noun = _NAME_NOUNS.get(str(path[-1]) if path else "", "name")
    if kind == "maxLength":
        return _diag(
            at,
            f"{noun} '{name}' is too long: {len(name)} characters",
            f"use at most {schema.get('maxLength')} characters",
        )
    if kind == "pattern":
        how = PATTERN_WORDS.get(str(schema.get("pattern")), ("", "use other characters"))[1]
        return _diag(at, f"'{name}' is not a valid {noun}", _pattern_hint(name, how))
    return _diag(at, f"'{name}' is not a valid {noun}")


def _unknown_keys(
    error: ValidationError,
    doc: MarkedDict,
    path: tuple[Any, ...],
    main: bool,
    in_action: bool,
    unknown: dict[tuple[Any, ...], list[str]],
) -> list[Diagnostic]:
    node = error.instance if isinstance(error.instance, dict) else {}
    allowed = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
    where = describe(doc, path, main)
    found = []
    for key in node:
        if key in allowed:
            continue
        at = mark_of(node, key, of_key=True) or _value_mark(doc, path)
        suggestion = did_you_mean(key, allowed)
        unknown.setdefault(path, []).append(suggestion.split("'")[1] if suggestion else "")
        if in_action:
            found.append(_diag(at, f"unknown action '{key}'", suggestion or "actions: " + ", ".join(ACTIONS)))
        elif not path and not main and suggestion is None and key in validator(True).schema["properties"]:
            found.append(
                _diag(
                    at,
                    f"'{key}' belongs in flexcord.yaml, not in a route file",
                    "route files may hold only: " + ", ".join(allowed),
                )
            )
        else:
            found.append(
                _diag(
                    at, f"unknown key '{key}' in {where}", suggestion or "allowed keys: " + ", ".join(allowed)
                )
            )
    return found


def _count(
    doc: MarkedDict,
    path: tuple[Any, ...],
    value: Any,
    kind: Any,
    schema: dict[str, Any],
    where: str,
    in_action: bool,
) -> Diagnostic:
    at = _value_mark(doc, path)
    size = len(value) if isinstance(value, list | dict) else 0
    if in_action and kind == "maxProperties":
        return _diag(
            at,
            f"one action per list item; this one has {size}: {', '.join(value)}",
            "start each action on its own line with '- '",
        )
    noun = _COUNT_NOUNS.get(str(path[-1]) if path else "", "entries")
    if kind in ("minItems", "minProperties"):
        return _diag(at, f"{where} is empty", f"list at least {schema.get(kind)}")
    return _diag(at, f"too many {noun} in {where}: {size}", f"use at most {schema.get(kind)}")
