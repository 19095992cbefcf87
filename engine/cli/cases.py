"""`flexcord cases`: look up the cases (tickets) the bot recorded, with history, transcript and deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import click

from engine.cli.options import SANDBOX_DATA, config_option, data_option
from engine.deliveries import target_of
from engine.store import CaseRecord, OutboxItem, Store, database_path, is_postgres, open_store

TITLE_WIDTH = 40
PAGE_SIZE = 50
"""Cases `cases list` shows at once; `--after` gives the next page."""
SANDBOX_DB = "flexcord.db"  # the file `flexcord sandbox` keeps under its --data folder


def _store_location(config_path: str) -> tuple[str, Path]:
    """The storage URL of the config at `config_path` and the folder relative paths start from."""
    from engine.config import build

    result = build(config_path, offline=True)
    if result.config is None:
        for problem in result.errors:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{config_path} has errors; fix them (see `flexcord validate`) and try again."
        )
    config = result.config
    root = Path(config.root)
    if not root.is_absolute():
        root = Path(config_path).resolve().parent
    return config.storage, root


def _sandbox_url(data: Path) -> str:
    return "sqlite:///" + str((data / SANDBOX_DB).resolve())


def _where(config_path: str, data: Path | None) -> tuple[str, Path]:
    """The records to read: the sandbox's under `data` if given, else the config's storage.

    When the config's database does not exist yet but the sandbox has played next to the config
    (its default --data), the sandbox's records are read and the terminal says so, so
    `flexcord cases list` works right after playing.
    """
    if data is not None:
        if not (data / SANDBOX_DB).exists():
            raise click.ClickException(f"No records yet: {data / SANDBOX_DB} does not exist.")
        return _sandbox_url(data), data
    url, root = _store_location(config_path)
    if is_postgres(url):
        return url, root
    try:
        path = database_path(url, root)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if path == ":memory:" or Path(path).exists():
        return url, root
    played = Path(config_path).parent / SANDBOX_DATA  # where ./scripts/sandbox keeps them
    if (played / SANDBOX_DB).exists():
        click.echo(f"(reading the sandbox's records in {played}: {path} does not exist yet)", err=True)
        return _sandbox_url(played), played
    raise click.ClickException(
        f"No records yet: {path} does not exist (the bot has not run with this config). "
        "For the sandbox's records, pass its folder with --data."
    )


async def _open(config_path: str, data: Path | None) -> Store:
    url, root = _where(config_path, data)
    return await open_store(url, root=root)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(cases: list[CaseRecord]) -> list[str]:
    rows = [("REF", "STATUS", "TITLE", "REPORTER", "UPDATED")]
    rows += [
        (c.ref, c.status, _short(c.title, TITLE_WIDTH), c.reporter_name, f"{c.updated_at:%Y-%m-%d %H:%M}")
        for c in cases
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def _delivery(item: OutboxItem) -> str:
    target = target_of(item.delivery)
    when = f"{item.created_at:%Y-%m-%d %H:%M}"
    state = "failed" if item.status == "failed" else f"retrying (next {item.next_attempt_at:%H:%M:%S})"
    return f"  {when}  {item.kind} to {target}: {state} after {item.attempts} attempt(s): {item.last_error}"


async def _show(store: Store, ref: str) -> list[str]:
    case = await store.get_case(ref)
    if case is None:
        raise click.ClickException(f"No case {ref} in {store.url}.")
    place = "a DM" if case.where == "dm" else f"#{case.where}"
    lines = [
        f"{case.ref}: {case.title}",
        f"Status: {case.status}   Template: {case.template}   Rating: {case.rating or '-'}",
        f"Reported by {case.reporter_name} ({case.reporter_id}) in {place}"
        f" on {case.created_at:%Y-%m-%d %H:%M} UTC",
    ]
    if case.fields:
        lines += ["", "Fields:"] + [f"  {name}: {value}" for name, value in case.fields.items()]
    lines += ["", "History:"]
    for event in await store.case_history(ref):
        change = event.to_status if event.from_status is None else f"{event.from_status} -> {event.to_status}"
        note = f" ({event.note})" if event.note else ""
        lines.append(f"  {event.at:%Y-%m-%d %H:%M}  {change}  by {event.who}{note}")
    transcript = await store.case_transcript(ref)
    lines += ["", "Transcript:" if transcript else "Transcript: (empty)"]
    for message in transcript:
        arrow = "<-" if message.direction == "in" else "->"
        where = "DM" if message.where == "dm" else f"#{message.where}"
        text = message.text.replace("\n", "\n" + " " * 8)
        lines.append(f"  {message.at:%Y-%m-%d %H:%M}  {where}  {arrow} {message.author}: {text}")
    problems = [
        item for item in await store.case_outbox(ref) if item.last_error and item.status != "delivered"
    ]
    if problems:
        lines += ["", "Deliveries with problems:"] + [_delivery(item) for item in problems]
    return lines


@dataclass(frozen=True)
class Page:
    """Which cases `cases list` shows: `limit` of them, after the case `after` (a ref) if given."""

    limit: int
    after: str | None = None


@asynccontextmanager
async def records(config_path: str, data: Path | None = None) -> AsyncIterator[Store]:
    """The store of the config at `config_path` (or the sandbox's in `data`), open for the block."""
    store = await _open(config_path, data)
    try:
        yield store
    finally:
        await store.close()


async def _list(
    config_path: str, data: Path | None, status: str | None, template: str | None, page: Page
) -> list[CaseRecord]:
    """One page of cases, and one more to know whether another page follows."""
    async with records(config_path, data) as store:
        after = None
        if page.after is not None:
            after = await store.get_case(page.after.upper())
            if after is None:
                raise click.ClickException(f"There is no case {page.after.upper()}.")
        return await store.list_cases(status=status, template=template, limit=page.limit + 1, after=after)


async def _show_case(config_path: str, data: Path | None, ref: str) -> list[str]:
    async with records(config_path, data) as store:
        return await _show(store, ref.upper())


@click.group()
def cases() -> None:
    """Look up cases (bug reports, feature requests, support chats) the bot recorded."""


@cases.command("list")
@config_option
@data_option
@click.option("--status", help="Only cases with this status (e.g. open).")
@click.option("--template", help="Only cases of this template (e.g. bug).")
@click.option("--limit", default=PAGE_SIZE, show_default=True, type=click.IntRange(1), help="Cases per page.")
@click.option("--after", metavar="REF", help="The next page: the cases listed after this one.")
def list_cases(
    config_path: str,
    data: Path | None,
    status: str | None,
    template: str | None,
    limit: int,
    after: str | None,
) -> None:
    """List cases, most recently updated first, a page at a time."""
    found = asyncio.run(_list(config_path, data, status, template, Page(limit, after)))
    if not found:
        click.echo(
            "No more cases." if after else "No cases match." if status or template else "No cases yet."
        )
        return
    click.echo("\n".join(_table(found[:limit])))
    if len(found) > limit:
        options = "".join(
            f" --{name} {value}" for name, value in (("status", status), ("template", template)) if value
        )
        more = f" --limit {limit}" if limit != PAGE_SIZE else ""
        click.echo(f"\nMore cases: flexcord cases list{options}{more} --after {found[limit - 1].ref}")


@cases.command("show")
@click.argument("ref")
@config_option
@data_option
def show_case(ref: str, config_path: str, data: Path | None) -> None:
    """Show one case: fields, status history, transcript and deliveries that failed."""
    click.echo("\n".join(asyncio.run(_show_case(config_path, data, ref))))


COMMANDS = [cases]
