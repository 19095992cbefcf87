"""Checks on the rule list as a whole: unique names, regexes the router can run, rules that can never match.

Regexes run on RE2 (engine.routing.patterns), so none can take more than linear time on a
message; what RE2 cannot run (backreferences, lookarounds) is refused here, with what to write
instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.config.diagnostics import Diagnostic
from engine.config.record import record
from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList, mark_of
from engine.routing.patterns import PatternError, compiled_regex, word_boundary_problem

__all__ = ["check_rules"]

_DEFAULT_STATES = frozenset({"bot", "closed"})


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
            found = _regex_problems(pattern, mark_of(when, "matches") or mark)
            problems.extend(found)
            if any(problem.severity == "error" for problem in found):
                continue
        view = _RuleView.of(str(name or f"#{index + 1}"), mark, when)
        if view is not None:
            views.append(view)
    problems.extend(_shadowed(views))
    return problems


def _regex_problems(pattern: str, mark: Mark) -> list[Diagnostic]:
    """A pattern the router cannot run (an error), or whose \\b will surprise (a warning)."""
    try:
        compiled_regex(pattern)  # as the router will (and it keeps the result for the compile step)
    except PatternError as exc:
        return [Diagnostic(mark.file, mark.line, mark.col, "error", exc.message, exc.hint)]
    if not word_boundary_problem(pattern):
        return []
    return [
        Diagnostic(
            mark.file,
            mark.line,
            mark.col,
            "warning",
            "\\b here stands next to a letter outside a-z, which \\b does not count as part of a word",
            "to find whole words in any language use says:, or write (?:^|\\W) and (?:\\W|$) instead of \\b",
        )
    ]


# --- rules that can never match --------------------------------------------------------------


@record
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
