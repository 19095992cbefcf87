"""The JSON Schemas (Draft 2020-12) of flexcord's YAML files, built here so the package carries them.

`schemas()` returns every schema by file name; `flexcord schema --write` puts them in schemas/,
where editors find them through each YAML file's `# yaml-language-server: $schema=...` line.
`validate_file` checks one loaded file and explains each problem in plain words.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from engine.config.schema.definitions import (
    ACTION_EXAMPLES,
    BARE_ACTIONS,
    Schema,
    definitions,
    pattern_error_message,
)
from engine.config.schema.environment import with_environment
from engine.config.schema.routes import route_properties
from engine.config.schema.settings import settings_properties

__all__ = [
    "MAIN_SCHEMA",
    "ROUTES_SCHEMA",
    "main_schema",
    "quick_pattern",
    "quick_validator",
    "routes_schema",
    "schemas",
    "validator",
    "write",
]

MAIN_SCHEMA = "flexcord.schema.json"
ROUTES_SCHEMA = "routes.schema.json"
DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _document(title: str, description: str, properties: dict[str, Schema], required: list[str]) -> Schema:
    schema: Schema = {
        "$schema": DRAFT,
        "title": title,
        "description": description,
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    schema["$defs"] = definitions()
    return schema


@cache
def main_schema() -> Schema:
    """flexcord.yaml: the operator's settings, and route sections too if wanted."""
    return _document(
        "flexcord.yaml",
        "The bot: where it connects, where it keeps records, and which route files it reads.",
        {**settings_properties(), **route_properties()},
        ["version", "discord"],
    )


@cache
def routes_schema() -> Schema:
    """A route file (routes/*.yaml): route sections only."""
    return _document(
        "flexcord route file",
        "What community managers edit: roles, channels, commands, cases, rules, queues, chatbots, messages.",
        route_properties(),
        [],
    )


def schemas() -> dict[str, Schema]:
    """Every schema flexcord writes, by file name, with plain words for editors where a value
    does not fit its pattern (`patternErrorMessage`, which yaml-language-server shows), and the
    `${VARIABLE}` form for settings that take a number (an editor checks them before filling in)."""
    return {
        MAIN_SCHEMA: _with_snippets(_for_editors(with_environment(main_schema()))),
        ROUTES_SCHEMA: _with_snippets(_for_editors(routes_schema())),
    }


_CONDITION_SNIPPETS = {
    "where: dm": {"where": "dm"},
    "says: [agent, real person]": {"says": ["agent", "real person"]},
    "matches: '\\b(refund|charge)\\b'": {"matches": "\\b(refund|charge)\\b"},
    "roles: [moderator]": {"roles": ["moderator"]},
    "state: [queued]": {"state": ["queued"]},
    "hours: closed": {"hours": "closed"},
}
"""What each part of a rule's `when:` looks like, offered as completions."""


def _with_snippets(schema: Schema) -> Schema:
    """Completions an editor offers where nothing is typed yet, also inside `[...]` and `{...}` on one
    line (`do: [|]`, `when: {where: dm, |}`), where it would otherwise offer nothing
    (yaml-language-server's `defaultSnippets`)."""
    action = schema.get("$defs", {}).get("action")
    if isinstance(action, dict):
        action["defaultSnippets"] = [
            {"label": example, "body": yaml.safe_load(example)} for example in ACTION_EXAMPLES.values()
        ] + [{"label": bare, "body": bare} for bare in BARE_ACTIONS]
    when = schema.get("properties", {}).get("rules", {}).get("items", {}).get("properties", {}).get("when")
    if isinstance(when, dict):
        when["defaultSnippets"] = [
            {"label": label, "body": body} for label, body in _CONDITION_SNIPPETS.items()
        ]
    return schema


def _for_editors(node: Any) -> Any:
    if isinstance(node, dict):
        found = {key: _for_editors(value) for key, value in node.items()}
        message = pattern_error_message(node["pattern"]) if isinstance(node.get("pattern"), str) else None
        if message is not None:
            found["patternErrorMessage"] = message
        return found
    if isinstance(node, list):
        return [_for_editors(item) for item in node]
    return node


def dump(schema: Schema) -> str:
    """The schema as the text stored in schemas/ (stable, so a diff shows real changes)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write(folder: Path | str) -> list[Path]:
    """Write every schema into `folder`; returns the files written."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = target / name
        path.write_text(dump(schema), encoding="utf-8")
        written.append(path)
    return written


@cache
def validator(main: bool) -> Any:
    """A Draft 2020-12 validator for flexcord.yaml (main) or a route file; read-only, safe to share."""
    from jsonschema import Draft202012Validator  # here: only a file with problems needs it

    return Draft202012Validator(main_schema() if main else routes_schema())


_NOT_SPACE = r"[^\s\x1c-\x1f\x85]"
"""What Python's `\\S` matches: the quick validator's regexes count fewer characters as spaces."""


_SPACE_CLASS = re.compile(r"(?<!\\)((?:\\\\)*)\\S")  # \S, not a literal backslash before an S


def quick_pattern(pattern: str) -> str:
    """`pattern` for the quick validator, never looser than Python's `re` reading of it
    (flexcord's patterns use `\\S` only outside brackets)."""
    return _SPACE_CLASS.sub(lambda found: found.group(1) + _NOT_SPACE, pattern)


def _quick_schema(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: quick_pattern(value) if key == "pattern" and isinstance(value, str) else _quick_schema(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_quick_schema(item) for item in node]
    return node


@cache
def quick_validator(main: bool) -> Any:
    """A compiled (Rust) Draft 2020-12 validator that only tells valid from invalid, in a few
    milliseconds for thousands of rules; `validator` explains the problems when there are any.

    It sees the same schema, with regexes that accept nothing Python's would refuse
    (`quick_pattern`); fed only JSON's kinds of value it never accepts a file `validator` refuses."""
    return jsonschema_rs.Draft202012Validator(_quick_schema(main_schema() if main else routes_schema()))
