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
from jsonschema import Draft202012Validator

from engine.config import schema_places
from engine.config.schema_defs import (
    DATE,
    DAYS,
    LISTEN,
    STORAGE,
    TIMES,
    URL_OR_EMPTY,
    Schema,
    definitions,
    one_or_many,
    prop,
    ref,
    section,
    text,
)
from engine.config.schema_routes import route_properties

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


def _secret(title: str, description: str) -> Schema:
    return text(title, description + " Write it as ${VARIABLE} so it stays out of the file.", high=500)


def _settings() -> dict[str, Schema]:
    """The operator's settings: only flexcord.yaml holds these."""
    times = {"type": "string", "pattern": TIMES}
    return {
        "version": prop("Version", "The config language version; always 1.", const=1),
        "name": text("Name", "A name for this bot, shown in logs and the sandbox.", low=1, high=100),
        "discord": section(
            "Discord",
            "How the bot connects to Discord.",
            {
                "token": _secret("Bot token", "The Discord bot token."),
                "guild": prop(
                    "Server",
                    "The Discord server (guild): its name or id.",
                    type=["string", "integer"],
                    minLength=1,
                    maxLength=100,
                ),
                "admin_channel": ref(
                    "channelName",
                    "Admin channel",
                    "Where reload failures and delivery problems are reported.",
                ),
                "admin_role": prop(
                    "Admin role",
                    "The role allowed to run admin commands (default admin).",
                    type="string",
                    minLength=1,
                    maxLength=100,
                    default="admin",
                ),
                "apply_permissions": prop(
                    "Apply permissions",
                    "true: make channel permissions match the config at start-up.",
                    type="boolean",
                ),
                "threads": schema_places.threads_settings(),
            },
            required=["guild"],
        ),
        "flex": section(
            "Twilio Flex",
            "How the bot reaches the Flex contact center.",
            {
                "account_sid": _secret("Account SID", "The Twilio account SID (AC...)."),
                "auth_token": _secret("Auth token", "The Twilio auth token; also checks webhook signatures."),
                "workspace_sid": _secret("Workspace SID", "The TaskRouter workspace SID (WS...)."),
                "workflow_sid": _secret("Workflow SID", "The TaskRouter workflow SID (WW...)."),
                "task_channel": text(
                    "Task channel", "The TaskRouter task channel (default chat).", low=1, high=64
                ),
            },
        ),
        "server": section(
            "Web server",
            "The webhook and admin server.",
            {
                "public_url": prop(
                    "Public address",
                    "The address Twilio reaches this server at (https://...).",
                    type="string",
                    pattern=URL_OR_EMPTY,
                ),
                "listen": prop(
                    "Listen on", "host:port to listen on, like 127.0.0.1:8080.", type="string", pattern=LISTEN
                ),
                "admin_token": _secret("Admin token", "Guards the admin endpoints (reload)."),
                "max_body_bytes": prop(
                    "Largest request",
                    "Largest request body accepted, in bytes (1024 to 10485760).",
                    type="integer",
                    minimum=1024,
                    maximum=10485760,
                ),
            },
        ),
        "storage": prop(
            "Storage",
            "Where cases and conversations are kept: sqlite:///path/to/file.db.",
            type="string",
            pattern=STORAGE,
        ),
        "knowledge_base": text(
            "Knowledge base", "The folder of knowledge-base articles (*.md), like kb/.", high=500
        ),
        "include": one_or_many(
            "Include",
            "Route files to read, as patterns relative to this file: [routes/*.yaml].",
            prop("Pattern", "A file pattern, like routes/*.yaml.", type="string", minLength=1),
        ),
        "hours": section(
            "Business hours",
            "When agents are available; rules can say hours: open or hours: closed.",
            {
                "timezone": prop(
                    "Timezone",
                    "A timezone name, like America/Los_Angeles or UTC.",
                    type="string",
                    minLength=1,
                ),
                "open": prop(
                    "Open",
                    'Opening hours by day: mon-fri: "09:00-18:00", sat: ["10:00-12:00", "13:00-16:00"].',
                    type="object",
                    propertyNames={"type": "string", "pattern": DAYS},
                    additionalProperties=prop(
                        "Hours",
                        '"HH:MM-HH:MM" (24-hour clock), or a list of them.',
                        type=["string", "array"],
                        pattern=TIMES,
                        items=times,
                        minItems=1,
                    ),
                ),
                "closed_on": prop(
                    "Closed on",
                    "Dates when support is closed all day: [2026-12-25].",
                    type="array",
                    items=prop("Date", "A date like 2026-12-25.", type="string", pattern=DATE),
                    uniqueItems=True,
                ),
            },
            required=["timezone", "open"],
        ),
        "limits": section(
            "Limits",
            "Bounds that protect agents and the bot.",
            {
                "player_messages": ref(
                    "rate", "Player messages", "Messages a player may send to an agent, like 10/1m."
                ),
                "queue_timeout": ref(
                    "duration", "Queue timeout", "Tell the player if nobody picked up by then."
                ),
                "message_length": prop(
                    "Message length",
                    "Longest message a player may send (1 to 2000).",
                    type="integer",
                    minimum=1,
                    maximum=2000,
                ),
            },
        ),
    }


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
        {**_settings(), **route_properties()},
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
    """Every schema flexcord writes, by file name."""
    return {MAIN_SCHEMA: main_schema(), ROUTES_SCHEMA: routes_schema()}


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
