"""Checks on the rule list as a whole: unique names, safe regexes, and rules that can never match.

A regex is refused when Python's backtracking could take exponential time on some message
(a repeat inside a repeat, like `(a+)+`, or alternatives inside a repeat that can match the same
text, like `(a|a)*`): one player message could stall the bot. The check is structural, over
the parsed pattern, and errs on the side of refusing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList, mark_of
from engine.routing.index import compiled_regex

__all__ = ["check_rules", "regex_danger"]

_DEFAULT_STATES = frozenset({"bot", "closed"})
_ANY = None  # a first-character set that may be any character

_c = sre_parse  # opcodes live on the parser module (re._constants re-exported)
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_MAXREPEAT = _c.MAXREPEAT


def check_rules(rules: MarkedList, skipped: Callable[[Any, int], bool]) -> list[Diagnostic]:
    """Problems of the rule list: duplicate names, unsafe or broken regexes, shadowed rules."""
    problems: list[Diagnostic] = []
    seen: dict[str, Mark] = {}
    views: list[_RuleView] = []
    marks = rules.item_marks
    for index, rule in enumerate(rules):
        if not isinstance(rule, MarkedDict) or skipped(rules, index):
            continue
        mark = marks[index] if index < len(marks) else rules.mark
        name = rule.get("name")
        if isinstance(name, str):
            name_mark = mark_of(rule, "name") or mark
            if name in seen:
                first = seen[name]
                problems.append(
                    Diagnostic(
                        name_mark.file,
                        name_mark.line,
                        name_mark.col,
                        "error",
                        f"two rules are named '{name}'",
                        f"the first is at {first.file}:{first.line}; give each rule its own name",
                    )
                )
            else:
                seen[name] = name_mark
        when = rule.get("when")
        when = when if isinstance(when, MarkedDict) else MarkedDict()
        pattern = when.get("matches")
        if isinstance(pattern, str):
            problem = _regex_problem(pattern, mark_of(when, "matches") or mark)
            if problem is not None:
                problems.append(problem)
                continue
        view = _RuleView.of(str(name or f"#{index + 1}"), mark, when)
        if view is not None:
            views.append(view)
    problems.extend(_shadowed(views))
    return problems


def _regex_problem(pattern: str, mark: Mark) -> Diagnostic | None:
    try:
        compiled_regex(pattern)  # as the router will (and it keeps the result for the compile step)
    except re.error as exc:
        return Diagnostic(
            mark.file,
            mark.line,
            mark.col,
            "error",
            f"this regular expression does not work: {exc.msg} at character {(exc.pos or 0) + 1}",
            "check brackets and backslashes; in YAML write the pattern in single quotes",
        )
    danger = regex_danger(pattern)
    if danger is None:
        return None
    return Diagnostic(
        mark.file,
        mark.line,
        mark.col,
        "error",
        f"this regular expression could take a very long time on some messages: {danger}",
        "remove the inner or the outer repeat, e.g. (a+)+ -> a+, (a|a)* -> a*",
    )


_GROUP_REPEATED = re.compile(r"\)[*+?{]|\(\?(?!:)")
"""A group with a repeat right after it, or a group other than (?:...), where flags like (?x) or a
(?#comment) may stand between a group and its repeat. Without either, every repeat is of one
character, class or escape, and such a pattern cannot backtrack exponentially."""


def regex_danger(pattern: str) -> str | None:
    """Why `pattern` can backtrack exponentially, or None when it cannot (as far as we can tell)."""
    if _GROUP_REPEATED.search(pattern) is None:
        return None
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    return _danger(list(parsed), inside_repeat=False)


def _items(av: Any) -> list[Any]:
    return list(av)


def _danger(items: list[Any], *, inside_repeat: bool) -> str | None:
    for op, av in items:
        if op in _REPEATS:
            low, high, inner = av
            varies = high != low and high > 1
            if inside_repeat and varies:
                return "a repeat (like +, * or {2,}) inside another repeat"
            many = high == _MAXREPEAT or high >= 10
            found = _danger(_items(inner), inside_repeat=inside_repeat or many)
            if found:
                return found
            if many and _overlapping_branches(_items(inner)):
                return "a repeated group whose alternatives can match the same text"
        elif op == _c.SUBPATTERN:
            found = _danger(_items(av[3]), inside_repeat=inside_repeat)
            if found:
                return found
        elif op == _c.BRANCH:
            for branch in av[1]:
                found = _danger(_items(branch), inside_repeat=inside_repeat)
                if found:
                    return found
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            found = _danger(_items(av[1]), inside_repeat=inside_repeat)
            if found:
                return found
    return None


def _overlapping_branches(items: list[Any]) -> bool:
    for op, av in _flatten(items):
        if op != _c.BRANCH:
            continue
        branches = [_items(branch) for branch in av[1]]
        for i, first in enumerate(branches):
            for second in branches[i + 1 :]:
                if _nullable(first) and _nullable(second):
                    return True
                a, b = _first_chars(first), _first_chars(second)
                if a is _ANY and b is _ANY:
                    return True
                if (a is _ANY and b) or (b is _ANY and a) or (a and b and a & b):
                    return True
    return False


def _flatten(items: list[Any]) -> Iterator[tuple[Any, Any]]:
    for op, av in items:
        yield op, av
        if op == _c.SUBPATTERN:
            yield from _flatten(_items(av[3]))


def _nullable(items: list[Any]) -> bool:
    for op, av in items:
        if op in _REPEATS:
            if av[0] > 0 and not _nullable(_items(av[2])):
                return False
        elif op == _c.SUBPATTERN:
            if not _nullable(_items(av[3])):
                return False
        elif op == _c.BRANCH:
            if not any(_nullable(_items(b)) for b in av[1]):
                return False
        elif op not in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            return False
    return True


def _first_chars(items: list[Any]) -> set[str] | None:
    """The characters a match can start with; None (_ANY) when that could be anything."""
    chars: set[str] = set()
    for op, av in items:
        if op == _c.LITERAL:
            return chars | {chr(av).lower()}
        if op == _c.IN:
            members = set()
            for kind, value in av:
                if kind == _c.LITERAL:
                    members.add(chr(value).lower())
                elif kind == _c.RANGE and value[1] - value[0] < 256:
                    members.update(chr(c).lower() for c in range(value[0], value[1] + 1))
                else:
                    return _ANY
            return chars | members
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue
        inner = _items(av[3]) if op == _c.SUBPATTERN else _items(av[2]) if op in _REPEATS else None
        if op == _c.BRANCH:
            union: set[str] = set()
            for branch in av[1]:
                part = _first_chars(_items(branch))
                if part is _ANY:
                    return _ANY
                union |= part
            if not any(_nullable(_items(b)) for b in av[1]):
                return chars | union
            chars |= union
            continue
        if inner is None:
            return _ANY
        part = _first_chars(inner)
        if part is _ANY:
            return _ANY
        chars |= part
        if not _nullable([(op, av)]):
            return chars
    return chars


# --- rules that can never match --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RuleView:
    """What a rule requires, as sets, for comparing rules (empty `where`/`says`/`roles`: no limit)."""

    name: str
    mark: Mark
    where: frozenset[str]
    says: frozenset[str]
    matches: str | None
    roles: frozenset[str]
    states: frozenset[str]
    hours: str | None

    @classmethod
    def of(cls, name: str, mark: Mark, when: MarkedDict) -> _RuleView | None:
        where, says = _limit(when.get("where")), _limit(when.get("says"))
        roles, states = _limit(when.get("roles")), _limit(when.get("state"))
        if where is None or says is None or roles is None or states is None:
            return None
        matches, hours = when.get("matches"), when.get("hours")
        if not isinstance(matches, str | None) or not isinstance(hours, str | None):
            return None
        return cls(name, mark, where, says, matches, roles, states or _DEFAULT_STATES, hours)

    def always_before(self, later: _RuleView) -> bool:
        """True when every message `later` matches is matched by this rule (so `later` never runs)."""
        return (
            _covers(self.where, later.where)
            and later.states <= self.states
            and _covers(self.says, later.says)
            and _covers(self.roles, later.roles)
            and (self.matches is None or self.matches == later.matches)
            and (self.hours is None or self.hours == later.hours)
        )


def _words(value: str) -> str:
    return " ".join(value.lower().split())


_NO_LIMIT: frozenset[str] = frozenset()


def _limit(value: Any) -> frozenset[str] | None:
    """A name or a list of names as a set of words; None when it is something else."""
    if value is None:
        return _NO_LIMIT
    if isinstance(value, str):
        return frozenset((_words(value),))
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return frozenset(map(_words, value))
    return None


def _covers(earlier: frozenset[str], later: frozenset[str]) -> bool:
    """An 'any of' limit: no limit covers everything; otherwise the later one must be narrower."""
    return not earlier or (bool(later) and later <= earlier)


class _Shelf:
    """Earlier rules filed by the values of one 'any of' limit (`says` or `where`), so the ones whose
    limit covers a later rule's are found by set intersection instead of by comparing every pair."""

    __slots__ = ("by_value", "unlimited")

    def __init__(self) -> None:
        self.unlimited: list[int] = []  # rules without this limit: they cover any later rule
        self.by_value: dict[str, set[int]] = {}

    def add(self, position: int, values: frozenset[str]) -> None:
        if not values:
            self.unlimited.append(position)
        for value in values:
            self.by_value.setdefault(value, set()).add(position)

    def covering(self, values: frozenset[str]) -> list[int]:
        """Rules whose limit covers `values` (see _covers): unlimited ones, or those holding all of them."""
        if not values:
            return self.unlimited
        postings = sorted((self.by_value.get(value, set()) for value in values), key=len)
        if not postings[0]:
            return self.unlimited
        return [*self.unlimited, *postings[0].intersection(*postings[1:])]


def _shadowed(views: list[_RuleView]) -> list[Diagnostic]:
    """Rules an earlier rule always beats, each named with the first rule that beats it.

    An earlier rule can only cover a later one if it has no `says` or holds every `says` of the
    later one, and has no `matches` or the same one; earlier rules are filed that way (rules
    without `says` also by `where`), so each rule is compared only with the few that qualify.
    """
    problems = []
    by_says = _Shelf()  # rules with `says`, by keyword
    without_says: dict[str | None, _Shelf] = {}  # by `matches` (None: no regex), then by `where`
    for i, later in enumerate(views):
        candidates: list[int] = []
        for matches in {None, later.matches}:
            shelf = without_says.get(matches)
            if shelf is not None:
                candidates += shelf.covering(later.where)
        if later.says:
            candidates += by_says.covering(later.says)
        for j in sorted(set(candidates)):
            earlier = views[j]
            if earlier.always_before(later):
                problems.append(
                    Diagnostic(
                        later.mark.file,
                        later.mark.line,
                        later.mark.col,
                        "warning",
                        f"rule '{later.name}' can never match: rule '{earlier.name}' "
                        f"({earlier.mark.file}:{earlier.mark.line}) always matches first",
                        f"move '{later.name}' above '{earlier.name}', or narrow '{earlier.name}'",
                    )
                )
                break
        if later.says:
            by_says.add(i, later.says)
        else:
            without_says.setdefault(later.matches, _Shelf()).add(i, later.where)
    return problems
