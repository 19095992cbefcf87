"""The config reference in Markdown, written from the JSON Schema's titles and descriptions.

`flexcord schema --reference` prints it; docs/CONFIG.md is this output, kept in sync by a test,
so the words an editor shows on hover and the words in the docs are the same words.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from engine.config.schema.definitions import ENV_NUMBER, ENV_WHOLE_NUMBER
from engine.config.schema.documents import main_schema
from engine.config.schema.environment import with_environment

ROUTE_SECTIONS = ("roles", "channels", "commands", "cases", "rules", "queues", "chatbots", "messages")


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow a local $ref, keeping the referring node's own title and description first."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return node
    target = defs.get(ref.removeprefix("#/$defs/"), {})
    merged = dict(_resolve(target, defs))
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


def _kind(node: Mapping[str, Any]) -> str:
    """A few words for what kind of value goes here."""
    if "enum" in node:
        return "one of: " + ", ".join(f"`{v}`" for v in node["enum"])  # enums hold plain words
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if node.get("pattern") in (ENV_WHOLE_NUMBER, ENV_NUMBER):  # the text is only ${VARIABLE}
        kinds = [k for k in kinds if k != "string"]
    words = {
        "string": "text",
        "integer": "whole number",
        "number": "number",
        "boolean": "true or false",
        "array": "list",
        "object": "settings",
        None: "value",
    }
    return " or ".join(words.get(k, str(k)) for k in kinds)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(properties: Mapping[str, Any], defs: Mapping[str, Any]) -> Iterator[str]:
    yield "| key | what it is | value |"
    yield "| --- | --- | --- |"
    for key, raw in properties.items():
        node = _resolve(raw, defs)
        what = node.get("description") or node.get("title") or ""
        yield f"| `{key}` | {_cell(what)} | {_cell(_kind(node))} |"


def _entry(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The schema of one entry of a named collection (channels, commands...) or a list."""
    for key in ("additionalProperties", "items"):
        sub = node.get(key)
        if isinstance(sub, Mapping):
            sub = _resolve(sub, defs)
            if "properties" in sub:
                return sub
    return None


def _section(key: str, raw: Mapping[str, Any], defs: Mapping[str, Any]) -> Iterator[str]:
    node = _resolve(raw, defs)
    yield f"### `{key}`: {node.get('title', key)}"
    yield ""
    yield node.get("description", "")
    yield ""
    if "properties" in node:
        yield from _table(node["properties"], defs)
        yield ""
    entry = _entry(node, defs)
    if entry is not None:
        yield f"Each entry ({entry.get('title', 'entry').lower()}):"
        yield ""
        yield from _table(entry["properties"], defs)
        yield ""
        for sub_key, sub_raw in entry["properties"].items():
            sub_entry = _entry(_resolve(sub_raw, defs), defs)
            if sub_entry is not None and sub_key != "do":
                yield f"Each of `{key}.<name>.{sub_key}`:"
                yield ""
                yield from _table(sub_entry["properties"], defs)
                yield ""


def _actions(defs: Mapping[str, Any]) -> Iterator[str]:
    action = _resolve(defs.get("action", {}), defs)
    yield "### Actions (`do:`)"
    yield ""
    yield (
        action.get("description", "")
        + " Write each as a list item: `- reply: Hello!`, `- handoff: {queue: billing}`, or just `- close`."
    )
    yield ""
    yield from _table(action.get("properties", {}), defs)
    yield ""


def reference() -> str:
    """The whole config reference as Markdown."""
    schema = with_environment(main_schema())
    defs = schema.get("$defs", {})
    props = schema["properties"]
    lines = [
        "# Config reference",
        "",
        "Written from the JSON Schemas in `schemas/` (`flexcord schema --reference` prints it again).",
        "Editors that understand the `# yaml-language-server` line at the top of each file show the same",
        "words on hover.",
        "",
        "## Route files (`routes/*.yaml`): what community managers edit",
        "",
    ]
    for key in ROUTE_SECTIONS:
        lines += list(_section(key, props[key], defs))
    lines += list(_actions(defs))
    lines += ["## `flexcord.yaml`: set up once by an operator", ""]
    for key, raw in props.items():
        if key not in ROUTE_SECTIONS:
            lines += list(_section(key, raw, defs))
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"
