"""Settings of flexcord.yaml that take a number (ports, limits, timeouts, sizes, retention) and may
come from the environment: `max_body_bytes: ${FLEXCORD_MAX_BODY:-65536}`, `queue_timeout: ${T:-15m}`.

An editor checks the file as written, the CLI after filling the variables in. So the schema an
editor reads (`with_environment`) also takes the `${...}` form for each of these settings, with a
default written the way the setting is; the CLI reads the filled-in text as a number
(engine.config.numbers) and checks it against the schema as it is.
"""

from __future__ import annotations

import copy
from functools import cache

from engine.config.schema.definitions import (
    DURATION,
    ENV_NUMBER,
    ENV_WHOLE_NUMBER,
    FILE_SIZE,
    RATE,
    Schema,
    definitions,
    from_env,
)
from engine.config.schema.settings import settings_properties

__all__ = ["env_settings", "example", "with_environment"]

_WITH_UNIT = {DURATION: "30d", RATE: "10/1m", FILE_SIZE: "2MB"}
"""The patterns of settings written as a number and a unit, each with a value to show when the
setting has no default."""


@cache
def env_settings() -> dict[tuple[str, ...], Schema]:
    """Where each such setting is in flexcord.yaml, and its schema ($ref resolved): the whole and
    other numbers, and the texts written as a number and a unit (durations, limits, file sizes)."""
    found: dict[tuple[str, ...], Schema] = {}
    defs = definitions()

    def walk(path: tuple[str, ...], schema: Schema) -> None:
        if "$ref" in schema:
            schema = {**defs[str(schema["$ref"]).rsplit("/", 1)[-1]], **schema}
            del schema["$ref"]
        if schema.get("type") in ("integer", "number") or schema.get("pattern") in _WITH_UNIT:
            found[path] = schema
        for key, inner in schema.get("properties", {}).items():
            walk((*path, key), inner)

    for key, schema in settings_properties().items():
        walk((key,), schema)
    return found


def example(setting: Schema) -> str:
    """A value to show for a setting of `env_settings`, written as it would be in the file: its
    default, else a value of its kind."""
    if "default" in setting:
        return str(setting["default"])
    if setting.get("type") in ("integer", "number"):
        return str(setting.get("minimum", 1))
    return _WITH_UNIT[str(setting["pattern"])]


def with_environment(schema: Schema) -> Schema:
    """A copy of flexcord.yaml's `schema` where each of `env_settings` also takes `${VARIABLE}`
    and `${VARIABLE:-default}`, and says so in its description."""
    schema = copy.deepcopy(schema)
    for path, setting in env_settings().items():
        node = schema
        for key in path:
            node = node["properties"][key]
        node.pop("$ref", None)
        kind = setting.get("type")
        if kind in ("integer", "number"):
            pattern = ENV_WHOLE_NUMBER if kind == "integer" else ENV_NUMBER
            node.update(type=[kind, "string"], pattern=pattern)
        else:
            node.update(type="string", pattern=from_env(str(setting["pattern"])))
        node["description"] = (
            f"{node.get('description', setting.get('description', ''))} It can come from the "
            f"environment: ${{VARIABLE}}, or ${{VARIABLE:-{example(setting)}}} with a default."
        )
    return schema
