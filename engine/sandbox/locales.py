"""The language of each sample person's Discord app.

Discord tells the bot, with every command, form and button, the language the player's app is set
to; SimCord always says en-US. `client_locales` makes the interactions of the given users carry
their own locale, so the real discord.py client reads `interaction.locale` as it would from Discord.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import simcord.interactions

CLIENT_LOCALES = {"lucia": "es-ES", "joao": "pt-BR", "mod_jenny": "fr"}
"""Each sample person's Discord app language when not en-US (ash writes Tagalog now and then, with an
English app: the bot answers the language he writes in)."""


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
