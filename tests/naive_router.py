"""The reference router: a plain scan of every rule, one regex per rule, no index.

Tests check that engine.routing.route (with its index) gives the same Decision; the routing
benchmark uses it as the baseline. It is test code: the running bot never imports it.
"""

from __future__ import annotations

import re
from datetime import datetime

from engine.config.model import Config, ConversationState
from engine.events import Decision, Event
from engine.routing.conditions import Message
from engine.routing.index import CompiledRule, compile_rule
from engine.routing.router import AGENT_BUTTON, decide, route

__all__ = ["NaiveRouter", "route_naive"]


class NaiveRouter:
    """Linear scan of every rule with per-rule regexes: the baseline the index must agree with."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._rules: list[tuple[CompiledRule, re.Pattern[str] | None]] = []
        for position, rule in enumerate(config.rules):
            compiled = compile_rule(position, rule)
            words = [re.escape(k.strip()) for k in compiled.says]
            says = re.compile(r"\b(?:" + "|".join(words) + r")\b") if words else None
            self._rules.append((compiled, says))

    def route(self, event: Event, state: ConversationState, now: datetime) -> Decision:
        """Like `route`, without the index."""
        if event.kind in ("command", "form") or (event.kind == "button" and event.button != AGENT_BUTTON):
            return route(self.config, event, state, now)
        message = Message(event.where, state, event.text, frozenset(event.user.roles), now, self.config.hours)
        for compiled, says in self._rules:
            if self._holds(compiled, says, message):
                return decide(self.config, message, compiled, None)
        return decide(self.config, message, None, None)

    @staticmethod
    def _holds(rule: CompiledRule, says: re.Pattern[str] | None, message: Message) -> bool:
        if rule.where and message.where not in rule.where:
            return False
        if message.state not in rule.states:
            return False
        if says is not None and not says.search(message.words):
            return False
        if rule.regex is not None and rule.regex.search(message.text) is None:
            return False
        if rule.roles and rule.roles.isdisjoint(message.roles):
            return False
        return rule.hours is None or (rule.hours == "open") == message.hours_open()


def route_naive(config: Config, event: Event, state: ConversationState, now: datetime) -> Decision:
    """`route` by a plain scan of every rule, for tests and the benchmark baseline."""
    return NaiveRouter(config).route(event, state, now)
