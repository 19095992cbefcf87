"""Endpoints as methods: `@route("GET", "/tasks")` marks one; `add_routes(blueprint, api)` serves them;
`authorized` is the HTTP Basic check every Twilio endpoint makes."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from quart import Blueprint

if TYPE_CHECKING:
    from engine.flex.emulator.world import Emulator

Handler = TypeVar("Handler", bound=Callable[..., object])
_ROUTES = "_emulator_routes"


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Mark a method as the handler of `method` `path` (relative to the blueprint's prefix)."""

    def mark(handler: Handler) -> Handler:
        setattr(handler, _ROUTES, (*getattr(handler, _ROUTES, ()), (method, path)))
        return handler

    return mark


def add_routes(blueprint: Blueprint, api: object) -> None:
    """Register every method of `api` marked with @route on `blueprint`, named after the method."""
    for name in dir(type(api)):
        handler = getattr(api, name)
        for method, path in getattr(handler, _ROUTES, ()):
            blueprint.add_url_rule(path, name, handler, methods=[method])


__all__ = ["add_routes", "authorized", "route"]


def authorized(header: str, emulator: Emulator) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(user, emulator.account_sid) and hmac.compare_digest(
        password, emulator.auth_token
    )
