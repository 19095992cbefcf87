"""Translations: which supported locale lacks which text (warnings), and translations that use
names their original does not (errors: the runtime would have nothing to fill them with).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from engine.config.checks.templates import Scope, text_problems
from engine.config.compile.locales import compile_locales, pick, texts_of, translatable
from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import Mark, MarkedDict, mark_of

__all__ = ["translation_problems"]

_NAME = re.compile(r"\{\{-?\s*([A-Za-z_][\w.]*)")


def _used(text: str) -> set[str]:
    return set(_NAME.findall(text))


def translation_problems(doc: MarkedDict) -> list[Diagnostic]:
    """Every problem of the translated texts under `messages:`."""
    locales = doc.get("locales")
    settings = compile_locales(locales if isinstance(locales, Mapping) else {})
    found: list[Diagnostic] = []
    for key, node, field in translatable(doc):
        mark = mark_of(node, field, of_key=True) or doc.mark
        user = _described(key)
        scope = Scope("message" if key == field else "case template")
        found.extend(_entry(node[field], mark, user, scope, settings.default, settings.supported))
    return found


def _described(key: str) -> str:
    """'closed' -> "message 'closed'"; 'cases.bug.form.steps.label' -> "the label of form field 'steps'
    of case template 'bug'"; 'commands.case.options.ref.description' likewise."""
    parts = key.split(".")
    if len(parts) == 1:
        return f"message '{key}'"
    owner = "command" if parts[0] == "commands" else "case template"
    what = parts[-1].replace("_", " ")
    inner = ("option" if parts[0] == "commands" else "form field") if len(parts) == 5 else ""
    field = f" of {inner} '{parts[3]}'" if inner else ""
    return f"the {what}{field} of {owner} '{parts[1]}'"


def _entry(
    value: Any, mark: Mark, user: str, scope: Scope, default: str, supported: tuple[str, ...]
) -> Iterator[Diagnostic]:
    texts = texts_of(value, default)
    if not texts:
        return
    if isinstance(value, MarkedDict):
        yield from _translated(value, mark, user, scope, default, texts)
    missing = [locale for locale in supported if pick(locale, texts) is None]
    if missing:
        yield Diagnostic(
            mark.file,
            mark.line,
            mark.col,
            "warning",
            f"{user} has no {', '.join(missing)} text, so players in "
            f"{'that language' if len(missing) == 1 else 'those languages'} get the {default} one",
            f"write it as a map by locale: {{{default}: ..., {missing[0]}: ...}}",
        )


def _translated(
    value: MarkedDict, mark: Mark, user: str, scope: Scope, default: str, texts: dict[str, str]
) -> Iterator[Diagnostic]:
    original = texts.get(default)
    if original is None:
        yield Diagnostic(
            mark.file,
            mark.line,
            mark.col,
            "error",
            f"{user} has no {default} text, the default locale's",
            f"add '{default}: ...' to it: players whose language it lacks get that text",
        )
        return
    broken = text_problems(value, default, user, scope)
    yield from broken
    for locale, text in texts.items():
        if locale == default:
            continue
        yield from text_problems(value, locale, f"{user} in {locale}", scope)
        extra = sorted(_used(text) - _used(original))
        if extra and not broken:  # a broken original is reported once, not in every translation
            where = mark_of(value, locale) or mark
            yield Diagnostic(
                where.file,
                where.line,
                where.col,
                "error",
                f"the {locale} text of {user} uses {', '.join(extra)}, which its {default} text does not",
                "a translation can only fill in what the original fills in; check the spelling",
            )
