"""Templates checked the way the bot will fill them in: every name and attribute, where it is used.

`template_problems(source, scope)` finds, in one `{{ ... }}` text:
- syntax errors, with a hint in plain words ("two braces on each side", "close it with {% endif %}");
- names that do not exist (`usr`), or that have no value where the text is used (`agent` in a
  command reply, `options` outside a command, `form` outside a case template);
- attributes that do not exist: `user.nmae`, `case.reff`, `form.<not a field of this template>`,
  `options.<not an option of this command>`; each with did-you-mean.
Players would otherwise get the fallback text instead of the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from engine import templates
from engine.config.diagnostics import Diagnostic, did_you_mean
from engine.config.record import record
from engine.config.yaml.nodes import mark_of
from engine.templates import TemplateProblem

if TYPE_CHECKING:
    from jinja2 import nodes

__all__ = ["ATTRIBUTES", "DISCORD_MESSAGE_LIMIT", "Scope", "template_problems", "text_problems"]

ATTRIBUTES: Mapping[str, tuple[str, ...]] = {
    "user": ("name", "mention", "id"),
    "case": ("ref", "title", "status", "template"),
    "agent": ("name",),
    "hours": ("open", "next_open"),
}
"""What each name holds when the bot fills a template in (engine.runtime.turn builds these)."""

_ONLY_IN = {"agent": ("message",), "options": ("command", "case template"), "form": ("case template",)}
_WHERE_GIVEN = {
    "agent": "only in the messages agent_joined and agent_left",
    "options": "only in what a slash command says, and in the case it opens",
    "form": "only in the title and reply of a case template with a form",
}
_EXTRA_BRACE = re.compile(r"\{\{\{|\}\}\}")
_FILL = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?[ \t]*\}\}")
"""A placeholder that only fills in a name or one of its parts: `{{ user.name }}` (most texts)."""


@record
class Scope:
    """Where a template is used: `kind` is 'command', 'case template', 'rule' or 'message';
    `fields` are the names under `form.` or `options.` there (None: not known, not checked)."""

    kind: str
    form: Sequence[str] | None = None
    options: Sequence[str] | None = None


def template_problems(source: str, scope: Scope) -> list[TemplateProblem]:
    """Every problem of one template text used in `scope`; empty when the bot can fill it in."""
    if "{" not in source and "}}}" not in source:
        return []  # plain text: nothing to fill in (most translations), so nothing to parse
    extra = _EXTRA_BRACE.search(source)
    if extra:
        line = source.count("\n", 0, extra.start()) + 1
        return [
            TemplateProblem(
                f"'{extra.group()}' has one brace too many (players would see a stray brace) in the text",
                line,
                "write placeholders with two braces on each side, like {{ user.name }}",
            )
        ]
    if _fills_only_known_names(source, scope):
        return []  # what the parse below would find, without Jinja2 (its import alone is ~50 ms)
    ast, found = templates.parsed_and_checked(source)
    if found or ast is None:
        return [_explained(problem) for problem in found]
    return _names(ast, scope)


def _fills_only_known_names(source: str, scope: Scope) -> bool:
    """True when every brace of `source` is in a `{{ name }}` or `{{ name.part }}` placeholder whose
    name and part the bot fills in where the text is used: Jinja2 would parse it and find nothing.
    Anything else (filters, `{% if %}`, a stray brace, a problem) is left to the parse."""
    rest = _FILL.sub("", source)
    if "{" in rest or "}" in rest:
        return False
    for found in _FILL.finditer(source):
        name, attribute = found.groups()
        only = _ONLY_IN.get(name)
        if name not in templates.VARIABLES or (only and scope.kind not in only):
            return False
        if attribute is not None and (attribute.startswith("_") or _attribute(name, attribute, 1, scope)):
            return False
    return True


def _explained(problem: TemplateProblem) -> TemplateProblem:
    """A Jinja2 syntax error in plain words, with the fix."""
    message = problem.message
    if not message.startswith("template does not parse: "):
        return problem
    detail = message.removeprefix("template does not parse: ")
    if "endif" in detail or "endfor" in detail:
        closing = "{% endif %}" if "endif" in detail else "{% endfor %}"
        return TemplateProblem(
            "a {% ... %} block is never closed in the text", problem.line, f"close it with {closing}"
        )
    if "end of print statement" in detail:
        return TemplateProblem(
            "a {{ placeholder }} holds more than one name, or is not closed with '}}', in the text",
            problem.line,
            "close each placeholder with '}}' and keep other words outside the braces: Hi {{ user.name }}!",
        )
    if "unexpected '}'" in detail or "unexpected end of template" in detail:
        return TemplateProblem(
            "a {{ placeholder }} is not closed with '}}' in the text",
            problem.line,
            "write placeholders with two braces on each side, like {{ user.name }}",
        )
    return TemplateProblem(
        f"a {{{{ placeholder }}}} cannot be read ({detail}) in the text",
        problem.line,
        "write placeholders like {{ user.name }}; to show braces themselves, write {{ '{{' }}",
    )


def _names(ast: nodes.Template, scope: Scope) -> list[TemplateProblem]:
    from jinja2 import nodes

    problems: list[TemplateProblem] = []
    reported: set[str] = set()
    for name in ast.find_all(nodes.Name):
        only = _ONLY_IN.get(name.name)
        if name.ctx == "load" and only and scope.kind not in only and name.name not in reported:
            reported.add(name.name)
            problems.append(
                TemplateProblem(
                    f"'{name.name}' has no value in the text",
                    name.lineno,
                    f"'{name.name}' is filled in {_WHERE_GIVEN[name.name]}",
                )
            )
    for node in ast.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name not in reported:
            problem = _attribute(node.node.name, node.attr, node.lineno, scope)
            if problem is not None:
                problems.append(problem)
    return problems


def _attribute(name: str, attribute: str, line: int, scope: Scope) -> TemplateProblem | None:
    known: Sequence[str] | None = ATTRIBUTES.get(name)
    what = f"'{name}'"
    if name == "form":
        known, what = scope.form, "the form of this case template"
    elif name == "options":
        known, what = scope.options, "this command's options"
    if known is None or attribute in known:
        return None
    import difflib  # here: only a text with a problem needs it

    close = difflib.get_close_matches(attribute, known, n=1, cutoff=0.6)
    listed = ", ".join(f"{name}.{a}" for a in known) or "nothing"
    hint = f"did you mean {name}.{close[0]}? ({what} has: {listed})" if close else f"{what} has: {listed}"
    return TemplateProblem(f"there is no '{name}.{attribute}' in the text", line, hint)


DISCORD_MESSAGE_LIMIT = 2000
_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def text_problems(node: Any, key: str, user: str, scope: Scope, *, length: bool = True) -> list[Diagnostic]:
    """The problems of the text at `node[key]`: its template, and (with `length`) whether it fits
    in a Discord message; each at the line of the text where it is."""
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, str):
        return []
    mark = mark_of(node, key) or node.mark
    found: list[Diagnostic] = []
    fixed = len(_PLACEHOLDER.sub("", value))
    if length and fixed > DISCORD_MESSAGE_LIMIT:
        found.append(
            Diagnostic(
                mark.file,
                mark.line,
                mark.col,
                "error",
                f"the text of {user} is too long for Discord: {fixed} characters without its {{{{ }}}} parts",
                f"Discord shows at most {DISCORD_MESSAGE_LIMIT} characters in a message",
            )
        )
    if templates.is_static(value):
        return found
    for problem in template_problems(value, scope):
        line = mark.line + problem.line - 1
        hint = problem.hint
        unknown = re.match(r"unknown variable '(\w+)'", problem.message)
        if unknown:
            hint = did_you_mean(unknown.group(1), templates.VARIABLES) or hint
        found.append(Diagnostic(mark.file, line, mark.col, "error", f"{problem.message} of {user}", hint))
    return found
