"""Translations: which supported locale lacks which text (warnings), and translations that use
names their original does not (errors: the runtime would have nothing to fill them with).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from engine.config.checks.templates import Scope, text_problems
from engine.config.compile.locales import compile_locales, pick, texts_of
from engine.config.compile.texts import translatable
from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import Mark, MarkedDict, mark_of

__all__ = ["translation_problems"]

_NAME = re.compile(r"\{\{-?\s*([A-Za-z_][\w.]*)")


def _used(text: str) -> set[str]:
    return set(_NAME.findall(text))


def translation_problems(doc: MarkedDict) -> list[Diagnostic]:
    """Every problem of the translated texts (messages, case and command texts, what rules and
    commands say, choices) and the locales each text and each case status lacks."""
    locales = doc.get("locales")
    settings = compile_locales(locales if isinstance(locales, Mapping) else {})
    found: list[Diagnostic] = []
    for text in translatable(doc):
        mark = mark_of(text.node, text.field, of_key=isinstance(text.field, str)) or doc.mark
        form, options = (text.names, None) if text.kind == "case template" else (None, text.names)
        scope = Scope(text.kind, form=form, options=options)
        found.extend(_entry(text.value, mark, text.what, scope, settings.default, settings.supported))
    found.extend(_statuses(doc, settings.default, settings.supported))
    return found


def _statuses(doc: MarkedDict, default: str, supported: tuple[str, ...]) -> Iterator[Diagnostic]:
    """A warning for each case status without a name in each supported locale."""
    cases = doc.get("cases")
    for name, case in cases.items() if isinstance(cases, Mapping) else ():
        statuses = case.get("statuses") if isinstance(case, Mapping) else None
        for index, status in enumerate(statuses or ()) if isinstance(statuses, list | dict) else ():
            in_map = isinstance(statuses, dict)
            spec = statuses.get(status) if isinstance(statuses, dict) else None
            local = spec.get("names") if isinstance(spec, Mapping) else None
            texts = {default: str(status), **(local if isinstance(local, Mapping) else {})}
            missing = [locale for locale in supported if pick(locale, texts) is None]
            if not missing:
                continue
            where = mark_of(statuses, status if in_map else index, of_key=True) or doc.mark
            hint = "add to it" if in_map else "write statuses as a map"
            yield Diagnostic(
                where.file,
                where.line,
                where.col,
                "warning",
                f"status '{status}' of case template '{name}' has no {', '.join(missing)} name, so players "
                f"in {'that language' if len(missing) == 1 else 'those languages'} see '{status}'",
                f"{hint}: {status}: {{names: {{{missing[0]}: ...}}}}",
            )


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
