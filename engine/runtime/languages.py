"""The player's language, settled once per event before routing, and remembered in the store.

An interaction (command, button, form) carries the Discord client's locale; a DM text carries
none, so its language is detected when the detector is confident, else the player's last known
locale is used, else the server's default. `/language` records a choice that wins over both.
The store keeps one setting per player: `language:<user id>` = "chosen fr" or "seen pt-BR".

A DM to an agent's conversation needs no language before it goes out, unless a rule asks for
one or something is said to the player: its language is settled once needed (`Turn.locale`), at
the latest after the relay is sent, and remembered then (`remember_later`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from engine.config.model import Command, Config, Option, RelayToAgent, in_conversation
from engine.events import Decision, Event
from engine.language import settle
from engine.language.chooser import COMMAND, words_for
from engine.routing.router import RELAY_STATES
from engine.runtime.generation import Generation
from engine.store import StorageError, Store, Writes

log = logging.getLogger(__name__)


class Settings(Protocol):
    async def get_setting(self, key: str) -> str | None: ...


LANGUAGE_COMMAND = COMMAND
"""The built-in slash command a player chooses their language with (unless the config defines one)."""

CHOSEN, SEEN = "chosen", "seen"


def language_key(user_id: str) -> str:
    """The store setting that holds a player's language (erased with the player)."""
    return f"language:{user_id}"


def parse(value: str | None) -> tuple[str, str] | None:
    """(how, locale) of a stored language setting ('chosen fr' -> ('chosen', 'fr')); None if nothing."""
    how, _, locale = (value or "").partition(" ")
    return (how, locale) if how in (CHOSEN, SEEN) and locale else None


async def remembered(store: Settings, user_id: str) -> tuple[str, str] | None:
    """(how, locale) the store holds for the player: how is 'chosen' or 'seen'; None if nothing."""
    return parse(await store.get_setting(language_key(user_id)))


async def with_locale(store: Settings, config: Config, event: Event) -> Event:
    """`event` with `locale` set to the language to answer the player in."""
    if len(config.locales.supported) < 2:
        return replace(event, locale=config.locales.default)
    return locale_for(config, event, await remembered(store, event.user.id))


def locale_for(config: Config, event: Event, known: tuple[str, str] | None) -> Event:
    """`event` with `locale` set to the language to answer in, the player's setting being `known`."""
    locales = config.locales
    if len(locales.supported) < 2:
        return replace(event, locale=locales.default)
    if known is not None and known[0] == CHOSEN and known[1] in locales.supported:
        return replace(event, locale=known[1])
    locale = settle(
        text=event.text if event.kind == "message" else "",
        client=event.locale,
        remembered=known[1] if known is not None else None,
        default=locales.default,
        supported=locales.supported,
    )
    return replace(event, locale=locale)


def locale_of(config: Config, event: Event, setting: str | None) -> str | None:
    """The language to answer a player's message in, their setting being `setting` (not a command)."""
    return locale_for(config, event, parse(setting)).locale


async def remember(tx: Writes, event: Event, setting: str | None, *, chosen: bool = False) -> None:
    """Keep the event's locale as the player's last known one (or their choice); `setting` is the
    value the store holds now."""
    value = new_setting(event, setting, chosen=chosen)
    if value is not None:
        await tx.put_setting(language_key(event.user.id), value)


def new_setting(event: Event, setting: str | None, *, chosen: bool = False) -> str | None:
    """The language setting to store after `event` when it changes `setting`, else None."""
    if event.locale is None:
        return None
    known = parse(setting)
    if known is not None and known[0] == CHOSEN and not chosen:
        return None
    value = f"{CHOSEN if chosen else SEEN} {event.locale}"
    return value if known is None or " ".join(known) != value else None


def settles_later(generation: Generation, event: Event, setting: str | None, state: str | None) -> bool:
    """Whether a DM's language may wait until it is needed: a message to an agent's (or a queued)
    conversation, with no client locale, no choice made with `/language`, and no rule that asks
    for a language (routing is then the same in every language)."""
    known = parse(setting)
    return (
        event.kind == "message"
        and event.locale is None
        and state in RELAY_STATES
        and in_conversation(event.where)
        and len(generation.config.locales.supported) > 1
        and not generation.rules_ask_language
        and not (known is not None and known[0] == CHOSEN)
    )


def only_relays(decision: Decision) -> bool:
    """Whether all a decision does is pass the message to the agent (its language can wait)."""
    return bool(decision.actions) and all(isinstance(action, RelayToAgent) for action in decision.actions)


async def remember_later(store: Store, event: Event, locale: str | None, setting: str | None) -> str | None:
    """Remember the language of a DM settled after its relay, when it changes what the store held
    (`setting`); returns the setting the store holds now, as far as this process knows. A store that
    refuses is logged: the message itself is already stored and sent."""
    settled = replace(event, locale=locale)
    if new_setting(settled, setting) is None:
        return setting
    try:
        async with store.transaction() as tx:
            held = await tx.get_setting(language_key(event.user.id))
            await remember(tx, settled, held)
    except StorageError as exc:
        log.warning("the language of a message of player %s was not remembered: %s", event.user.id, exc)
        return setting
    return new_setting(settled, held) or held


def settle_language(config: Config, event: Event, setting: str | None) -> tuple[Event, str | None]:
    """`event` in the language to answer in, and the locale `/language` chose by it (else None);
    `setting` is the player's language setting as the store holds it."""
    chosen = chosen_locale(config, event)
    if chosen is not None:
        return replace(event, locale=chosen), chosen
    return locale_for(config, event, parse(setting)), None


def language_command(config: Config) -> Command | None:
    """The built-in `/language` command, when the bot speaks several languages and the config
    does not define a command of that name itself."""
    supported = config.locales.supported
    if len(supported) < 2 or LANGUAGE_COMMAND in config.commands:
        return None
    words = words_for(config.locales.default)  # other locales: see engine.language.chooser
    option = Option(LANGUAGE_COMMAND, "choice", words.option_description, choices=supported)
    return Command(LANGUAGE_COMMAND, words.description, actions=(), options=(option,), dm=True)


def chosen_locale(config: Config, event: Event) -> str | None:
    """The locale a `/language` command chose, among the supported ones (None: not that command)."""
    if event.kind != "command" or event.command != LANGUAGE_COMMAND or LANGUAGE_COMMAND in config.commands:
        return None
    wanted = str(event.options.get("language") or "")
    return wanted if wanted in config.locales.supported else config.locales.default
