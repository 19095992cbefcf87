"""Which language a player writes in: locale codes, and a detector restricted to the configured ones.

Locales use Discord's codes (`en-US`, `es-ES`, `es-419`, `pt-BR`, `fr`, `hi`, ...) plus codes for
languages Discord's client does not offer (`tl` for Tagalog). Several locales can share one
language (`es-ES` and `es-419` are both Spanish). The detector (lingua, whose models ship inside
its wheel: nothing is downloaded) only ever chooses among the languages it is given, and says
`None` when it is not confident, so the caller falls back to the player's or the server's locale.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

LANGUAGES: dict[str, str] = {
    "en": "english",
    "es": "spanish",
    "pt": "portuguese",
    "fr": "french",
    "hi": "hindi",
    "tl": "tagalog",
    "de": "german",
    "it": "italian",
    "nl": "dutch",
    "pl": "polish",
    "tr": "turkish",
    "id": "indonesian",
}
"""Language code (the part of a locale before '-') -> the language's English name."""

MIN_CONFIDENCE = 0.5
"""The detector's share for its best language must reach this, else the text's language is unknown."""

MIN_LETTERS = 6  # shorter texts ("ok", "gg") say nothing reliable about their language
MIN_VARIETY = 5  # distinct letters a text needs before its language is guessed ("xxxxxxxx" has one)


@dataclass(frozen=True, slots=True)
class Locales:
    """The languages the bot speaks, as Discord's locale codes (plus codes such as `tl`)."""

    default: str = "en-US"
    supported: tuple[str, ...] = ("en-US",)


def language_of(locale: str) -> str:
    """The language code of a Discord locale: 'es-419' -> 'es', 'pt-BR' -> 'pt', 'tl' -> 'tl'."""
    return locale.split("-", 1)[0].casefold()


def is_known(locale: str) -> bool:
    """Whether flexcord knows the language of `locale` (for its detector and its search)."""
    return language_of(locale) in LANGUAGES


@dataclass(frozen=True)
class Guess:
    """A language the text may be in (a language code such as 'es'), with the detector's share 0-1."""

    language: str
    confidence: float


def guesses(text: str, among: Iterable[str]) -> list[Guess]:
    """The languages of `among` (codes or locales) the text may be in, most likely first.

    'no puedo entrar a mi cuenta', among en/es/pt -> [Guess('es', 0.87), Guess('pt', 0.1), ...]
    A text with too few letters gets [].
    """
    codes = _codes(among)
    if len(codes) < 2:
        return [Guess(codes[0], 1.0)] if codes else []
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return []
    detector = _detector(codes)
    with _LOCK:  # the detector is shared between threads; lingua's Rust side is not documented as safe
        values = detector.compute_language_confidence_values(text)
    by_name = {name: code for code, name in LANGUAGES.items()}
    found = [Guess(by_name[v.language.name.casefold()], float(v.value)) for v in values]
    return [guess for guess in found if guess.language in codes]


def detect(text: str, among: Iterable[str]) -> str | None:
    """The language code `text` is written in, among `among`, or None when the detector is not confident."""
    found = guesses(text, among)
    if found and found[0].confidence >= MIN_CONFIDENCE:
        return found[0].language
    return None


def settle(
    *,
    text: str = "",
    client: str | None = None,
    remembered: str | None = None,
    default: str,
    supported: Sequence[str],
) -> str:
    """The locale to answer a player in, among `supported`.

    The client's locale (an interaction's) when supported; else the language `text` is written in
    when the detector is confident; else the player's `remembered` locale; else `default`. A
    detected language keeps the player's own locale of it (es-419 stays es-419, not es-ES).
    """
    if client is not None and (found := _serving(client, supported)) is not None:
        return found
    varied = len({ch.casefold() for ch in text if ch.isalpha()}) >= MIN_VARIETY  # "xxxx" is no language
    language = detect(text, supported) if varied else None
    if language is not None:
        for known in (remembered, client):
            if known is not None and language_of(known) == language and known in supported:
                return known
        return next(code for code in supported if language_of(code) == language)
    if remembered is not None and (found := _serving(remembered, supported)) is not None:
        return found
    return default


def _serving(locale: str, supported: Sequence[str]) -> str | None:
    if locale in supported:
        return locale
    return next((code for code in supported if language_of(code) == language_of(locale)), None)


_LOCK = threading.Lock()
_WARM: set[tuple[str, ...]] = set()  # language sets whose detector has its models loaded
_WARMING_TEXT = "hello, this text only loads the models of the detector before players write"


def warm(among: Iterable[str]) -> bool:
    """Load the detector's models for these languages now (about 0.2 s a language, once a process).

    lingua loads a language's models on the first text it is asked about, holding the interpreter
    lock: the event loop would stop for a second on the first DM after the bot starts. The
    runtime calls this while it builds, before it serves. True if models were loaded just now.
    """
    codes = _codes(among)
    if len(codes) < 2 or codes in _WARM:
        return False
    detector = _detector(codes)
    with _LOCK:
        detector.compute_language_confidence_values(_WARMING_TEXT)
    _WARM.add(codes)
    return True


def _codes(among: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({language_of(code) for code in among if is_known(code)}))


@lru_cache(maxsize=8)
def _detector(codes: tuple[str, ...]) -> Any:
    """A lingua detector for exactly these languages (built once per set; building is cheap)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, LANGUAGES[code].upper()) for code in codes]
    return LanguageDetectorBuilder.from_languages(*languages).build()


__all__ = [
    "LANGUAGES",
    "MIN_CONFIDENCE",
    "Guess",
    "Locales",
    "detect",
    "guesses",
    "is_known",
    "language_of",
    "settle",
    "warm",
]
