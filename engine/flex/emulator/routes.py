"""Endpoints as methods: `@route("GET", "/tasks")` marks one; `add_routes(blueprint, api)` serves them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from quart import Blueprint

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


__all__ = ["add_routes", "route"]
