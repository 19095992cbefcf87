"""Schema problems in plain words, one per problem, each at the line to fix.

jsonschema's messages ("'x' does not match '^[-_a-z0-9]+$'") are written for programmers. Here
each error becomes a Diagnostic at the mark of the offending value (or of the key, for unknown
keys), says what is wrong in words, and hints at the allowed form or range: one small function
per kind of schema keyword (`_EXPLAINERS`). Actions dispatch on their key in the schema, so every
error is already the deepest one for its place; no `best_match`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

from engine.config.diagnostics import Diagnostic, did_you_mean
from engine.config.record import record
from engine.config.schema.definitions import ACTION_EXAMPLES, ACTIONS, BARE_ACTIONS, LOCALE, PATTERN_WORDS
from engine.config.schema.documents import quick_validator, validator
from engine.config.schema.hints import name_hint, split_list_hint, split_text_hint, type_hint
from engine.config.schema.places import (
    describe,
    entry_mark,
    expected,
    got,
    key_mark,
    node_at,
    quoted,
    value_mark,
)
from engine.config.yaml.nodes import Filled, Mark, MarkedDict, MarkedList, mark_of

__all__ = ["SchemaCheck", "did_you_mean", "validate_file"]

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


@record
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
    found: dict[tuple[int, int, str], tuple[_Path, Diagnostic]] = {}
    broken: set[Mark] = set()
    unknown: dict[_Path, list[str]] = {}
    for error in errors:
        path = tuple(error.absolute_path)
        if path in typed and error.validator != "type":
            continue
        entry = entry_mark(doc, path)
        if entry is not None:
            broken.add(entry)
        for diagnostic in _explain(_Problem(error, doc, path, main, unknown)):
            found.setdefault((diagnostic.line, diagnostic.col, diagnostic.message), (path, diagnostic))
    diagnostics = [d for path, d in found.values() if not _covered(d, unknown.get(path, []))]
    misspelt = {name for name in unknown.get((), []) if name}  # 'mesages:' stands for 'messages:'
    return SchemaCheck(diagnostics, broken, {str(path[0]) for path in typed if len(path) == 1} | misspelt)


def _quickly_valid(doc: MarkedDict, main: bool) -> bool:
    try:
        return bool(quick_validator(main).is_valid(doc))
    except ValueError:  # text filled in from ${VAR} is a str subclass it refuses: once more, as plain JSON
        try:
            return bool(quick_validator(main).is_valid(json.loads(json.dumps(doc))))
        except Exception:
            return False
    except Exception:  # a value it cannot take: the full check decides
        return False


def _covered(diagnostic: Diagnostic, suggested: list[str]) -> bool:
    """A 'missing key' already explained by a misspelt key next to it ('descripton')."""
    return diagnostic.message.startswith("missing '") and diagnostic.message.split("'")[1] in suggested


_Path = tuple[str | int, ...]
"""Where a value is in a document: keys and list positions."""


@dataclass(frozen=True)
class _Problem:
    """One jsonschema error, with what explaining it needs: the document, the place, the words."""

    error: ValidationError
    doc: MarkedDict
    path: _Path
    main: bool
    unknown: dict[_Path, list[str]]  # suggested names of unknown keys, by path (filled here)

    @property
    def kind(self) -> str:
        return str(self.error.validator)

    @property
    def schema(self) -> dict[str, Any]:
        return self.error.schema if isinstance(self.error.schema, dict) else {}

    @property
    def value(self) -> object:
        return self.error.instance

    @cached_property
    def where(self) -> str:
        return describe(self.doc, self.path, self.main)

    @property
    def at(self) -> Mark:
        return value_mark(self.doc, self.path)

    @property
    def in_action(self) -> bool:
        return len(self.path) >= 2 and self.path[-2] == "do" and isinstance(self.path[-1], int)

    def diag(self, message: str, hint: str | None = None, at: Mark | None = None) -> Diagnostic:
        at = at or self.at
        return Diagnostic(at.file, at.line, at.col, "error", message, hint)


def _explain(problem: _Problem) -> list[Diagnostic]:
    if "propertyNames" in problem.error.relative_schema_path:
        return [_bad_name(problem)]
    explainer = _EXPLAINERS.get(problem.kind)
    found = explainer(problem) if explainer else []
    return found or [problem.diag(f"{problem.where}: {problem.error.message}")]


def _missing_keys(problem: _Problem) -> list[Diagnostic]:
    present = problem.value if isinstance(problem.value, dict) else {}
    properties = problem.schema.get("properties", {})
    at = key_mark(problem.doc, problem.path)
    found = []
    for key in problem.error.validator_value:
        if key in present:
            continue
        description = properties.get(key, {}).get("description", "").rstrip(".")
        hint = f"add '{key}:' ({description})" if description else f"add '{key}:'"
        found.append(problem.diag(f"missing '{key}' in {problem.where}", hint, at))
    return found


def _wrong_type(problem: _Problem) -> list[Diagnostic]:
    outdented = _outdented_setting(problem)
    if outdented is not None:
        return [outdented]
    message = f"{problem.where} should be {expected(problem.schema)}, not {got(problem.value)}"
    return [problem.diag(message, type_hint(problem.value, problem.schema))]


def _outdented_setting(problem: _Problem) -> Diagnostic | None:
    """`do:` written at the indentation of a command's name is read as a command named 'do'."""
    path = problem.path
    section = node_at(problem.doc, path[:1])
    if len(path) != 2 or path[1] not in problem.schema.get("properties", {}) or not isinstance(section, dict):
        return None
    names = list(section)
    position = names.index(path[1])
    if position == 0:
        return None
    above = names[position - 1]
    problem.unknown.setdefault((path[0], above), []).append(str(path[1]))  # not "missing 'do'" there too
    noun = _NAME_NOUNS.get(str(path[0]), "entry").removesuffix(" name")
    return problem.diag(
        f"'{path[1]}' is indented like a {noun} name, so it is read as a new {noun}",
        f"indent it to line up with the other settings of {noun} '{above}' above it",
        key_mark(problem.doc, path),
    )


def _not_one_of(problem: _Problem) -> list[Diagnostic]:
    if problem.in_action:
        return [_unknown_action(problem, str(problem.value))]
    options = ", ".join(str(v) for v in problem.error.validator_value)
    message = f"{problem.where}: expected one of: {options}; got '{problem.value}'"
    hint = did_you_mean(str(problem.value), options.split(", ")) or f"write one of: {options}"
    return [problem.diag(message, hint)]


def _unknown_action(problem: _Problem, name: str) -> Diagnostic:
    """An action written bare that needs a value, or a name that is no action at all."""
    if name in ACTIONS:
        example = ACTION_EXAMPLES.get(name, f"{name}: ...")
        return problem.diag(f"action '{name}' needs a value", f"write it like '{example}'")
    hint = split_text_hint(node_at(problem.doc, problem.path[:-1]), problem.path[-1]) or did_you_mean(
        name, ACTIONS
    )
    return problem.diag(f"unknown action '{name}'", hint or "actions: " + ", ".join(ACTIONS))


def _not_the_constant(problem: _Problem) -> list[Diagnostic]:
    last = problem.path[-1] if problem.path else None
    if last in BARE_ACTIONS:
        return [problem.diag(f"'{last}' takes no value", f"write it bare: '- {last}'")]
    return [
        problem.diag(
            f"{problem.where} must be {quoted(problem.error.validator_value)}, not {quoted(problem.value)}",
            f"write {quoted(problem.error.validator_value)}",
        )
    ]


def _wrong_pattern(problem: _Problem) -> list[Diagnostic]:
    pattern = str(problem.error.validator_value)
    noun, how = PATTERN_WORDS.get(pattern, ("value", f"it must match {pattern}"))
    value = str(problem.value)
    hint = how if isinstance(problem.value, Filled) else name_hint(value, how)  # no secret in a hint
    return [problem.diag(f"'{value}' is not a valid {noun} ({problem.where})", hint)]


def _wrong_length(problem: _Problem) -> list[Diagnostic]:
    hint = _range_hint(problem.schema, "minLength", "maxLength", " characters")
    if problem.kind == "minLength" and problem.value == "":
        return [problem.diag(f"{problem.where} is empty", hint)]
    how = "long" if problem.kind == "maxLength" else "short"
    size = len(problem.value) if isinstance(problem.value, Sized) else 0  # a string: the schema says so
    return [problem.diag(f"{problem.where} is too {how}: {size} characters", hint)]


def _out_of_range(problem: _Problem) -> list[Diagnostic]:
    hint = _range_hint(problem.schema, "minimum", "maximum")
    return [problem.diag(f"{problem.where} is {problem.value}, which is out of range", hint)]


def _range_hint(schema: dict[str, Any], low_key: str, high_key: str, unit: str = "") -> str:
    low, high = schema.get(low_key), schema.get(high_key)
    if low is not None and high is not None:
        return f"use {low} to {high}{unit}"
    if high is not None:
        return f"use at most {high}{unit}"
    return f"use at least {low}{unit}"


def _listed_twice(problem: _Problem) -> list[Diagnostic]:
    value = problem.value
    if not isinstance(value, MarkedList):
        return []
    seen: set[str] = set()
    for index, item in enumerate(value):
        key = json.dumps(item, sort_keys=True, default=str)
        if key in seen:
            at = mark_of(value, index) or problem.at
            return [problem.diag(f"'{item}' is listed twice in {problem.where}", "remove one", at)]
        seen.add(key)
    return []


def _bad_name(problem: _Problem) -> Diagnostic:
    """A name chosen by the community manager (a command, a channel, a day) that does not fit."""
    name, path, schema = str(problem.value), problem.path, problem.schema
    at = mark_of(node_at(problem.doc, path), name, of_key=True) or problem.at
    noun = _NAME_NOUNS.get(str(path[-1]) if path else "", "name")
    if problem.kind == "maxLength":
        message = f"{noun} '{name}' is too long: {len(name)} characters"
        return problem.diag(message, f"use at most {schema.get('maxLength')} characters", at)
    if problem.kind == "pattern" and schema.get("pattern") == LOCALE:  # a text by locale, or {message: ...}
        hint = did_you_mean(name, ["message"]) if path and path[-1] in ("reply", "dm") else None
        return problem.diag(f"'{name}' is not a locale", hint or PATTERN_WORDS[LOCALE][1], at)
    if problem.kind == "pattern":
        how = PATTERN_WORDS.get(str(schema.get("pattern")), ("", "use other characters"))[1]
        joiner = "_" if noun in ("command name", "option name") else "-"
        return problem.diag(f"'{name}' is not a valid {noun}", name_hint(name, how, joiner), at)
    return problem.diag(f"'{name}' is not a valid {noun}", at=at)


def _unknown_keys(problem: _Problem) -> list[Diagnostic]:
    node = problem.value if isinstance(problem.value, dict) else {}
    allowed = list(problem.schema.get("properties", {}))
    found: list[Diagnostic] = []
    for key in node:
        if key in allowed:
            continue
        at = mark_of(node, key, of_key=True) or problem.at
        split = split_list_hint(node, key)
        if split is not None:
            problem.unknown.setdefault(problem.path, []).append("")
            if not any(d.hint == split for d in found):  # one mistake, reported once
                found.append(
                    problem.diag(f"'{key}' is read as a key of its own in {problem.where}", split, at)
                )
            continue
        suggestion = did_you_mean(key, allowed)
        problem.unknown.setdefault(problem.path, []).append(suggestion.split("'")[1] if suggestion else "")
        found.append(_unknown_key(problem, key, at, suggestion, allowed))
    return found


def _unknown_key(
    problem: _Problem, key: str, at: Mark, suggestion: str | None, allowed: list[str]
) -> Diagnostic:
    if problem.in_action:
        return problem.diag(f"unknown action '{key}'", suggestion or "actions: " + ", ".join(ACTIONS), at)
    if (
        not problem.path
        and not problem.main
        and suggestion is None
        and key in validator(True).schema["properties"]
    ):
        hint = "route files may hold only: " + ", ".join(allowed)
        return problem.diag(f"'{key}' belongs in flexcord.yaml, not in a route file", hint, at)
    hint = suggestion or "allowed keys: " + ", ".join(allowed)
    return problem.diag(f"unknown key '{key}' in {problem.where}", hint, at)


def _wrong_count(problem: _Problem) -> list[Diagnostic]:
    value, kind = problem.value, problem.kind
    size = len(value) if isinstance(value, list | dict) else 0
    if problem.in_action and kind == "maxProperties" and isinstance(value, dict):
        message = f"one action per list item; this one has {size}: {', '.join(value)}"
        return [problem.diag(message, "start each action on its own line with '- '")]
    noun = _COUNT_NOUNS.get(str(problem.path[-1]) if problem.path else "", "entries")
    if kind in ("minItems", "minProperties"):
        return [problem.diag(f"{problem.where} is empty", f"list at least {problem.schema.get(kind)}")]
    return [
        problem.diag(f"too many {noun} in {problem.where}: {size}", f"use at most {problem.schema.get(kind)}")
    ]


_EXPLAINERS: dict[str, Callable[[_Problem], list[Diagnostic]]] = {
    "additionalProperties": _unknown_keys,
    "required": _missing_keys,
    "type": _wrong_type,
    "enum": _not_one_of,
    "const": _not_the_constant,
    "pattern": _wrong_pattern,
    "maxLength": _wrong_length,
    "minLength": _wrong_length,
    "maxItems": _wrong_count,
    "minItems": _wrong_count,
    "maxProperties": _wrong_count,
    "minProperties": _wrong_count,
    "minimum": _out_of_range,
    "maximum": _out_of_range,
    "exclusiveMinimum": _out_of_range,
    "exclusiveMaximum": _out_of_range,
    "uniqueItems": _listed_twice,
}
"""For each JSON Schema keyword, the function that explains an error of that kind."""
