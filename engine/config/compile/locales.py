"""Locales and translated texts: a text is a plain string (the default locale) or a map by locale.

`handoff_started: "I opened case ..."` and `handoff_started: {en-US: "I opened ...", es-ES: "Abrí ..."}`
are both valid; the default locale's text is what players in any other language get when their
language has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar

from engine.config.model import Locales, frozen_map
from engine.language import language_of

__all__ = [
    "DEFAULT_LOCALE",
    "command_names",
    "compile_locales",
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


def translatable(doc: Mapping[str, object]) -> Iterator[tuple[str, Mapping[str, object], str]]:
    """(key, value) of every text that may carry translations: `closed` for a message,
    `cases.bug.reply`, `cases.bug.form_title` and `cases.bug.form.summary.label` for a case's;
    each with the mapping it is in and its key there (the value is `node[field]`)."""
    messages = doc.get("messages")
    if isinstance(messages, Mapping):
        yield from ((str(name), messages, str(name)) for name in messages)
    yield from _command_texts(doc)
    cases = doc.get("cases")
    for name, case in cases.items() if isinstance(cases, Mapping) else ():
        if not isinstance(case, Mapping):
            continue
        for key in ("reply", "form_title"):
            if key in case:
                yield f"cases.{name}.{key}", case, key
        form = case.get("form")
        for field, spec in form.items() if isinstance(form, Mapping) else ():
            for key in ("label", "placeholder"):
                if isinstance(spec, Mapping) and key in spec:
                    yield f"cases.{name}.form.{field}.{key}", spec, key


def _command_texts(doc: Mapping[str, object]) -> Iterator[tuple[str, Mapping[str, object], str]]:
    """`commands.bug.description` and `commands.case.options.ref.description`."""
    commands = doc.get("commands")
    for name, command in commands.items() if isinstance(commands, Mapping) else ():
        if not isinstance(command, Mapping):
            continue
        if "description" in command:
            yield f"commands.{name}.description", command, "description"
        options = command.get("options")
        for option, spec in options.items() if isinstance(options, Mapping) else ():
            if isinstance(spec, Mapping) and "description" in spec:
                yield f"commands.{name}.options.{option}.description", spec, "description"


def command_names(doc: Mapping[str, object]) -> dict[str, dict[str, str]]:
    """Locale -> `commands.bug.name` -> the command's name there, from each command's `names:`."""
    by_locale: dict[str, dict[str, str]] = {}
    commands = doc.get("commands")
    for name, command in commands.items() if isinstance(commands, Mapping) else ():
        names = command.get("names") if isinstance(command, Mapping) else None
        for locale, local in names.items() if isinstance(names, Mapping) else ():
            by_locale.setdefault(str(locale), {})[f"commands.{name}.name"] = str(local)
    return by_locale


def translated_texts(
    entries: Iterable[tuple[str, Mapping[str, object], str]], default: str
) -> dict[str, dict[str, str]]:
    """Locale -> text key -> text, for every locale but the default."""
    by_locale: dict[str, dict[str, str]] = {}
    for name, node, field in entries:
        for locale, text in texts_of(node[field], default).items():
            if locale != default:
                by_locale.setdefault(locale, {})[str(name)] = text
    return by_locale


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
