"""Settings that take a number, filled in from `${VAR}`: read as numbers, or refused at their line.

`max_body_bytes: ${FLEXCORD_MAX_BODY:-65536}` is text once the variable is filled in, and the
schema wants a number there; each setting of engine.config.schema.environment.env_settings that
was filled in becomes the number its text says. A variable that is not set (and has no default),
or that holds no number, is an error at the setting's line, and the setting is left out so the
schema does not report the same mistake again. The same goes for a duration, a limit or a file
size whose variable is not set. The variable's value is never quoted: it may be a secret put
there by mistake.
"""

from __future__ import annotations

import math
import re

from engine.config.diagnostics import Diagnostic
from engine.config.schema.definitions import PATTERN_WORDS
from engine.config.schema.environment import env_settings, example
from engine.config.yaml.nodes import Filled, Mark, MarkedDict

__all__ = ["fill_numbers"]

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")
_WHOLE = re.compile(r"[-+]?[0-9]+")


def fill_numbers(doc: MarkedDict, problems: list[Diagnostic]) -> None:
    """Read each number setting of flexcord.yaml's `doc` that came from `${VAR}` as a number, in
    place; add a problem for each that cannot be (unless one is already reported at its place)."""
    for path, schema in env_settings().items():
        parent = _parent(doc, path[:-1])
        key = path[-1]
        value = parent.get(key) if parent is not None else None
        if parent is None or type(value) is not Filled:
            continue
        kind = schema.get("type")
        if kind in ("integer", "number"):
            number = _number(value, whole=kind == "integer")
            if number is not None:
                parent[key] = number
                continue
        elif value.strip():
            continue  # a duration, limit or size: the schema checks the text as filled in
        at = parent.value_marks.get(key, parent.mark)
        del parent[key]
        if not any((d.file, d.line) == at[:2] and "environment variable" in d.message for d in problems):
            problems.append(_problem(at, value, ".".join(path), schema))  # not already said


def _parent(doc: MarkedDict, path: tuple[str, ...]) -> MarkedDict | None:
    node: object = doc
    for key in path:
        node = node.get(key) if isinstance(node, MarkedDict) else None
    return node if isinstance(node, MarkedDict) else None


def _number(text: str, *, whole: bool) -> int | float | None:
    text = text.strip()
    if _WHOLE.fullmatch(text):
        return int(text)
    if whole:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _problem(at: Mark, value: Filled, setting: str, schema: dict[str, object]) -> Diagnostic:
    name = (_VARIABLE.findall(value.written) or ["?"])[0]
    if schema.get("type") in ("integer", "number"):
        noun = "a whole number" if schema.get("type") == "integer" else "a number"
    else:
        noun = "a " + PATTERN_WORDS.get(str(schema.get("pattern")), ("value", ""))[0]
    if not value.strip():
        message = f"environment variable {name} is not set (or is empty), and '{setting}' needs {noun}"
        hint = f"set {name} before starting, or give a default: ${{{name}:-{example(schema)}}}"
    else:
        message = f"'{setting}' needs {noun}, and {value.written} does not give one"
        hint = f"set {name} to {noun} written in digits only, like {example(schema)}"
    return Diagnostic(at.file, at.line, at.col, "error", message, hint)
