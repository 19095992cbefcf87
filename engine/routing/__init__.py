"""Routing: which rule or command answers an event, decided purely from (config, event, state, now).

- router.py: `route()` for messages, buttons, commands and forms;
- index.py: the RuleIndex compile builds once, so routing cost does not grow with the number of rules;
- conditions.py: each condition told in plain words, for traces and `flexcord route`;
- patterns.py: `matches` regexes on RE2, which searches in time linear in the message;
- words.py / literals.py: how text and regexes are prepared for matching.

The names below are imported on first use: checking a config (`flexcord validate`) needs only the
patterns and the index, not the router and what it brings (the chatbot, the events, business hours).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import lazy_names

if TYPE_CHECKING:
    from engine.routing.index import RuleIndex
    from engine.routing.router import route, route_command, route_form
    from engine.routing.words import normalise

__all__ = ["RuleIndex", "normalise", "route", "route_command", "route_form"]

_ROUTER = dict.fromkeys(("route", "route_command", "route_form"), "router")
__getattr__ = lazy_names(__name__, {"RuleIndex": "index", "normalise": "words", **_ROUTER})
