"""Community-manager text with {{ ... }} placeholders: a small language that always finishes quickly.

A text may fill in the documented names (`VARIABLES`) and their parts (`{{ user.name }}`), change
them with a few filters (`{{ user.name | upper }}`, `| default('friend')`), join them with `~` or
`+`, compare them, and choose with `{% if %} ... {% elif %} ... {% else %} ... {% endif %}`. Nothing
else: no loops, no `{% set %}`, no calls (`range()`, `lipsum()`, `cycler()`), no `*`, `/`, `%` or
`**`, no other templates. Without loops or calls, rendering costs time in proportion to the text,
and `check` refuses everything else (with the line inside the text) when the config is validated.
A render is still capped: MAX_OUTPUT characters, MAX_RENDER_SECONDS of work.

Templates are Jinja2 in a SandboxedEnvironment with no globals, compiled once per config
(`TemplateSet`). What a player types is only ever passed in as a value, never compiled as a
template. A render error never breaks a conversation: `render` logs it and returns the fallback.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:  # Jinja2 is imported on first use: checking a config whose texts are plain needs none of it
    from jinja2 import Template, nodes
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
    "file": "a file the player sent: file.name",
    "allowed": "the file types allowed, in words ('PNG, JPEG, PDF')",
    "reporter": "who reported a case, by name (case summaries and posts)",
    "place": "where a case was reported, in words: the place_dm or place_thread message, or #channel",
    "date": "the day a case was reported, as 2026-03-14",
}
"""Every variable a template may use, with what it holds (the README lists these)."""

FILTERS = (
    "capitalize",
    "default",
    "first",
    "join",
    "last",
    "length",
    "lower",
    "round",
    "title",
    "trim",
    "truncate",
    "upper",
)
"""The filters a text may use (`{{ user.name | upper }}`); each costs time in proportion to its value."""
_FILTERS = frozenset((*FILTERS, "d"))  # `d` is Jinja's short name for `default`
_TESTS = frozenset(
    {"defined", "undefined", "none", "number", "string", "true", "false", "even", "odd"}
    | {"eq", "ne", "lt", "le", "gt", "ge", "in", "equalto", "sameas"}
)
"""What `{% if x is ... %}` may ask."""

MAX_OUTPUT = 4000
"""Longest text a template makes, in characters; the rest is cut."""
MAX_RENDER_SECONDS = 0.25
"""Longest a render may work; past it the fallback is said (with no loops it is never reached)."""


@cache
def _env() -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
    env.globals.clear()  # no range(), lipsum(), cycler(), joiner(), namespace(), dict()
    return env


_Kinds: TypeAlias = "tuple[type[nodes.Node], ...]"
_Words: TypeAlias = "tuple[_Kinds, dict[type[nodes.Node], str], dict[type[nodes.Node], tuple[str, str]]]"


@cache
def _parts() -> _Words:
    """Which parts of Jinja a text may use (besides names, filters and tests, checked one by one),
    and the words for arithmetic and statements, which it may not."""
    from jinja2 import nodes

    allowed: _Kinds = (
        *(nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.Getattr, nodes.Getitem),
        *(nodes.Slice, nodes.Const, nodes.List, nodes.Tuple, nodes.CondExpr, nodes.And, nodes.Or),
        *(nodes.Not, nodes.Neg, nodes.Pos, nodes.Compare, nodes.Operand, nodes.Concat, nodes.Add),
        *(nodes.Sub, nodes.Keyword),
    )
    arithmetic: dict[type[nodes.Node], str] = {nodes.Mul: "*", nodes.Div: "/", nodes.FloorDiv: "//"}
    arithmetic |= {nodes.Mod: "%", nodes.Pow: "**"}
    write_out = "write the text out"
    set_ = ("{% set %} is not supported in texts", "use the value where it is needed")
    includes = ("texts cannot import other templates", write_out)
    statements: dict[type[nodes.Node], tuple[str, str]] = {
        nodes.For: ("loops ({% for %}) are not supported in texts", write_out),
        nodes.Assign: set_,
        nodes.AssignBlock: set_,
        nodes.Macro: ("macros are not supported in texts", write_out),
        nodes.CallBlock: ("{% call %} is not supported in texts", write_out),
        nodes.FilterBlock: (
            "{% filter %} is not supported in texts",
            "put the filter on each value: {{ x | upper }}",
        ),
        nodes.With: ("{% with %} is not supported in texts", "use the values where they are needed"),
        nodes.Include: ("texts cannot include other templates", write_out),
        nodes.Import: includes,
        nodes.FromImport: includes,
        nodes.Extends: ("texts cannot extend other templates", write_out),
        nodes.Block: ("{% block %} is not supported in texts", write_out),
    }
    return allowed, arithmetic, statements


_LANGUAGE = "a text fills in names, changes them with filters and chooses with {% if %}"


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """Why a template cannot be used: a syntax error (with its line inside the text) or unknown names."""

    message: str
    line: int = 1
    hint: str | None = None


def check(source: str, allowed: Iterable[str] = VARIABLES) -> list[TemplateProblem]:
    """Parse a template and list its problems; an empty list means it is fine (and bounded)."""
    return parsed_and_checked(source, allowed)[1]


def parsed_and_checked(
    source: str, allowed: Iterable[str] = VARIABLES
) -> tuple[nodes.Template | None, list[TemplateProblem]]:
    """`check`, with the parsed template too (None when it does not parse), for a caller that
    looks further into it."""
    from jinja2 import TemplateSyntaxError

    try:
        ast = _env().parse(source)
    except TemplateSyntaxError as exc:
        return None, [TemplateProblem(f"template does not parse: {exc.message}", exc.lineno or 1)]
    names = frozenset(allowed)
    problems = list(_problems(ast, names))
    unknown = sorted({p.message for p in problems if p.message.startswith("unknown variable")})
    others = [p for p in problems if not p.message.startswith("unknown variable")]
    return ast, [next(p for p in problems if p.message == m) for m in unknown] + others


def _problems(node: nodes.Node, names: frozenset[str]) -> Iterator[TemplateProblem]:
    """Every part of the template outside the language, in order; a refused part is not looked into."""
    refused = _refusal(node, names)
    if refused is not None:
        yield refused
        return
    for child in node.iter_child_nodes():
        yield from _problems(child, names)


def _refusal(node: nodes.Node, names: frozenset[str]) -> TemplateProblem | None:
    from jinja2 import nodes

    line = getattr(node, "lineno", 1) or 1
    match node:
        case nodes.Name():
            return _name(node, names, line)
        case nodes.Call():
            return _call(node, line)
        case nodes.Filter() if node.name not in _FILTERS:
            return TemplateProblem(f"unknown filter '{node.name}'", line, "filters: " + ", ".join(FILTERS))
        case nodes.Test() if node.name not in _TESTS:
            tests = ", ".join(sorted(_TESTS))
            return TemplateProblem(f"unknown test 'is {node.name}'", line, "tests: " + tests)
        case nodes.Getattr() if node.attr.startswith("_"):
            return TemplateProblem(
                f"'{node.attr}' is not available in texts", line, "use the documented names"
            )
        case nodes.Dict():
            return TemplateProblem("{...} mappings are not supported in texts", line, _LANGUAGE)
        case nodes.Filter() | nodes.Test() | nodes.Getattr():
            return None
    allowed, arithmetic, statements = _parts()
    if type(node) in arithmetic:
        hint = "texts can join values with ~ and add with + and -"
        return TemplateProblem(f"'{arithmetic[type(node)]}' is not supported in texts", line, hint)
    if type(node) in statements:
        message, hint = statements[type(node)]
        return TemplateProblem(message, line, f"{hint}; {_LANGUAGE}")
    if isinstance(node, allowed):
        return None
    return TemplateProblem(f"this is not supported in texts: {type(node).__name__}", line, _LANGUAGE)


def _name(node: nodes.Name, names: frozenset[str], line: int) -> TemplateProblem | None:
    if node.name in names:
        return None
    return TemplateProblem(
        f"unknown variable '{node.name}' in template", line, "available: " + ", ".join(sorted(names))
    )


def _call(node: nodes.Call, line: int) -> TemplateProblem:
    callee = node.node
    what = getattr(callee, "name", None) or getattr(callee, "attr", None) or "a function"
    return TemplateProblem(f"calling {what}(...) is not supported in texts", line, _LANGUAGE)


def is_static(source: str) -> bool:
    """True when the text has no placeholders, so rendering can be skipped."""
    return "{{" not in source and "{%" not in source and "{#" not in source


class TemplateSet:
    """All templates of one config, compiled once (at compile or reload time, not per message).

    Only templates `check` accepts are compiled; any other renders as its fallback."""

    def __init__(self, sources: Iterable[str] = ()) -> None:
        self._compiled: dict[str, Template | str | None] = {}  # None: refused by `check`
        for source in sources:
            self._compile(source)

    def _compile(self, source: str) -> Template | str | None:
        if source not in self._compiled:
            if is_static(source):
                self._compiled[source] = source
            else:
                self._compiled[source] = None if check(source) else _env().from_string(source)
        return self._compiled[source]

    def render(self, source: str, variables: Mapping[str, object], fallback: str = "") -> str:
        """Render `source` with `variables`; on any error log it and return `fallback`."""
        try:
            compiled = self._compile(source)
            if isinstance(compiled, str):
                return compiled
            if compiled is None:
                raise ValueError("this template uses what texts may not (see flexcord validate)")
            return _bounded(compiled.generate(**variables))
        except Exception as exc:  # a template error must never break a conversation
            log.warning("template could not be rendered (%s): %r", exc, source[:80])
            return fallback


def _bounded(chunks: Iterator[str]) -> str:
    """The rendered text, cut at MAX_OUTPUT characters; TimeoutError past MAX_RENDER_SECONDS."""
    deadline = time.monotonic() + MAX_RENDER_SECONDS
    out: list[str] = []
    size = 0
    for chunk in chunks:
        out.append(chunk)
        size += len(chunk)
        if size >= MAX_OUTPUT:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"rendering took over {MAX_RENDER_SECONDS} s")
    return "".join(out)[:MAX_OUTPUT]


__all__ = [
    "FILTERS",
    "MAX_OUTPUT",
    "VARIABLES",
    "TemplateProblem",
    "TemplateSet",
    "check",
    "is_static",
]
