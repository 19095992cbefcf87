"""Route tests: YAML examples of what players do and what the bot should decide (`flexcord test`).

A test file (schemas/route-tests.schema.json) lists situations and expectations; `load_route_tests`
reads and checks it (problems come back with file:line), `run_route_test` routes one situation
through the real router and says, in words, how the decision differs from the expectation.
"""

from __future__ import annotations

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
_MISSING: Any = object()


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
    state: ConversationState = "bot"
    at: str | None = None
    rule: Any = _MISSING  # str, None (no rule), or _MISSING (not checked)
    actions: tuple[Action, ...] | None = None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class RouteTestResult:
    """How one test went: `problems` says in words what differed (empty when it passed)."""

    test: RouteTest
    decision: Decision
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


def _schema_problems(doc: Any, file: str) -> list[Diagnostic]:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        node, key = _node_at(doc, list(error.absolute_path))
        mark = mark_of(node, key) if key is not None else mark_of(node)
        message = error.message
        if error.validator == "anyOf" and list(error.schema_path)[-1:] == ["anyOf"]:
            message = "a test needs `text` (a message), `command` (a slash command) or `button`"
        elif error.validator == "additionalProperties":
            known = list(error.schema.get("properties", {}))
            for extra in [k for k in error.instance if k not in known]:
                where = mark_of(error.instance, extra, of_key=True)
                problems.append(
                    _problem(where, f"unknown field '{extra}'", file, "expected one of: " + ", ".join(known))
                )
            continue
        problems.append(_problem(mark, message, file))
    return problems


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
        state=node.get("state", "bot"),
        at=str(node["at"]) if node.get("at") is not None else None,
        rule=expect.get("rule", _MISSING),
        actions=_expected_actions(actions) if actions is not None else None,
        refused=expect.get("refused"),
    )


def load_route_tests(path: str | Path) -> list[RouteTest]:
    """Read a route test file; raises RouteTestFileError with file:line for anything wrong in it."""
    file = str(path)
    readable, doc, problems = read_yaml(file, env={}, offline=True)
    errors = [d for d in problems if d.severity == "error"]
    if not readable or errors:
        raise RouteTestFileError(errors or [_problem(None, "cannot read this file", file)])
    problems = _schema_problems(doc, file)
    if problems:
        raise RouteTestFileError(problems)
    tests, bad = [], []
    for i, node in enumerate(doc["tests"]):
        mark = mark_of(doc["tests"], i) or Mark(file, 1, 1)
        try:
            tests.append(_route_test(node, mark))
        except CompileError as exc:
            bad.append(_problem(exc.mark or mark, exc.message, file))
    if bad:
        raise RouteTestFileError(bad)
    return tests


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
    if test.command is not None:
        return Event("command", "test", user, test.where, at, command=test.command, options=test.options)
    if test.button is not None:
        return Event("button", "test", user, test.where, at, text=test.text, button=test.button)
    return Event("message", "test", user, test.where, at, text=test.text)


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


def _compare(test: RouteTest, decision: Decision) -> list[str]:
    problems: list[str] = []
    got_rule = decision.rule
    if test.rule is not _MISSING:
        wanted = test.rule
        if test.command is not None and wanted is not None and not str(wanted).startswith("/"):
            wanted = f"/{wanted}"
        if wanted != got_rule:
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
    at = parse_time(test.at, config) if test.at else default_time(config)
    decision = route(config, event_for(test, at), test.state, at, explain=True)
    return RouteTestResult(test, decision, at, tuple(_compare(test, decision)))
