"""Locales and translated texts: a text is a plain string (the default locale) or a map by locale.

`handoff_started: "I opened case ..."` and `handoff_started: {en-US: "I opened ...", es-ES: "Abrí ..."}`
are both valid; the default locale's text is what players in any other language get when their
language has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine.config.model import Locales, frozen_map
from engine.language import language_of

__all__ = ["compile_locales", "default_texts", "pick", "texts_of", "translated_texts"]


def compile_locales(node: Mapping[str, Any]) -> Locales:
    """`locales: {default: en-US, supported: [en-US, es-ES, ...]}`; the default is always supported."""
    default = str(node.get("default") or "en-US")
    supported = [str(code) for code in node.get("supported") or ()]
    return Locales(default, tuple(dict.fromkeys([default, *supported])))


def texts_of(value: Any, default: str) -> dict[str, str]:
    """The texts of one entry by locale: a plain string is the default locale's."""
    if isinstance(value, Mapping):
        return {str(locale): str(text) for locale, text in value.items() if isinstance(text, str)}
    return {default: str(value)} if value is not None else {}


def default_texts(entries: Mapping[str, Any], default: str) -> dict[str, str]:
    """Entry name -> the default locale's text (the first text when the default has none)."""
    found: dict[str, str] = {}
    for name, value in entries.items():
        texts = texts_of(value, default)
        if texts:
            found[str(name)] = texts.get(default) or next(iter(texts.values()))
    return found


def translated_texts(entries: Mapping[str, Any], default: str) -> Mapping[str, Mapping[str, str]]:
    """Locale -> entry name -> text, for every locale but the default."""
    by_locale: dict[str, dict[str, str]] = {}
    for name, value in entries.items():
        for locale, text in texts_of(value, default).items():
            if locale != default:
                by_locale.setdefault(locale, {})[str(name)] = text
    return frozen_map({locale: frozen_map(texts) for locale, texts in by_locale.items()})


def pick(locale: str | None, available: Iterable[str]) -> str | None:
    """The locale of `available` that serves `locale`: itself, else one of the same language."""
    if not locale:
        return None
    codes = list(available)
    if locale in codes:
        return locale
    language = language_of(locale)
    return next((code for code in codes if language_of(code) == language), None)
