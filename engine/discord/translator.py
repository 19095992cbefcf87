"""Slash commands in each player's language: discord.py's Translator reads the config's translations.

Commands, their options and descriptions are built with `locale_str(text, key=...)`; when the
commands are synced, discord.py asks `translate` for each Discord locale and sends what it gets as
`name_localizations` / `description_localizations`. A locale without its own text borrows one of
its language (es-419 gets the es-ES text), else the default locale's when the config has one for it
(the built-in /language's choices, which name each language in itself); texts that would break
Discord's limits are left out, so Discord shows the default one instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import discord
from discord import app_commands

from engine.config.compile.locales import pick
from engine.config.model import Config
from engine.config.schema.definitions import COMMAND_NAME
from engine.language import language_of

NAME = re.compile(COMMAND_NAME)  # Discord's rule for command and option names (any alphabet)
DESCRIPTION_MAX = 100


def localized(text: str, key: str, own: Mapping[str, str] | None = None) -> app_commands.locale_str:
    """A command text discord.py will ask the translator about, under the config's `key`; a built-in
    command brings `own` texts by language code, said in the supported locales the config has none for."""
    return app_commands.locale_str(text, key=key, own=own or {})


def fits(key: str, text: str) -> bool:
    """Whether `text` is within Discord's limits for the kind of text `key` names."""
    if key.endswith(".name"):
        return len(text) <= 32 and bool(NAME.match(text))
    return 1 <= len(text) <= DESCRIPTION_MAX


class ConfigTranslator(app_commands.Translator):
    """Command names and descriptions from the running config's translations."""

    def __init__(self, config: Callable[[], Config]) -> None:
        self._config = config

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: Any
    ) -> str | None:
        key = string.extras.get("key")
        if not key:
            return None
        config = self._config()
        translations = config.translations
        chosen = pick(locale.value, [code for code, texts in translations.items() if key in texts])
        if chosen is None and key in translations.get(config.locales.default, {}):
            chosen = config.locales.default  # a text the default locale has too: the built-in /language's
        text = translations[chosen][key] if chosen is not None else None
        if text is None and pick(locale.value, config.locales.supported) is not None:
            text = string.extras.get("own", {}).get(language_of(locale.value))
        return text if text is not None and fits(key, text) else None
