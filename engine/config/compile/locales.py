"""Locales and translated texts: a text is a plain string (the default locale) or a map by locale.

`handoff_started: "I opened case ..."` and `handoff_started: {en-US: "I opened ...", es-ES: "Abrí ..."}`
are both valid; the default locale's text is what players in any other language get when their
language has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextvars import ContextVar

from engine.config.compile.texts import Text, local_names, translatable
from engine.config.model import frozen_map
from engine.language import Locales, language_of
from engine.language.chooser import COMMAND, chooser_texts

__all__ = [
    "DEFAULT_LOCALE",
    "compile_locales",
    "compile_translations",
    "default_text",
    "default_texts",
    "frozen_texts",
    "pick",
    "texts_of",
    "translatable",
    "translated_texts",
]


def compile_locales(node: Mapping[str, object]) -> Locales:
    """`locales: {default: en-US, supported: [en-US, es-ES, ...]}`; the default is always supported."""
    default = str(node.get("default") or "en-US")
    listed = node.get("supported")
    supported = [str(code) for code in listed] if isinstance(listed, list) else []
    return Locales(default, tuple(dict.fromkeys([default, *supported])))


def texts_of(value: object, default: str) -> dict[str, str]:
    """The texts of one entry by locale: a plain string is the default locale's."""
    if isinstance(value, Mapping):
        return {str(locale): str(text) for locale, text in value.items() if isinstance(text, str)}
    return {default: str(value)} if value is not None else {}


def default_texts(entries: Mapping[str, object], default: str) -> dict[str, str]:
    """Entry name -> the default locale's text (the first text when the default has none)."""
    found: dict[str, str] = {}
    for name, value in entries.items():
        texts = texts_of(value, default)
        if texts:
            found[str(name)] = texts.get(default) or next(iter(texts.values()))
    return found


def translated_texts(entries: Iterable[Text], default: str) -> dict[str, dict[str, str]]:
    """Locale -> text key -> text, for every locale but the default."""
    by_locale: dict[str, dict[str, str]] = {}
    for entry in entries:
        for locale, text in texts_of(entry.value, default).items():
            if locale != default:
                by_locale.setdefault(locale, {})[entry.key] = text
    return by_locale


def compile_translations(doc: Mapping[str, object], locales: Locales) -> Mapping[str, Mapping[str, str]]:
    """Locale -> key -> text: every translated text and name of the document, read-only; with the
    built-in /language in every supported locale (all of them: its choices name themselves)."""
    names: dict[str, dict[str, str]] = {}
    commands = doc.get("commands")
    chooser = len(locales.supported) > 1 and not (isinstance(commands, Mapping) and COMMAND in commands)
    for locale, key, name in [*local_names(doc), *(chooser_texts(locales.supported) if chooser else ())]:
        names.setdefault(locale, {})[key] = name
    return frozen_texts(translated_texts(translatable(doc), locales.default), names)


def frozen_texts(*parts: Mapping[str, Mapping[str, str]]) -> Mapping[str, Mapping[str, str]]:
    """Several locale -> key -> text maps as one, read-only."""
    merged: dict[str, dict[str, str]] = {}
    for part in parts:
        for locale, texts in part.items():
            merged.setdefault(locale, {}).update(texts)
    return frozen_map({locale: frozen_map(texts) for locale, texts in merged.items()})


def pick(locale: str | None, available: Iterable[str]) -> str | None:
    """The locale of `available` that serves `locale`: itself, else one of the same language."""
    if not locale:
        return None
    codes = list(available)
    if locale in codes:
        return locale
    language = language_of(locale)
    return next((code for code in codes if language_of(code) == language), None)


DEFAULT_LOCALE: ContextVar[str] = ContextVar("default_locale", default="en-US")
"""The default locale of the config being compiled (set by compile_config, per thread)."""


def default_text(value: object) -> str | None:
    """The default locale's text of a plain or translated text (None when it is not set)."""
    if value is None:
        return None
    texts = texts_of(value, DEFAULT_LOCALE.get())
    return texts.get(DEFAULT_LOCALE.get()) or next(iter(texts.values()), None)
