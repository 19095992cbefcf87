"""Problems found in a config, written for the community manager who has to fix them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, replace
from typing import Literal

from engine.config.record import record

Severity = Literal["error", "warning"]


@record
class Diagnostic:
    """One problem at one place: `file:line:col: severity: message` plus an optional hint."""

    file: str
    line: int
    col: int
    severity: Severity
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(Exception):
    """The config cannot be used. Carries every problem found, errors and warnings."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=sort_key)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        super().__init__("\n".join(str(d) for d in errors) or "invalid config")


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.file, d.line, d.col, d.message)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def format_text(diagnostics: Iterable[Diagnostic]) -> str:
    return "\n".join(str(d) for d in sorted(diagnostics, key=sort_key))


def format_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([asdict(d) for d in sorted(diagnostics, key=sort_key)], indent=2)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """'did you mean 'x'?' when one of `choices` is close to `word`."""
    import difflib  # here: only a config with a problem needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def redact(diagnostics: Iterable[Diagnostic], filled: Iterable[tuple[str, str]]) -> list[Diagnostic]:
    """`diagnostics` with each filled-in value (as text, lower case, cut, or JSON-quoted) replaced
    by how it was written (`${TWILIO_AUTH_TOKEN}`): an error message never shows a secret."""
    pairs = [(value, written) for value, written in filled if value and value != written]
    if not pairs:
        return list(diagnostics)
    return [
        replace(d, message=_redacted(d.message, pairs), hint=d.hint and _redacted(d.hint, pairs))
        for d in diagnostics
    ]


def _redacted(text: str, pairs: list[tuple[str, str]]) -> str:
    for value, written in sorted(pairs, key=lambda pair: -len(pair[0])):
        if len(value) < 4:  # too short to look for inside words: only where it stands quoted
            text = text.replace(f"'{value}'", f"'{written}'")
            continue
        for shown in dict.fromkeys((value, json.dumps(value)[1:-1], value.lower(), value[:40])):
            text = text.replace(shown, written)
    return text
