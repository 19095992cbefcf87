"""Community-manager text with {{ ... }} placeholders, rendered safely.

Templates are Jinja2 in a SandboxedEnvironment, compiled once per config (`TemplateSet`).
What a player types is only ever passed in as a value, never compiled as a template.
A render error never breaks a conversation: `render` logs it and returns the fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger(__name__)

VARIABLES: Mapping[str, str] = {
    "user": "the player: user.name, user.mention, user.id",
    "case": "the case: case.ref, case.title, case.status, case.template",
    "agent": "the agent: agent.name",
    "form": "the submitted form fields, by field name: form.summary",
    "options": "the slash command's options, by name: options.ref",
    "hours": "business hours: hours.open (true/false), hours.next_open ('Monday at 09:00')",
    "rating": "the player's rating, 1 to 5",
    "wait": "how long to wait, in words ('42 s')",
    "channel": "the channel name where it happened",
    "text": "what the player wrote",
    "limit": "the limit a player went over, e.g. the longest message allowed (2000)",
    "transfer": "a transfer: transfer.queue (where the player goes), transfer.reason",
    "reason": "why something failed, in words (admin messages)",
}
"""Every variable a template may use, with what it holds (the README lists these)."""

MAX_OUTPUT = 4000


_ENV = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """Why a template cannot be used: a syntax error (with its line inside the text) or unknown names."""

    message: str
    line: int = 1
    hint: str | None = None


def check(source: str, allowed: Iterable[str] = VARIABLES) -> list[TemplateProblem]:
    """Parse a template and list its problems; an empty list means it is fine."""
    try:
        ast = _ENV.parse(source)
    except TemplateSyntaxError as exc:
        return [TemplateProblem(f"template does not parse: {exc.message}", exc.lineno or 1)]
    allowed_set = set(allowed)
    problems = []
    for name in sorted(meta.find_undeclared_variables(ast)):
        if name not in allowed_set:
            problems.append(
                TemplateProblem(
                    f"unknown variable '{name}' in template",
                    hint="available: " + ", ".join(sorted(allowed_set)),
                )
            )
    return problems


def is_static(source: str) -> bool:
    """True when the text has no placeholders, so rendering can be skipped."""
    return "{{" not in source and "{%" not in source and "{#" not in source


class TemplateSet:
    """All templates of one config, compiled once (at compile or reload time, not per message)."""

    def __init__(self, sources: Iterable[str] = ()) -> None:
        self._compiled: dict[str, object] = {}
        for source in sources:
            self._compile(source)

    def _compile(self, source: str) -> object:
        compiled = self._compiled.get(source)
        if compiled is None:
            compiled = source if is_static(source) else _ENV.from_string(source)
            self._compiled[source] = compiled
        return compiled

    def render(self, source: str, variables: Mapping[str, object], fallback: str = "") -> str:
        """Render `source` with `variables`; on any error log it and return `fallback`."""
        try:
            compiled = self._compile(source)
            if isinstance(compiled, str):
                return compiled
            out: str = compiled.render(**variables)  # type: ignore[attr-defined]
            return out[:MAX_OUTPUT]
        except Exception as exc:  # a template error must never break a conversation
            log.warning("template could not be rendered (%s): %r", exc, source[:80])
            return fallback


def names_used(source: str) -> set[str]:
    """The top-level variable names a template reads ('case' for '{{ case.ref }}')."""
    try:
        return set(meta.find_undeclared_variables(_ENV.parse(source)))
    except TemplateSyntaxError:
        return set()


__all__ = ["VARIABLES", "TemplateProblem", "TemplateSet", "check", "is_static", "names_used"]
