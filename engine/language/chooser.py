"""The words of the built-in `/language` command, in each language flexcord knows.

A player who does not read the bot's default language must still find the command that changes
it: its name, description and option are given in every supported locale's language, and each
choice is a language's own name for itself ("Español (España)"), which is what a reader of that
language looks for whatever language the list is shown in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from engine.language import language_of

__all__ = ["COMMAND", "CommandWords", "autonym", "chooser_texts", "words_for"]

COMMAND = "language"
"""The command's name (and its option's), as the bot receives it whatever the player's language."""


class CommandWords(NamedTuple):
    """The command as readers of one language see it."""

    name: str  # Discord's rules for names: lowercase, no spaces
    description: str
    option: str
    option_description: str


WORDS: dict[str, CommandWords] = {
    "en": CommandWords(
        "language",
        "Choose the language the bot speaks to you",
        "language",
        "The language the bot speaks to you",
    ),
    "es": CommandWords(
        "idioma",
        "Elige el idioma en el que te habla el bot",
        "idioma",
        "El idioma en el que te habla el bot",
    ),
    "pt": CommandWords(
        "idioma",
        "Escolha o idioma em que o bot fala com você",
        "idioma",
        "O idioma em que o bot fala com você",
    ),
    "fr": CommandWords(
        "langue",
        "Choisir la langue dans laquelle le bot vous parle",
        "langue",
        "La langue dans laquelle le bot vous parle",
    ),
    "hi": CommandWords(
        "भाषा",
        "चुनें कि बॉट आपसे किस भाषा में बात करे",
        "भाषा",
        "वह भाषा जिसमें बॉट आपसे बात करे",
    ),
    "tl": CommandWords(
        "wika",
        "Piliin ang wikang gagamitin ng bot sa pakikipag-usap sa iyo",
        "wika",
        "Ang wikang gagamitin ng bot sa iyo",
    ),
    "de": CommandWords(
        "sprache",
        "Wähle die Sprache, in der der Bot mit dir spricht",
        "sprache",
        "Die Sprache, in der der Bot mit dir spricht",
    ),
    "it": CommandWords(
        "lingua", "Scegli la lingua in cui il bot ti parla", "lingua", "La lingua in cui il bot ti parla"
    ),
    "nl": CommandWords(
        "taal", "Kies de taal waarin de bot met je praat", "taal", "De taal waarin de bot met je praat"
    ),
    "pl": CommandWords(
        "język", "Wybierz język, w którym bot do ciebie pisze", "język", "Język, w którym bot do ciebie pisze"
    ),
    "tr": CommandWords("dil", "Botun seninle konuşacağı dili seç", "dil", "Botun seninle konuştuğu dil"),
    "id": CommandWords(
        "bahasa",
        "Pilih bahasa yang dipakai bot untuk berbicara denganmu",
        "bahasa",
        "Bahasa yang dipakai bot untuk berbicara denganmu",
    ),
}
"""By language code (the part of a locale before '-')."""

AUTONYMS: dict[str, str] = {
    "en-US": "English (US)",
    "en-GB": "English (UK)",
    "en": "English",
    "es-ES": "Español (España)",
    "es-419": "Español (Latinoamérica)",
    "es": "Español",
    "pt-BR": "Português (Brasil)",
    "pt": "Português",
    "fr": "Français",
    "hi": "हिन्दी",
    "tl": "Tagalog",
    "de": "Deutsch",
    "it": "Italiano",
    "nl": "Nederlands",
    "pl": "Polski",
    "tr": "Türkçe",
    "id": "Bahasa Indonesia",
}
"""Each language's (and locale's) name for itself."""


def autonym(locale: str) -> str:
    """'es-419' -> 'Español (Latinoamérica)'; a locale flexcord has no name for keeps its code."""
    return AUTONYMS.get(locale) or AUTONYMS.get(language_of(locale)) or locale


def words_for(locale: str) -> CommandWords:
    """The command's words for readers of `locale` (English for a language flexcord has none in)."""
    return WORDS.get(language_of(locale)) or WORDS["en"]


def chooser_texts(locales: Iterable[str]) -> Iterator[tuple[str, str, str]]:
    """(locale, key, text) of the command in each of `locales`, under the keys slash commands are
    translated by (`commands.language.name`, `...options.language.choices.es-ES`, ...)."""
    codes = list(locales)
    prefix, option = f"commands.{COMMAND}", f"commands.{COMMAND}.options.{COMMAND}"
    for locale in codes:
        words = WORDS.get(language_of(locale))
        if words is not None:
            yield locale, f"{prefix}.name", words.name
            yield locale, f"{prefix}.description", words.description
            yield locale, f"{option}.name", words.option
            yield locale, f"{option}.description", words.option_description
        for code in codes:
            yield locale, f"{option}.choices.{code}", autonym(code)
