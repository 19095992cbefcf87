"""Route tests: YAML examples of what players do and what the bot should decide (`flexcord test`).

A test file (schemas/route-tests.schema.json) lists situations and expectations; `load_route_tests`
reads and checks it (problems come back with file:line), `run_route_test` routes one situation
through the real router and says, in words, how the decision differs from the expectation.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema

from engine.config.compile.actions import compile_action
from engine.config.compile.values import CompileError
from engine.config.diagnostics import Diagnostic
from engine.config.model import Action, Config, ConversationState, Refuse, RelayToAgent
from engine.config.yaml.nodes import Mark, mark_of
from engine.config.yaml.read import read_yaml
from engine.events import Decision, Event, User
from engine.hours import next_open
from engine.routing.conditions import describe_action
from engine.routing.router import route

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "route-tests.schema.json"
DEFAULT_DAY = datetime(2026, 1, 5)  # a Monday; default `at` is the first opening time from here
_MISSING: object = object()


@dataclass(frozen=True, slots=True)
class RouteTest:
    """One situation from a test file and what should be decided for it."""

    name: str
    mark: Mark
    where: str
    text: str = ""
    command: str | None = None
    options: Mapping[str, object] = field(default_factory=dict)
    button: str | None = None
    roles: tuple[str, ...] = ()
    language: str | None = None  # the player's locale
    state: ConversationState = "bot"
    at: str | None = None
    rule: object = _MISSING  # str, None (no rule), or _MISSING (not checked)
    actions: tuple[Action, ...] | None = None
    refused: str | None = None
    broken: tuple[Diagnostic, ...] = ()  # why this test cannot run: it fails without being routed


@dataclass(frozen=True, slots=True)
class RouteTestResult:
    """How one test went: `problems` says in words what differed (empty when it passed)."""

    test: RouteTest
    decision: Decision | None  # None when the test itself is broken
    at: datetime
    problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.problems


# --- reading test files ------------------------------------------------------------------------


class RouteTestFileError(Exception):
    """A test file that cannot be run; `diagnostics` say where and why."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def _problem(mark: Mark | None, message: str, file: str, hint: str | None = None) -> Diagnostic:
    mark = mark or Mark(file, 1, 1)
    return Diagnostic(mark.file, mark.line, mark.col, "error", message, hint)


def _node_at(doc: Any, path: Sequence[Any]) -> tuple[Any, Any]:
    """The innermost node along `path` and the last key, for finding where an error was written."""
    node, key = doc, None
    for step in path:
        if key is not None:
            node = node[key]
        key = step
    return node, key


def _schema_problems(doc: object, file: str) -> list[tuple[int | None, Diagnostic]]:
    """Each problem the schema finds, with the index of the test it is in (None: outside any test)."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems: list[tuple[int | None, Diagnostic]] = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        index = path[1] if len(path) > 1 and path[0] == "tests" and isinstance(path[1], int) else None
        node, key = _node_at(doc, path)
        mark = mark_of(node, key) if key is not None else mark_of(node)
        message, hint = error.message, None
        if error.validator == "anyOf" and list(error.schema_path)[-1:] == ["anyOf"]:
            message = "a test needs `text` (a message), `command` (a slash command) or `button`"
        elif error.validator == "required":
            missing = str(error.message).split("'")[1] if "'" in error.message else "?"
            message = f"this test has no '{missing}'"
            hint = _REQUIRED_HINTS.get(missing, f"add '{missing}:' to it")
        elif error.validator == "additionalProperties":
            known = list(error.schema.get("properties", {}))
            for extra in [k for k in error.instance if k not in known]:
                where = mark_of(error.instance, extra, of_key=True)
                problems.append(
                    (index, _problem(where, f"unknown field '{extra}'", file, _expected(extra, known)))
                )
            continue
        problems.append((index, _problem(mark, message, file, hint)))
    return problems


_REQUIRED_HINTS = {
    "expect": "add what should happen, like expect: {rule: billing}",
    "name": "give it a name, like '- name: a refund goes to billing'",
}


def _expected(word: str, known: Sequence[str]) -> str:
    """'did you mean ...?' when a known word is close, else the list of known words."""
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    listed = "expected one of: " + ", ".join(known)
    return f"did you mean '{close[0]}'? ({listed})" if close else listed


def _expected_actions(items: Sequence[Any]) -> tuple[Action, ...]:
    actions: list[Action] = []
    for i, item in enumerate(items):
        if item == "relay":
            actions.append(RelayToAgent())
        else:
            actions.append(compile_action(item, mark_of(items, i)))
    return tuple(actions)


def _route_test(node: Mapping[str, Any], mark: Mark) -> RouteTest:
    expect = node["expect"]
    actions = expect.get("actions")
    return RouteTest(
        name=str(node["name"]),
        mark=mark,
        where=str(node.get("where", "dm")).lstrip("#"),
        text=str(node.get("text", "")),
        command=str(node["command"]).lstrip("/") if node.get("command") else None,
        options=dict(node.get("options") or {}),
        button=node.get("button"),
        roles=tuple(str(r) for r in node.get("roles") or ()),
        language=str(node["language"]) if node.get("language") else None,
        state=node.get("state", "bot"),
        at=str(node["at"]) if node.get("at") is not None else None,
        rule=expect.get("rule", _MISSING),
        actions=_expected_actions(actions) if actions is not None else None,
        refused=expect.get("refused"),
    )


def load_route_tests(path: str | Path) -> list[RouteTest]:
    """Read a route test file. A test with a mistake in it comes back `broken` (with file:line) and the
    others still run; RouteTestFileError only when the file as a whole cannot be read."""
    file = str(path)
    readable, doc, problems = read_yaml(file, env={}, offline=True)
    errors = [d for d in problems if d.severity == "error"]
    if not readable or errors:
        raise RouteTestFileError(errors or [_problem(None, "cannot read this file", file)])
    per_test: dict[int, list[Diagnostic]] = {}
    outside = []
    for index, diagnostic in _schema_problems(doc, file):
        if index is None:
            outside.append(diagnostic)
        else:
            per_test.setdefault(index, []).append(diagnostic)
    if outside:
        raise RouteTestFileError(outside)
    tests = []
    for i, node in enumerate(doc["tests"]):
        mark = mark_of(doc["tests"], i) or Mark(file, 1, 1)
        if i in per_test:
            tests.append(_broken_test(node, mark, i, per_test[i]))
            continue
        try:
            tests.append(_route_test(node, mark))
        except CompileError as exc:
            tests.append(_broken_test(node, mark, i, [_problem(exc.mark or mark, exc.message, file)]))
    return tests


def _broken_test(node: object, mark: Mark, index: int, problems: Sequence[Diagnostic]) -> RouteTest:
    name = node.get("name") if isinstance(node, Mapping) else None
    return RouteTest(name=str(name or f"test {index + 1}"), mark=mark, where="dm", broken=tuple(problems))


# --- running tests -----------------------------------------------------------------------------


def default_time(config: Config) -> datetime:
    """When a test without `at` happens: the first opening time in the week of 5 January 2026."""
    if config.hours is None:
        return DEFAULT_DAY.replace(hour=12, tzinfo=UTC)
    start = DEFAULT_DAY.replace(tzinfo=ZoneInfo(config.hours.timezone))
    return next_open(config.hours, start) or start


def parse_time(text: str, config: Config) -> datetime:
    """An ISO time; without a UTC offset it is read in the business-hours timezone (else UTC)."""
    moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    if moment.tzinfo is None:
        zone = ZoneInfo(config.hours.timezone) if config.hours else UTC
        moment = moment.replace(tzinfo=zone)
    return moment


def event_for(test: RouteTest, at: datetime) -> Event:
    """The Event a test describes, from a test player with the test's roles."""
    user = User(id="0", name="tester", roles=test.roles)
    locale = test.language
    if test.command is not None:
        return Event(
            "command", "test", user, test.where, at, command=test.command, options=test.options, locale=locale
        )
    if test.button is not None:
        return Event(
            "button", "test", user, test.where, at, text=test.text, button=test.button, locale=locale
        )
    return Event("message", "test", user, test.where, at, text=test.text, locale=locale)


def _rule_name(rule: str | None) -> str:
    return "no rule" if rule is None else f"'{rule}'"


def _actions_text(actions: Sequence[Action]) -> str:
    return ", ".join(describe_action(a) for a in actions) or "nothing"


def _why_not(decision: Decision, rule: str) -> list[str]:
    for trace in decision.trace:
        if trace.rule == rule and not trace.matched:
            failed = "; ".join(c.detail for c in trace.checks if not c.ok)
            return [f"why not '{rule}': {failed}"]
    return []


def _known_rules(config: Config) -> list[str]:
    """Every name a decision can carry: rules, /commands and form:<case template>."""
    return [
        *(rule.name for rule in config.rules),
        *(f"/{name}" for name in config.commands),
        *(f"form:{name}" for name in config.cases),
    ]


def _unknown_rule(config: Config, wanted: str) -> list[str]:
    known = _known_rules(config)
    if wanted in known:
        return []
    close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.5)
    problem = f"expected rule '{wanted}' does not exist in the config"
    if close:
        return [f"{problem}: did you mean '{close[0]}'?"]
    rules = ", ".join(f"'{r.name}'" for r in config.rules) or "none"
    return [f"{problem} (its rules are: {rules})"]


def _compare(config: Config, test: RouteTest, decision: Decision) -> list[str]:
    problems: list[str] = []
    got_rule = decision.rule
    if test.rule is not _MISSING:
        wanted = None if test.rule is None else str(test.rule)  # the schema allows text or null
        if test.command is not None and wanted is not None and not str(wanted).startswith("/"):
            wanted = f"/{wanted}"
        unknown = _unknown_rule(config, str(wanted)) if wanted is not None else []
        if unknown:
            problems.extend(unknown)
        elif wanted != got_rule:
            problems.append(f"expected rule: {_rule_name(wanted)}")
            problems.append(f"     got rule: {_rule_name(got_rule)}")
            if wanted is not None:
                problems.extend(_why_not(decision, str(wanted)))
    if test.actions is not None and test.actions != decision.actions:
        problems.append(f"expected actions: {_actions_text(test.actions)}")
        problems.append(f"     got actions: {_actions_text(decision.actions)}")
    if test.refused is not None:
        reasons = [a.reason for a in decision.actions if isinstance(a, Refuse)]
        if not reasons:
            problems.append(f"expected a refusal saying {json.dumps(test.refused)}, but it was allowed")
        elif test.refused not in reasons[0]:
            problems.append(f"expected a refusal saying {json.dumps(test.refused)}")
            problems.append(f"        got a refusal saying {json.dumps(reasons[0])}")
    if problems:
        problems.append(f"why: {decision.explanation}")
    return problems


def run_route_test(config: Config, test: RouteTest) -> RouteTestResult:
    """Route the test's situation through the real router and compare with its expectation."""
    if test.broken:
        return RouteTestResult(test, None, default_time(config), tuple(_broken_lines(test.broken)))
    at = parse_time(test.at, config) if test.at else default_time(config)
    decision = route(config, event_for(test, at), test.state, at, explain=True)
    return RouteTestResult(test, decision, at, tuple(_compare(config, test, decision)))


def _broken_lines(problems: Sequence[Diagnostic]) -> list[str]:
    """`file:line:col: what is wrong (hint)` without the severity word: the test itself fails."""
    return [f"{d.file}:{d.line}:{d.col}: {d.message}" + (f" ({d.hint})" if d.hint else "") for d in problems]
