"""`flexcord report`: how support went over the last days, from the bot's records, as a table, CSV or JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from engine.cli.cases import records
from engine.cli.options import config_option, data_option, load_config
from engine.config.model import Config


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> timedelta:
    from engine.config.compile.values import CompileError, parse_duration

    try:
        seconds = parse_duration(value)
    except CompileError as exc:
        raise click.BadParameter(exc.message) from exc
    if seconds <= 0:
        raise click.BadParameter("the period must be longer than 0s, like 7d or 24h")
    return timedelta(seconds=seconds)


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' is not a moment; write it like 2026-03-09T00:00:00Z") from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _text(
    config_path: Path, data: Path | None, config: Config, since: timedelta, until: datetime, fmt: str
) -> str:
    from engine.reports import build_report
    from engine.reports.render import as_csv, as_json, as_table

    async with records(str(config_path), data) as store:
        report = await build_report(store, config, until, since)
    if fmt == "json":
        return json.dumps(as_json(report), indent=2)
    return as_csv(report).rstrip("\n") if fmt == "csv" else as_table(report)


@click.command("report")
@config_option
@data_option
@click.option(
    "--since",
    default="7d",
    show_default=True,
    callback=_period,
    help="How far back the report looks: 7d, 24h, 30m…",
)
@click.option(
    "--until",
    callback=_moment,
    metavar="MOMENT",
    help="End of the period (ISO 8601, UTC unless it says otherwise); default: now.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people, csv for spreadsheets, json for scripts.",
)
def report(config_path: Path, data: Path | None, since: timedelta, until: datetime | None, fmt: str) -> None:
    """How support went: cases, waiting times, satisfaction, FAQ bot, service levels, from the records."""
    config = load_config(config_path)
    end = until or datetime.now(UTC)
    click.echo(asyncio.run(_text(config_path, data, config, since, end, fmt)))


COMMANDS = [report]
