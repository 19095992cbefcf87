"""The rule index, built once per config, so a message costs about the same with 10 or 10,000 rules.

A rule is reached through
- one of its `says` keywords (" real person ", padded so only whole words are found), or else
- a word its `matches` regex cannot match without ("refund" for `\b(refunds?)\b`), or else
- the list of rules that must always be tried, kept per bucket (where, state).
Keywords and words of all rules sit in one Aho-Corasick automaton that scans the normalised message
once; each keyword's value is its posting list, the positions of its rules as one compact array.
`candidates()` merges the lists found with the always-list in rule order, skipping rules of another
place or state: short lists in one C call, long ones lazily; the router tries them in turn and stops
at the first match, so the rest of a long list is never read.
"""

from __future__ import annotations

import heapq
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import ahocorasick

from engine.config.model import CONVERSATION_STATES, DM, THREAD, Rule
from engine.routing.literals import required_literals
from engine.routing.patterns import Pattern, PatternError, compiled_regex
from engine.routing.words import keyword_key
from engine.steps import Steps, finish

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


def compile_rule(
    position: int, rule: Rule, shared: dict[frozenset[str], frozenset[str]] | None = None
) -> CompiledRule:
    """Prepare one rule; a keyword with no letters or digits, or a bad regex, is a RuleError.

    Sets of names equal to one in `shared` are that one: most rules name the same few channels,
    states and roles, so one object serves them all."""
    same = {} if shared is None else shared
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
        where=_one(places(rule.when.where), same),
        states=_one(frozenset(rule.when.state), same),
        says=tuple(keys),
        regex=regex,
        roles=_one(frozenset(rule.when.roles), same),
        hours=rule.when.hours,
        source=str(rule.source) if rule.source else None,
    )


def _parts(rules: tuple[CompiledRule, ...], postings: Postings, found: dict[Bucket, list[int]]) -> IndexParts:
    """The parts of an index: each bucket's always-list holds the rules without keywords of that
    place (in rule order, with those of anywhere) or of anywhere."""
    wheres = frozenset(w for r in rules for w in r.where)
    always: dict[Bucket, array[int]] = {}
    for state in CONVERSATION_STATES:
        anywhere = found.get((ANYWHERE, state), [])
        always[(ANYWHERE, state)] = array("I", anywhere)
        for where in wheres:
            always[(where, state)] = array("I", sorted(found.get((where, state), []) + anywhere))
    return IndexParts(rules, tuple(postings.items()), always, wheres, any(r.roles for r in rules))


def _one(names: frozenset[str], shared: dict[frozenset[str], frozenset[str]]) -> frozenset[str]:
    return shared.setdefault(names, names)


SHARD_KEYS = 4096
"""Keywords per Aho-Corasick automaton. Making one automaton is one call that holds the interpreter
lock for the whole of it: 11 ms for the 15,800 keywords of 10,000 rules on this machine at its best,
60 ms when busy, a stall for a serving process; 4,096 keywords take about 1.6 ms. A message is
scanned once per shard (about 2 µs each; one shard up to 4,096 keywords, so a bot that size routes
as before). Shards of 8,192 were measured: the process's own stall per 10,000-rule reload went from
10.8 to 17.7 ms (load 6), for about 3 µs less per message, so the shards stay small."""

Postings = dict[str, "array[int]"]  # keyword -> positions of its rules, ascending


@dataclass(frozen=True, slots=True)
class IndexParts:
    """What a RuleIndex is made of, apart from its automata (which are made again from `postings`):
    the form in which a build in another process hands an index over (engine.config.shipping)."""

    rules: tuple[CompiledRule, ...]
    postings: tuple[tuple[str, array[int]], ...]
    always: dict[Bucket, array[int]]
    wheres: frozenset[str]  # every place a rule names
    uses_roles: bool  # whether any rule names roles


SORTED_AT_ONCE = 512
"""Up to this many positions in the lists a message reaches, they are put in order in one C call
(a few µs); past it, they are merged lazily, since the router stops at the first rule that holds."""

ADDED_PER_STEP = 512
"""Keywords added to an automaton per step of `RuleIndex.assemble`."""


class RuleIndex:
    """Finds the few rules worth checking for a message; see the module docstring."""

    rules: tuple[CompiledRule, ...]
    wheres: frozenset[str]
    uses_roles: bool

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        built = finish(RuleIndex.steps(rules))
        self._set(built.parts(), built._automata)

    @staticmethod
    def steps(rules: tuple[Rule, ...]) -> Steps[RuleIndex]:
        """Build the index of `rules` a step at a time (RuleIndex(rules) runs every step at once)."""
        shared: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct set of names
        compiled = []
        for i, rule in enumerate(rules):
            compiled.append(compile_rule(i, rule, shared))
            yield
        postings: Postings = {}
        always: dict[Bucket, list[int]] = defaultdict(list)
        for each in compiled:
            if each.says:
                keys: Any = dict.fromkeys(each.says)
            else:
                keys = (required_literals(each.regex.pattern) if each.regex else None) or ()
            for key in keys:  # positions grow, so each posting list is sorted as it is built
                postings.setdefault(key, array("I")).append(each.position)
            if not keys:
                for where in sorted(each.where) or [ANYWHERE]:
                    for state in each.states:
                        always[(where, state)].append(each.position)
            yield
        return (yield from RuleIndex.assemble(_parts(tuple(compiled), postings, always)))

    @staticmethod
    def assemble(parts: IndexParts) -> Steps[RuleIndex]:
        """The index made of `parts`, a step at a time: its automata made again, a shard at a time."""
        automata = []
        for start in range(0, len(parts.postings), SHARD_KEYS):
            automaton = ahocorasick.Automaton()
            for at, (key, positions) in enumerate(parts.postings[start : start + SHARD_KEYS], 1):
                automaton.add_word(key, positions)
                if at % ADDED_PER_STEP == 0:
                    yield
            automaton.make_automaton()
            automata.append(automaton)
            yield
        index = RuleIndex.__new__(RuleIndex)
        index._set(parts, tuple(automata))
        return index

    def parts(self) -> IndexParts:
        """What this index is made of (see IndexParts)."""
        postings = tuple(item for automaton in self._automata for item in automaton.items())
        return IndexParts(self.rules, postings, self._always, self.wheres, self.uses_roles)

    def _set(self, parts: IndexParts, automata: tuple[Any, ...]) -> None:
        self.rules = parts.rules
        self.wheres = parts.wheres
        self.uses_roles = parts.uses_roles  # else a DM needs no lookup of server roles
        self._automata = automata
        self._always = parts.always
        for positions in parts.always.values():
            for position in positions:
                regex = parts.rules[position].regex
                if regex is not None:
                    regex.tried_always = True  # searched on every message of the bucket: kept compiled

    def buckets(self, where: str, state: str) -> tuple[Bucket, ...]:
        """The buckets a message in `where` while `state` falls into."""
        if where in self.wheres:
            return ((where, state), (ANYWHERE, state))
        return ((ANYWHERE, state),)

    def candidates(self, where: str, state: str, words: str) -> Iterator[CompiledRule]:
        """Rules that may match the normalised text `words` (engine.routing.words.normalise), in rule
        order. Each already satisfies its where, state and says; roles, hours and matches are left.

        The posting lists of the keywords found and the always-list are merged (see SORTED_AT_ONCE):
        the router stops at the first rule that holds."""
        always = self._always.get((where if where in self.wheres else ANYWHERE, state), ())
        rules = self.rules
        hits = {id(found): found for automaton in self._automata for _end, found in automaton.iter(words)}
        if not hits:
            for position in always:
                yield rules[position]
            return
        lists = (always, *hits.values())
        if sum(map(len, lists)) <= SORTED_AT_ONCE:
            positions: Iterable[int] = sorted(set().union(*lists))
        else:
            positions = _distinct(heapq.merge(*lists))
        for position in positions:
            rule = rules[position]
            if state in rule.states and (not rule.where or where in rule.where):
                yield rule


def _distinct(ascending: Iterable[int]) -> Iterator[int]:
    """`ascending` without repeats (equal positions come one after another)."""
    last = -1
    for position in ascending:
        if position != last:
            last = position
            yield position
