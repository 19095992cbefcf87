"""Each condition of a rule checked on its own and told in plain words, for traces and `flexcord route`.

`check_rule` evaluates every condition of one rule (no index, no shortcuts) and returns a
RuleTrace whose Checks read like "says 'real person' found" or "state: needs queued, conversation is bot".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from engine.config.model import (
    DM,
    THREAD,
    Action,
    CloseConversation,
    Handoff,
    Hours,
    LeaveQueue,
    OpenCase,
    Post,
    Refuse,
    RelayToAgent,
    Reply,
    RunChatbot,
    SendDm,
    UpdateCase,
)
from engine.events import Check, RuleTrace
from engine.hours import is_open
from engine.routing.index import CompiledRule
from engine.routing.words import normalise


def place(where: str) -> str:
    """How a place reads in a sentence: 'dm' or '#bug-report'."""
    return "dm" if where == DM else "a case thread" if where == THREAD else f"#{where}"


def or_list(items: Iterable[str]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def quoted(items: Iterable[str]) -> str:
    return ", ".join(f"'{item}'" for item in items)


@dataclass(slots=True)
class Message:
    """One message being routed, with what rules look at prepared once."""

    where: str
    state: str
    text: str
    roles: frozenset[str]
    now: datetime
    hours: Hours | None
    _open: bool | None = field(default=None)
    _words: str | None = field(default=None)

    @property
    def words(self) -> str:
        """The normalised text (see engine.routing.words.normalise)."""
        if self._words is None:
            self._words = normalise(self.text)
        return self._words

    def hours_open(self) -> bool:
        """Whether support is open now; without business hours it always is."""
        if self._open is None:
            self._open = True if self.hours is None else is_open(self.hours, self.now)
        return self._open


def holds_after_index(rule: CompiledRule, message: Message) -> bool:
    """The conditions the index does not guarantee (roles, hours, matches), cheapest first."""
    if rule.roles and rule.roles.isdisjoint(message.roles):
        return False
    if rule.hours is not None and (rule.hours == "open") != message.hours_open():
        return False
    return rule.regex is None or rule.regex.search(message.text) is not None


Verdict = tuple[bool, str]
"""Whether one condition held, and why, in words."""


def _where(rule: CompiledRule, message: Message) -> Verdict:
    if message.where in rule.where:
        return True, f"where: {place(message.where)}"
    needs = or_list(place(w) for w in sorted(rule.where, key=lambda w: (w != DM, w)))
    return False, f"where: needs {needs}, got {place(message.where)}"


def _state(rule: CompiledRule, message: Message) -> Verdict:
    if message.state in rule.states:
        return True, f"state: conversation is {message.state}"
    return False, f"state: needs {or_list(rule.rule.when.state)}, conversation is {message.state}"


def _says(rule: CompiledRule, message: Message) -> Verdict:
    words = message.words
    for keyword, key in zip(rule.rule.when.says, rule.says, strict=True):
        if key in words:
            return True, f"says '{keyword}' found"
    if len(rule.says) == 1:
        return False, f"says: '{rule.rule.when.says[0]}' not in the message"
    return False, f"says: none of {quoted(rule.rule.when.says)} in the message"


def _matches(rule: CompiledRule, message: Message) -> Verdict:
    assert rule.regex is not None
    found = rule.regex.search(message.text)
    if found is not None:
        return True, f"matches '{rule.regex.pattern}' (found '{found}')"
    return False, f"matches: '{rule.regex.pattern}' not found in the message"


def _roles(rule: CompiledRule, message: Message) -> Verdict:
    have = sorted(rule.roles & message.roles)
    if have:
        return True, f"roles: user has {have[0]}"
    mine = ", ".join(sorted(message.roles)) or "no role"
    return False, f"roles: needs {or_list(sorted(rule.roles))}, user has {mine}"


def _hours(rule: CompiledRule, message: Message) -> Verdict:
    actual = "open" if message.hours_open() else "closed"
    if message.hours is None:
        detail = "hours: no business hours are set, so support counts as open"
        return (True, detail) if rule.hours == "open" else (False, f"{detail} (needs closed)")
    if rule.hours == actual:
        return True, f"hours: support is {actual} now"
    return False, f"hours: needs {rule.hours}, support is {actual} now"


def _verdicts(rule: CompiledRule, message: Message, *, telling_only: bool) -> list[tuple[str, Verdict]]:
    """Each condition the rule has, in a fixed order. `telling_only` keeps says, matches, roles and
    hours (what a one-line explanation needs) unless the rule has none of them."""
    telling = bool(rule.says or rule.regex is not None or rule.roles or rule.hours is not None)
    out: list[tuple[str, Verdict]] = []
    if not (telling_only and telling):
        if rule.where:
            out.append(("where", _where(rule, message)))
        out.append(("state", _state(rule, message)))
    if rule.says:
        out.append(("says", _says(rule, message)))
    if rule.regex is not None:
        out.append(("matches", _matches(rule, message)))
    if rule.roles:
        out.append(("roles", _roles(rule, message)))
    if rule.hours is not None:
        out.append(("hours", _hours(rule, message)))
    return out


def check_rule(rule: CompiledRule, message: Message) -> RuleTrace:
    """Every condition of `rule` for `message`, each with whether it held and why."""
    checks = tuple(
        Check(name, ok, detail) for name, (ok, detail) in _verdicts(rule, message, telling_only=False)
    )
    return RuleTrace(rule.rule.name, all(c.ok for c in checks), checks, rule.source)


def why_matched(rule: CompiledRule, message: Message) -> str:
    """Why a matching rule matched, in one line: "says 'real person' found; hours: support is closed now"."""
    return "; ".join(detail for _name, (_ok, detail) in _verdicts(rule, message, telling_only=True))


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def describe_action(action: Action) -> str:
    """An action written back the way it reads under `do:`: 'open_case: support',
    'handoff: queue=support priority=0', 'reply: message=after_hours', 'leave_queue'."""
    if isinstance(action, Reply | SendDm):
        verb = "reply" if isinstance(action, Reply) else "dm"
        if action.message is not None:
            return f"{verb}: message={action.message}"
        return f"{verb}: {_text(action.text or '')}"
    if isinstance(action, Post):
        return f"post: channel={place(action.channel)} text={_text(action.text)}"
    if isinstance(action, OpenCase):
        return f"open_case: {action.template}"
    if isinstance(action, UpdateCase):
        parts = [f"ref={_text(action.ref)}"]
        parts += [f"status={_text(action.status)}"] if action.status is not None else []
        parts += [f"note={_text(action.note)}"] if action.note is not None else []
        return "update_case: " + " ".join(parts)
    if isinstance(action, RunChatbot):
        return f"chatbot: {action.chatbot}"
    if isinstance(action, Handoff):
        return f"handoff: queue={action.queue} priority={action.priority}"
    if isinstance(action, LeaveQueue):
        return "leave_queue"
    if isinstance(action, CloseConversation):
        return "close"
    if isinstance(action, RelayToAgent):
        return "relay (the message goes to the agent)"
    if isinstance(action, Refuse):
        return f"refuse: {_text(action.reason)}"
    return repr(action)
