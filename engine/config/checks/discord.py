"""Discord's own limits on slash commands, checked at `validate` instead of failing at sync.

- A command or option name is 1 to 32 characters matching Discord's pattern
  `^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$` (letters and digits of any alphabet, - and _),
  in lowercase where the alphabet has one: `помощь` is fine, `Помощь` is not.
- Everything a command shows (its name and description, each option's name and description,
  each choice's name and value) adds up to at most 4,000 characters, each text counted by its
  longest localization, as Discord counts it. Names in other languages follow the same rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from engine.config.compile.locales import compile_locales, texts_of
from engine.config.compile.texts import choice_value
from engine.config.diagnostics import Diagnostic
from engine.config.schema.definitions import COMMAND_NAME
from engine.config.yaml.nodes import MarkedDict, mark_of

__all__ = ["COMMAND_TOTAL_LIMIT", "discord_limits", "discord_name_problem"]

COMMAND_TOTAL_LIMIT = 4000
_EMPTY_DESCRIPTION = "…"  # what discord.py sends for an option without a description
_SCHEMA_NAME = re.compile(COMMAND_NAME)
_SCRIPTS = ((0x0900, 0x097F), (0x0E00, 0x0E7F))  # Devanagari and Thai, whose vowel signs are marks


def discord_name_problem(name: str) -> str | None:
    """Why Discord refuses `name` as a command or option name, or None when it accepts it."""
    bad = [c for c in name if not _allowed(c)]
    if bad:
        return f"'{bad[0]}' cannot be used in a name; use letters, digits, - and _"
    if name != name.lower():
        return f"names must be lowercase: write '{name.lower()}'"
    if not 1 <= len(name) <= 32:
        return "names are 1 to 32 characters long"
    return None


def _allowed(char: str) -> bool:
    if char in "-_" or unicodedata.category(char)[0] in "LN":
        return True
    return any(low <= ord(char) <= high for low, high in _SCRIPTS)


def discord_limits(doc: MarkedDict) -> list[Diagnostic]:
    """Every command over Discord's limits, at the line of the command or of the name."""
    commands = doc.get("commands")
    if not isinstance(commands, MarkedDict):
        return []
    locales = doc.get("locales")
    default = compile_locales(locales if isinstance(locales, dict) else {}).default
    found: list[Diagnostic] = []
    for name, command in commands.items():
        found.extend(_names(commands, name, command))
        if isinstance(command, MarkedDict):
            size = command_size(name, command, default)
            if size > COMMAND_TOTAL_LIMIT:
                mark = mark_of(commands, name, of_key=True) or commands.mark
                found.append(
                    Diagnostic(
                        mark.file,
                        mark.line,
                        mark.col,
                        "error",
                        f"command '{name}' is too big for Discord: its name, description, options and "
                        f"choices add up to {size:,} characters",
                        f"Discord allows at most {COMMAND_TOTAL_LIMIT:,} in all: shorten the descriptions "
                        "or choices, or split it into two commands",
                    )
                )
    return found


def _refused(name: str) -> str | None:
    """Discord's objection to a name the schema let through (the schema reports the others)."""
    return discord_name_problem(name) if _SCHEMA_NAME.match(name) and len(name) <= 32 else None


def _names(commands: MarkedDict, name: str, command: Any) -> Iterator[Diagnostic]:
    problem = _refused(name)
    if problem is not None:
        mark = mark_of(commands, name, of_key=True) or commands.mark
        yield Diagnostic(
            mark.file, mark.line, mark.col, "error", f"'{name}' is not a valid command name", problem
        )
    names = command.get("names") if isinstance(command, MarkedDict) else None
    for locale, local in names.items() if isinstance(names, MarkedDict) else ():
        problem = _refused(str(local))
        if problem is not None:
            mark = mark_of(names, locale) or commands.mark
            yield Diagnostic(
                mark.file,
                mark.line,
                mark.col,
                "error",
                f"'{local}' is not a valid {locale} name of /{name}",
                problem,
            )
    options = command.get("options") if isinstance(command, MarkedDict) else None
    if not isinstance(options, MarkedDict):
        return
    for option in options:
        problem = _refused(option)
        if problem is not None:
            mark = mark_of(options, option, of_key=True) or options.mark
            yield Diagnostic(
                mark.file, mark.line, mark.col, "error", f"'{option}' is not a valid option name", problem
            )


def _longest(value: object, empty: str = "") -> int:
    """The length Discord counts for a text: of its longest localization (the default's included)."""
    return max((len(text) for text in texts_of(value, "").values()), default=len(empty))


def command_size(name: str, command: MarkedDict, default: str = "en-US") -> int:
    """The characters Discord counts toward a command's 4,000: each name, description and choice
    by its longest localization, each choice's value once."""
    names = command.get("names")
    size = max(
        [len(name), *(len(str(local)) for local in (names.values() if isinstance(names, dict) else ()))]
    )
    size += _longest(command.get("description"))
    options = command.get("options")
    if isinstance(options, MarkedDict):
        for option_name, option in options.items():
            size += len(option_name)
            if isinstance(option, MarkedDict):
                size += _longest(option.get("description"), _EMPTY_DESCRIPTION)
                choices = option.get("choices")
                for choice in choices if isinstance(choices, list) else ():
                    size += len(choice_value(choice, default)) + _longest(choice)
    return size
