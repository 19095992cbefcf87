"""The language of each sample person's Discord app.

Discord tells the bot, with every command, form and button, the language the player's app is set
to; SimCord always says en-US. `client_locales` makes the interactions of the given users carry
their own locale, so the real discord.py client reads `interaction.locale` as it would from Discord.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import simcord.interactions

from engine.runtime.languages import CHOSEN, language_key, remembered
from engine.store import Store

CLIENT_LOCALES = {"lucia": "es-ES", "joao": "pt-BR", "mod_jenny": "fr"}
"""Each sample person's Discord app language when not en-US (ash writes Tagalog now and then, with an
English app: the bot answers the language he writes in)."""

CHOSEN_LOCALES = {"mayumi": "tl"}
"""The language a sample person chose with `/language` before the sandbox first started: mayumi
speaks Tagalog, which Discord's app does not offer, so her app is in English."""


@contextmanager
def client_locales(locale_of: Callable[[int], str | None]) -> Iterator[None]:
    """While inside, an interaction by user id `u` carries `locale_of(u)` (when not None)."""
    original = simcord.interactions.base_payload

    def base_payload(*args: Any, **kwargs: Any) -> Any:
        record, payload = original(*args, **kwargs)
        locale = locale_of(int(kwargs["user_id"]))
        if locale is not None:
            payload["locale"] = locale
        return record, payload

    simcord.interactions.base_payload = base_payload
    try:
        yield
    finally:
        simcord.interactions.base_payload = original


async def choose_locales(store: Store, people: Mapping[str, str]) -> None:
    """Give each person of CHOSEN_LOCALES (`people`: name -> user id) their choice, unless the bot
    already knows them by one."""
    for name, locale in CHOSEN_LOCALES.items():
        user_id = people.get(name)
        async with store.transaction() as tx:
            if user_id is not None and await remembered(tx, user_id) is None:
                await tx.put_setting(language_key(user_id), f"{CHOSEN} {locale}")


async def spoken_locales(store: Store, people: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Each person's language as the bot knows them (`people`: name -> user id), by name:
    {how: chosen or seen, locale}."""
    found: dict[str, dict[str, str]] = {}
    async with store.view() as view:
        for name, user_id in people.items():
            known = await remembered(view, user_id)
            if known is not None:
                found[name] = {"how": known[0], "locale": known[1]}
    return found
