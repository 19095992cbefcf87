"""Discord client languages for SimCord players.

SimCord sends every interaction with `locale: en-US`; Discord sends the language the player's
client is set to. `client_locales` makes SimCord's interactions carry each player's own locale,
so the real discord.py client reads `interaction.locale` as it would from Discord.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import simcord.interactions


@contextmanager
def client_locales(by_user_id: Mapping[int, str]) -> Iterator[None]:
    """While inside, an interaction by a user in `by_user_id` carries that user's locale."""
    original = simcord.interactions.base_payload

    def base_payload(*args: Any, **kwargs: Any) -> Any:
        record, payload = original(*args, **kwargs)
        locale = by_user_id.get(int(kwargs["user_id"]))
        if locale is not None:
            payload["locale"] = locale
        return record, payload

    simcord.interactions.base_payload = base_payload  # type: ignore[assignment]
    try:
        yield
    finally:
        simcord.interactions.base_payload = original
