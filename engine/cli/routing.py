"""`flexcord route` (which rule answers this message, and why) and `flexcord test` (route tests)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from engine.cli.options import config_option, load_config
from engine.config.diagnostics import Diagnostic
from engine.config.model import Config, ConversationState, Refuse
from engine.events import Decision, Event, RuleTrace, User
from engine.hours import describe_next_open, is_open
from engine.language import settle
from engine.routing import route
from engine.routing.conditions import describe_action
from engine.routing.junit import junit_xml
from engine.routing.route_tests import (
    RouteTestFileError,
    RouteTestResult,
    load_route_tests,
    parse_time,
    run_route_test,
)

STATES = ("bot", "queued", "agent", "closed")


def _hours_line(config: Config, decision: Decision, at: datetime, given: bool) -> str:
    if config.hours is None:
        return f"at {at.isoformat(timespec='minutes')} (no business hours are set)"
    local = at.astimezone(ZoneInfo(config.hours.timezone))
    when = f"{local.isoformat(timespec='minutes')} ({config.hours.timezone})"
    if is_open(config.hours, at):
        state = "support is open"
    else:
        state = f"support is closed; it opens {describe_next_open(config.hours, at)}"
    if given:
        return f"at {when}: {state}"
    line = f"at {when}, the current time: {state}."
    hours_decided = any(c.condition == "hours" for t in decision.trace[-1:] if t.matched for c in t.checks)
    if hours_decided:
        line += f"\nNOTE: '{decision.rule}' matched because of the time of day; the answer changes with --at."
    return line + "\nPass --at 2026-11-23T10:00:00-08:00 to route at another time."


def _trace_lines(trace: tuple[RuleTrace, ...]) -> list[str]:
    lines = []
    for number, step in enumerate(trace, 1):
        where = f"  ({step.source})" if step.source else ""
        verdict = "matched" if step.matched else "did not match"
        lines.append(f"  {number}. {step.rule}{where}: {verdict}")
        for check in step.checks:
            lines.append(f"       {'ok' if check.ok else 'NO'}  {check.detail}")
    return lines


def _source_of(config: Config, decision: Decision) -> str | None:
    for rule in config.rules:
        if rule.name == decision.rule and rule.source:
            return str(rule.source)
    name = (decision.rule or "").removeprefix("/")
    command = config.commands.get(name)
    return str(command.source) if command and command.source and decision.rule == f"/{name}" else None


def _text_report(config: Config, decision: Decision, at_line: str) -> str:
    source = _source_of(config, decision)
    refusals = [a for a in decision.actions if isinstance(a, Refuse)]
    if refusals:
        head = f"refused: {refusals[0].reason}"
    elif decision.rule and decision.rule.startswith("/"):
        head = f"command {decision.rule} allowed"
    else:
        head = f"rule '{decision.rule}' matched" if decision.rule else "no rule matched"
    lines = [head + (f"  ({source})" if source else "")]
    lines += [] if refusals else [f"  {decision.explanation}"]
    lines.append("do:" if decision.actions else "do: nothing")
    lines += [f"  - {describe_action(action)}" for action in decision.actions]
    if decision.trace:
        is_command = bool(refusals) or (decision.rule or "").startswith("/")
        lines.append("checks:" if is_command else "rules checked, top to bottom:")
        lines += _trace_lines(decision.trace)
    lines.append(at_line)
    return "\n".join(lines)


def _json_report(config: Config, decision: Decision, at: datetime) -> str:
    return json.dumps(
        {
            "rule": decision.rule,
            "source": _source_of(config, decision),
            "actions": [describe_action(a) for a in decision.actions],
            "explanation": decision.explanation,
            "at": at.isoformat(),
            "hours_open": is_open(config.hours, at) if config.hours else None,
            "trace": [
                {
                    "rule": t.rule,
                    "matched": t.matched,
                    "source": t.source,
                    "checks": [{"condition": c.condition, "ok": c.ok, "detail": c.detail} for c in t.checks],
                }
                for t in decision.trace
            ],
            "config_version": decision.config_version,
        },
        indent=2,
    )


def _cli_event(
    config: Config,
    where: str,
    text: str,
    user_roles: str,
    command: str | None,
    options: tuple[str, ...],
    language: str | None,
    at: datetime,
) -> Event:
    """The Event `flexcord route` describes, from a test player in `language` (else detected)."""
    roles = tuple(r.strip() for r in user_roles.split(",") if r.strip())
    user = User(id="0", name="tester", roles=roles)
    place = where.lstrip("#")
    locales = config.locales
    locale = language or settle(text=text, default=locales.default, supported=locales.supported)
    if command:
        values: dict[str, str] = dict(o.split("=", 1) for o in options if "=" in o)
        event = Event("command", "cli", user, place, at, command=command.lstrip("/"), options=values)
    else:
        event = Event("message", "cli", user, place, at, text=text)
    return replace(event, locale=locale)


@click.command("route")
@config_option
@click.option("--where", default="dm", show_default=True, help="dm, or the channel name where it is written.")
@click.option("--text", default="", help="What the player writes.")
@click.option("--user-roles", default="", help="The player's roles, comma-separated (admin,moderator).")
@click.option(
    "--state",
    type=click.Choice(STATES),
    default="bot",
    show_default=True,
    help="Where the player's conversation stands.",
)
@click.option(
    "--at",
    "at_text",
    help="When, as ISO time (2026-11-23T10:00:00-08:00; without an offset, in the business-hours "
    "timezone). Default: now, so rules with `hours:` depend on when you run it.",
)
@click.option("--command", "command", help="Route the slash command NAME instead of a message.")
@click.option("--option", "options", multiple=True, help="A command option, as name=value (repeatable).")
@click.option(
    "--language",
    help="The player's locale (es-ES, tl, ...). Default: detected from the text, else the default.",
)
@click.option("--expect", help="Exit 1 unless this rule (or /command) matches.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def route_command(
    config_path: Path,
    where: str,
    text: str,
    user_roles: str,
    state: str,
    at_text: str | None,
    command: str | None,
    options: tuple[str, ...],
    language: str | None,
    expect: str | None,
    fmt: str,
) -> None:
    """Show which rule answers a message (or whether a command is allowed), and why."""
    config = load_config(config_path)
    try:
        at = parse_time(at_text, config) if at_text else datetime.now().astimezone()
    except ValueError:
        raise click.BadParameter(
            f"'{at_text}' is not a time; write it like 2026-11-23T10:00:00-08:00"
        ) from None
    event = _cli_event(config, where, text, user_roles, command, options, language, at)
    conversation: ConversationState = state  # type: ignore[assignment]
    decision = route(config, event, conversation, at, explain=True)
    if fmt == "json":
        click.echo(_json_report(config, decision, at))
    else:
        click.echo(_text_report(config, decision, _hours_line(config, decision, at, at_text is not None)))
    if expect is not None:
        wanted = f"/{expect.lstrip('/')}" if command else expect
        if decision.rule != wanted:
            got = f"'{decision.rule}'" if decision.rule else "no rule"
            click.echo(f"FAIL: expected rule '{wanted}' but {got} matched", err=True)
            sys.exit(1)


# --- flexcord test ---------------------------------------------------------------------------


def _result_lines(result: RouteTestResult) -> list[str]:
    test = result.test
    where = f"{test.mark.file}:{test.mark.line}"
    if result.passed:
        return [f"PASS {where} {test.name}"]
    return [f"FAIL {where} {test.name}", *(f"     {line}" for line in result.problems)]


@click.command("test")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@config_option
@click.option(
    "--junit", "junit_path", type=click.Path(dir_okay=False), help="Also write a JUnit XML report here."
)
def test_command(files: tuple[str, ...], config_path: Path, junit_path: str | None) -> None:
    """Run route tests (default: tests/routes/*.yaml next to the config); exit 1 if any fails."""
    config = load_config(config_path)
    if not files:
        folder = Path(config_path).parent / "tests" / "routes"
        files = tuple(str(p) for p in sorted(folder.glob("*.yaml")))
        if not files:
            click.echo(f"no route tests found in {folder}/ (write some, or name the files to run)", err=True)
            sys.exit(1)
    results: dict[str, list[RouteTestResult]] = {}
    unreadable: dict[str, list[Diagnostic]] = {}
    for file in files:
        try:
            tests = load_route_tests(file)
        except RouteTestFileError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            unreadable[file] = exc.diagnostics
            continue
        results[file] = [run_route_test(config, test) for test in tests]
        for result in results[file]:
            click.echo("\n".join(_result_lines(result)))
    passed = sum(r.passed for rs in results.values() for r in rs)
    failed = sum(not r.passed for rs in results.values() for r in rs)
    summary = f"{passed} passed, {failed} failed"
    click.echo(summary + ("; some test files could not be read (see above)" if unreadable else ""))
    if junit_path:
        Path(junit_path).write_bytes(junit_xml(files, results, unreadable))
    if failed or unreadable:
        sys.exit(1)


COMMANDS = [route_command, test_command]
