"""`flexcord db status` and `flexcord db upgrade`: where the database's schema stands, and bringing it
up to date (the bot also does this when it starts, one replica at a time under a lock)."""

from __future__ import annotations

import asyncio

import click

from engine.cli.options import config_option
from engine.store import LATEST_VERSION, Replica, Status, StorageError, open_store, store_status

storage_option = click.option(
    "--storage",
    "storage",
    default=None,
    envvar="FLEXCORD_STORAGE",
    help="The storage address to look at instead of the config's (sqlite:///… or postgresql://…).",
)


def _location(config_path: str, storage: str | None) -> tuple[str, str | None]:
    if storage is not None:
        return storage, None
    from engine.cli.cases import _store_location

    url, root = _store_location(config_path)
    return url, str(root)


def _shown(url: str) -> str:
    from engine.store.postgres import safe_url  # a password never reaches the terminal

    return safe_url(url)


def _status_lines(url: str, status: Status) -> list[str]:
    lines = [f"storage: {_shown(url)}"]
    behind = LATEST_VERSION - status.version
    if status.version == 0:
        lines.append(
            f"schema: empty; `flexcord db upgrade` (or the bot's start) creates version {LATEST_VERSION}"
        )
    elif behind > 0:
        lines.append(
            f"schema: version {status.version}, this release uses {LATEST_VERSION}: {behind} migration(s) "
            "to apply with `flexcord db upgrade` (the bot also applies them when it starts)"
        )
    elif behind < 0:
        lines.append(
            f"schema: version {status.version}, newer than this release ({LATEST_VERSION}): upgrade flexcord"
        )
    else:
        lines.append(f"schema: version {status.version}, up to date")
    if status.cases is not None:
        lines.append(f"cases: {status.cases}")
    lines.extend(_replica_lines(status.replicas))
    return lines


def _replica_lines(replicas: tuple[Replica, ...]) -> list[str]:
    if not replicas:
        return []
    lines = ["replicas:"]
    lines.extend(f"  {r.name}  config {r.config_version}  last seen {r.seen_at}" for r in replicas)
    versions = sorted({r.config_version for r in replicas})
    if len(versions) > 1:
        lines.append(
            f"warning: the replicas run different rules (config versions {', '.join(versions)}); "
            "give every replica the same files, then `flexcord reload` each"
        )
    return lines


async def _upgrade(url: str, root: str | None) -> tuple[Status | None, Status]:
    try:
        before: Status | None = await store_status(url, root=root)
    except StorageError:
        before = None  # no database yet: the upgrade creates it
    store = await open_store(url, root=root)
    await store.close()
    return before, await store_status(url, root=root)


@click.group()
def db() -> None:
    """The bot's database: where its schema stands, and upgrading it."""


@db.command("status")
@config_option
@storage_option
def status(config_path: str, storage: str | None) -> None:
    """Show the schema version, how many cases are kept, and which replicas use the database."""
    url, root = _location(config_path, storage)
    try:
        found = asyncio.run(store_status(url, root=root))
    except StorageError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("\n".join(_status_lines(url, found)))


@db.command("upgrade")
@config_option
@storage_option
def upgrade(config_path: str, storage: str | None) -> None:
    """Apply the schema migrations this release needs (safe to run while replicas are up)."""
    url, root = _location(config_path, storage)
    try:
        before, after = asyncio.run(_upgrade(url, root))
    except StorageError as exc:
        raise click.ClickException(str(exc)) from exc
    start = 0 if before is None else before.version
    if start == after.version:
        click.echo(f"schema: version {after.version}, already up to date; cases: {after.cases}")
        return
    click.echo(f"schema: version {start} -> {after.version}; cases kept: {after.cases}")


COMMANDS = [db]
