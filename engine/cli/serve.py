"""`flexcord run`, `flexcord plan`, `flexcord apply`: the bot in production, and its channel permissions.

`run` connects to Discord and Twilio Flex and serves the webhooks until SIGINT/SIGTERM.
`plan` prints how the server's channel permissions differ from the config; `apply` makes them match.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import click
import discord

from engine.cli.options import config_option
from engine.config import build
from engine.config.builder import build_isolated
from engine.config.diagnostics import format_text
from engine.config.model import Config
from engine.discord import permissions
from engine.discord.client import configured_guild, intents

log = logging.getLogger(__name__)

SECRETS_HELP = """\
flexcord {command} needs its secrets. Set these environment variables:
  DISCORD_TOKEN          the bot's token (Discord Developer Portal > your application > Bot)
  TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_WORKSPACE_SID, TWILIO_WORKFLOW_SID
                         your Twilio account and the Flex TaskRouter workspace and workflow
  FLEXCORD_PUBLIC_URL    the https address where Twilio reaches this server
To try the bot without any account, run: flexcord sandbox"""
BAD_TOKEN = "Discord refused the token in DISCORD_TOKEN; copy it again from the Developer Portal (Bot tab)."
NO_MESSAGE_CONTENT = (
    "Discord refused to connect: case threads (discord.threads in flexcord.yaml) need the privileged "
    "Message Content intent, and it is not turned on for this bot. Turn on Message Content Intent in "
    "the Developer Portal (your app > Bot > Privileged Gateway Intents), or remove discord.threads to "
    "keep talking with players in DMs only."
)


def _exit(code: int, text: str) -> None:
    click.echo(text, err=True)
    sys.exit(code)


def load(config_path: Path, command: str, *, secrets: bool, serving: bool = False) -> Config:
    """The config, checked; exits 1 on a config error and 2 when a needed secret is not set. A
    `serving` process builds in the builder process (engine.config.builder): it never holds the peak."""
    make = build_isolated if serving else build
    offline = make(config_path, offline=True)
    if offline.config is None or not offline.ok:
        _exit(1, format_text(offline.errors) or f"{config_path}: the config cannot be used")
    assert offline.config is not None
    if not offline.config.discord.token:
        _exit(2, SECRETS_HELP.format(command=command))
    if not secrets:
        return offline.config
    online = make(config_path, offline=False)
    if online.config is None or not online.ok:
        _exit(2, format_text(online.errors) + "\n\n" + SECRETS_HELP.format(command=command))
    assert online.config is not None
    return online.config


# --- plan / apply ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PermissionReport:
    """What `plan` or `apply` found and did, and the exit code it means."""

    text: str
    code: int


async def permissions_report(
    client: discord.Client, config: Config, *, apply: bool, exit_code: bool
) -> PermissionReport:
    """Plan (and with `apply`, make) the channel permission changes in the configured server."""
    guild = configured_guild(client, config)
    if guild is None:
        return PermissionReport(
            f"The bot is not in a server matching discord.guild '{config.discord.guild}'. "
            "Invite it to the server, or set discord.guild to the server's name or id.",
            1,
        )
    planned = permissions.plan(config, permissions.snapshot(guild))
    lines = [f"Server: {guild.name}", planned.text()]
    code = 2 if exit_code and planned.changes else 0
    if apply and planned.changes:
        result = await permissions.apply(planned, guild)
        lines.append(f"Applied: {result.written} overwrite(s) written.")
        lines.extend(f"failed: {failure}" for failure in result.failures)
        code = 1 if result.failures else 0
    return PermissionReport("\n".join(lines), code)


class _OneShot(discord.Client):
    """Connects, runs one job once the server's state has arrived, then disconnects."""

    def __init__(self, job: Callable[[discord.Client], Awaitable[PermissionReport]]) -> None:
        super().__init__(intents=intents())
        self.job = job
        self.report = PermissionReport("The bot disconnected before it was ready.", 1)

    async def on_ready(self) -> None:
        try:
            self.report = await self.job(self)
        finally:
            await self.close()


def _permissions_command(config_path: Path, *, apply: bool, exit_code: bool) -> None:
    command = "apply" if apply else "plan"
    config = load(config_path, command, secrets=False)
    client = _OneShot(lambda c: permissions_report(c, config, apply=apply, exit_code=exit_code))
    try:
        asyncio.run(client.start(str(config.discord.token)))
    except discord.LoginFailure:
        _exit(2, BAD_TOKEN)
    click.echo(client.report.text)
    sys.exit(client.report.code)


@click.command("plan")
@config_option
@click.option("--exit-code", is_flag=True, help="Exit with 2 when changes are pending (for CI).")
def plan(config_path: Path, exit_code: bool) -> None:
    """Show how the server's channel permissions differ from the config."""
    _permissions_command(config_path, apply=False, exit_code=exit_code)


@click.command("apply")
@config_option
def apply(config_path: Path) -> None:
    """Change the server's channel permissions to match the config."""
    _permissions_command(config_path, apply=True, exit_code=False)


# --- run -------------------------------------------------------------------------------------


class DiscordLogin:
    """The real Discord: the bot logs in with its token; `session` runs until the client closes."""

    def __init__(self, client: discord.Client, token: str) -> None:
        self.client = client
        self.token = token
        self._session: asyncio.Task[None] | None = None

    @property
    def session(self) -> asyncio.Task[None]:
        """The connection, from `start` on; it ends with an error when Discord refuses the token."""
        if self._session is None:
            raise RuntimeError("the bot has not started logging in to Discord")
        return self._session

    async def start(self) -> None:
        self._session = asyncio.create_task(self.client.start(self.token), name="discord")

    async def stop(self) -> None:
        await self.client.close()
        if self._session is not None:
            await asyncio.gather(self._session, return_exceptions=True)


async def serve_bot(config_path: Path, config: Config, *, watch: bool, init_storage: bool = False) -> None:
    """Run everything together until SIGINT/SIGTERM: store, runtime, Flex, web server, Discord."""
    from engine.assembly import assemble
    from engine.heap import settle_heap
    from engine.reload import SignalTrigger
    from engine.store import StorageError

    try:
        bot = await assemble(config_path, config, offline=False, initialise_storage=init_storage)
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    login = DiscordLogin(bot.client, str(config.discord.token))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, bot.request_stop)
    signals = SignalTrigger(bot.reloader)
    signals.install()
    try:
        await bot.start(login, watch=watch)
        settle_heap()
        log.info("flexcord is running (config %s); press Ctrl+C to stop", config.version)
        await bot.wait(login.session)
    finally:
        signals.remove()
        await bot.stop()


@click.command("run")
@config_option
@click.option("--watch", is_flag=True, help="Reload when a config file or KB article changes.")
@click.option(
    "--init-storage",
    is_flag=True,
    help="Begin with an empty database where the one kept before is missing (its cases are lost).",
)
def run(config_path: Path, watch: bool, init_storage: bool) -> None:
    """Run the bot: Discord, Twilio Flex and the webhook server, until Ctrl+C (or SIGTERM)."""
    config = load(config_path, "run", secrets=True, serving=True)
    try:
        asyncio.run(serve_bot(config_path, config, watch=watch, init_storage=init_storage))
    except discord.LoginFailure:
        _exit(2, BAD_TOKEN)
    except discord.PrivilegedIntentsRequired:
        _exit(2, NO_MESSAGE_CONTENT)


COMMANDS = [run, plan, apply]
