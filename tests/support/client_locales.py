"""Discord app languages for SimCord players in tests (see engine.sandbox.locales)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from engine.sandbox.locales import client_locales as by_lookup


@contextmanager
def client_locales(by_user_id: Mapping[int, str]) -> Iterator[None]:
    """While inside, an interaction by a user in `by_user_id` carries that user's locale."""
    with by_lookup(by_user_id.get):
        yield
