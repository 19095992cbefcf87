"""`flexcord players forget DISCORD_ID`: erase a player's personal data (a data-protection request)."""

from __future__ import annotations

import asyncio

import click

from engine.cli.cases import records
from engine.cli.options import config_option
from engine.store import Forgotten


async def _forget(config_path: str, user_id: str) -> Forgotten:
    from engine.runtime.languages import language_key
    from engine.runtime.wire import contact_lane, dm_lane

    lanes = [dm_lane(user_id), contact_lane(user_id)]
    async with records(config_path) as store, store.transaction() as tx:
        return await tx.forget_player(user_id, lanes, settings=[language_key(user_id)])


@click.group()
def players() -> None:
    """Players the bot keeps records about."""


@players.command("forget")
@click.argument("discord_id")
@config_option
def forget(discord_id: str, config_path: str) -> None:
    """Erase a player's conversation, transcripts, pending messages and chosen language; their cases
    stay, anonymised."""
    if not discord_id.isdigit():
        raise click.BadParameter(
            "a Discord user id is a number, like 123456789012345678", param_hint="DISCORD_ID"
        )
    gone = asyncio.run(_forget(config_path, discord_id))
    if not gone.conversation and not gone.cases and not gone.settings:
        click.echo(f"No records of player {discord_id}.")
        return
    kept = f"; their cases {', '.join(gone.cases)} stay, without title, answers or name" if gone.cases else ""
    click.echo(
        f"Erased player {discord_id}: {gone.messages} transcript line(s), "
        f"{gone.deliveries} message(s) to deliver{kept}."
    )


COMMANDS = [players]
