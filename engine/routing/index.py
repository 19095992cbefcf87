"""The rule index, built once per config, so a message costs about the same with 10 or 10,000 rules.

Rules are bucketed by (where, state). Inside a bucket a rule is reached through
- one of its `says` keywords (" real person ", padded so only whole words are found), or else
- a word its `matches` regex cannot match without ("refund" for `\b(refunds?)\b`), or else
- the bucket's list of rules that must always be tried (neither says nor such a word).
Keywords and words of all rules sit in one Aho-Corasick automaton that scans the normalised message
once. `candidates()` merges the hits with the always-list, in rule order; the router tries only
those and stops at the first match.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ahocorasick

from engine.config.model import CONVERSATION_STATES, DM, THREAD, Rule
from engine.routing.literals import required_literals
from engine.routing.patterns import Pattern, PatternError, compiled_regex
from engine.routing.words import keyword_key

ANYWHERE = ""
"""The bucket of rules without `where` (a channel is never named with the empty string)."""

Bucket = tuple[str, str]  # (where or ANYWHERE, state)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule with its conditions prepared for fast checks."""

    position: int
    rule: Rule
    where: frozenset[str]  # empty: anywhere
    states: frozenset[str]
    says: tuple[str, ...]  # normalised, padded keywords
    regex: Pattern | None  # run by RE2: linear in the message, whatever the pattern
    roles: frozenset[str]
    hours: str | None
    source: str | None  # file:line:col of the rule


class RuleError(ValueError):
    """A rule that cannot be prepared; `position` is its place in the rule list (0-based)."""

    def __init__(self, position: int, message: str) -> None:
        self.position = position
        super().__init__(message)


def places(where: tuple[str, ...]) -> frozenset[str]:
    """Where a rule applies: `dm` covers the player's case thread too (the conversation moved there);
    `thread` alone means only there."""
    return frozenset(where) | ({THREAD} if DM in where else set())


def compile_rule(position: int, rule: Rule) -> CompiledRule:
    """Prepare one rule; a keyword with no letters or digits, or a bad regex, is a RuleError."""
    keys = []
    for keyword in rule.when.says:
        key = keyword_key(keyword)
        if not key:
            raise RuleError(
                position, f"rule '{rule.name}': says '{keyword}' has no letters or digits to look for"
            )
        keys.append(key)
    regex = None
    if rule.when.matches is not None:
        try:
            regex = compiled_regex(rule.when.matches)
        except PatternError as exc:
            message = f"rule '{rule.name}': matches is not a valid regular expression: {exc}"
            raise RuleError(position, message) from None
    return CompiledRule(
        position=position,
        rule=rule,
        where=places(rule.when.where),
        states=frozenset(rule.when.state),
        says=tuple(keys),
        regex=regex,
        roles=frozenset(rule.when.roles),
        hours=rule.when.hours,
        source=str(rule.source) if rule.source else None,
    )


class RuleIndex:
    """Finds the few rules worth checking for a message; see the module docstring."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = tuple(compile_rule(i, rule) for i, rule in enumerate(rules))
        self.wheres = frozenset(w for r in self.rules for w in r.where)
        self.uses_roles = any(r.roles for r in self.rules)  # else a DM needs no lookup of server roles
        postings: dict[str, dict[Bucket, list[int]]] = defaultdict(lambda: defaultdict(list))
        always: dict[Bucket, list[int]] = defaultdict(list)
        buckets_of: dict[tuple[frozenset[str], frozenset[str]], list[Bucket]] = {}  # few distinct ones
        for compiled in self.rules:
            buckets = buckets_of.get((compiled.where, compiled.states))
            if buckets is None:
                buckets = buckets_of[(compiled.where, compiled.states)] = [
                    (where, state)
                    for where in sorted(compiled.where) or [ANYWHERE]
                    for state in sorted(compiled.states)
                ]
            if compiled.says:
                keys: Any = dict.fromkeys(compiled.says)
            else:
                keys = (required_literals(compiled.regex.pattern) if compiled.regex else None) or ()
            for bucket in buckets:
                if keys:
                    for key in keys:
                        postings[key][bucket].append(compiled.position)
                else:
                    always[bucket].append(compiled.position)
        self._automaton: Any = None
        if postings:
            self._automaton = ahocorasick.Automaton()
            for key, by_bucket in postings.items():
                self._automaton.add_word(key, {b: tuple(found) for b, found in by_bucket.items()})
            self._automaton.make_automaton()
        self._always: dict[Bucket, tuple[int, ...]] = {}
        for state in CONVERSATION_STATES:
            anywhere = always.get((ANYWHERE, state), [])
            self._always[(ANYWHERE, state)] = tuple(anywhere)
            for where in self.wheres:
                self._always[(where, state)] = tuple(sorted(always.get((where, state), []) + anywhere))

    def buckets(self, where: str, state: str) -> tuple[Bucket, ...]:
        """The buckets a message in `where` while `state` falls into."""
        if where in self.wheres:
            return ((where, state), (ANYWHERE, state))
        return ((ANYWHERE, state),)

    def candidates(self, where: str, state: str, words: str) -> Iterator[CompiledRule]:
        """Rules that may match the normalised text `words` (engine.routing.words.normalise), in rule
        order. Each already satisfies its where, state and says; roles, hours and matches are left."""
        buckets = self.buckets(where, state)
        found: set[int] = set()
        if self._automaton is not None:
            for _end, by_bucket in self._automaton.iter(words):
                for bucket in buckets:
                    hit = by_bucket.get(bucket)
                    if hit:
                        found.update(hit)
        always = self._always.get((where if where in self.wheres else ANYWHERE, state), ())
        rules = self.rules
        if not found:
            for position in always:
                yield rules[position]
            return
        keyed = sorted(found)
        i = j = 0
        while i < len(keyed) or j < len(always):
            if j >= len(always) or (i < len(keyed) and keyed[i] < always[j]):
                yield rules[keyed[i]]
                i += 1
            else:
                yield rules[always[j]]
                j += 1
