"""`flexcord sandbox`: try the bot on this machine, with no Discord or Twilio account."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import sys
import webbrowser
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import click

from engine.cli.options import SANDBOX_DATA, data_option
from engine.config.diagnostics import ConfigError, format_text
from engine.heap import settle_heap
from engine.reload import SignalTrigger

if TYPE_CHECKING:
    from engine.sandbox import Sandbox

log = logging.getLogger(__name__)

CLOCK_ENV = "FLEXCORD_SANDBOX_NOW"
REAL_TIME = "now"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
SANDBOX_EXTRA = ("simcord", "openapi_core")  # what `pip install 'flexcord[sandbox]'` adds
INSTALL_THE_EXTRA = (
    "flexcord sandbox needs the sandbox extra (an emulated Discord and Flex), which is not installed "
    "here ({missing} is missing). Install it with: pip install 'flexcord[sandbox]' "
    "(scripts/sandbox does this for you)."
)


def _import_sandbox() -> ModuleType | str:
    """engine.sandbox, or the name of the sandbox extra's package that is missing.

    Imported with this module, before logging is set up, as SimCord's own check on import makes
    discord.py warn about a client it builds for the purpose.
    """
    try:
        return importlib.import_module("engine.sandbox")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in SANDBOX_EXTRA:
            raise
        return str(exc.name)


_SANDBOX = _import_sandbox()


def _sandbox_package() -> ModuleType:
    """engine.sandbox, or a plain message saying how to install what it needs."""
    if isinstance(_SANDBOX, str):
        raise click.ClickException(INSTALL_THE_EXTRA.format(missing=_SANDBOX))
    return _SANDBOX


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | str | None:
    if not value:
        return None
    if value.strip().lower() == REAL_TIME:
        return REAL_TIME
    try:
        moment: datetime = _sandbox_package().parse_moment(value)
        return moment
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _listening(url: str) -> None:
    click.secho(f"flexcord sandbox: {url}  (starting…)", fg="green", bold=True)


def _banner(sandbox: Sandbox) -> None:
    click.echo("")
    click.secho(f"  flexcord sandbox is running: {sandbox.url}", fg="green", bold=True)
    click.echo(
        f"  rules: {sandbox.config_path}  (edits are picked up as you save; kill -HUP {os.getpid()} too)"
    )
    click.echo(f"  records: {sandbox.data}  (flexcord cases list --data {sandbox.data})")
    click.echo(f"  reports: {sandbox.url}/reports")
    if sandbox.clock_note:
        click.secho(f"  {sandbox.clock_note}", fg="yellow")
    for channel, token in sandbox.announce_tokens().items():
        click.echo(
            f"  announcements: curl -X POST {sandbox.url}/hooks/announce/{channel} "
            f"-H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
            """-d '{"text": "Raid weekend starts Friday!"}'"""
        )
    click.echo("  press Ctrl+C to stop")
    click.echo("")


def _stopper(sandbox: Sandbox) -> Callable[[], None]:
    """Ctrl+C stops cleanly; a second Ctrl+C quits at once."""
    pressed = 0

    def stop() -> None:
        nonlocal pressed
        pressed += 1
        if pressed > 1:
            os._exit(130)
        click.echo("\nstopping the sandbox… (Ctrl+C again to quit at once)")
        sandbox.request_stop()

    return stop


async def _run(sandbox: Sandbox, open_page: bool) -> None:
    await sandbox.start(listening=_listening)
    settle_heap()
    loop = asyncio.get_running_loop()
    stop = _stopper(sandbox)
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    signals = SignalTrigger(sandbox.reloader)
    if not signals.install():  # SIGHUP reloads, as with `flexcord run`
        log.info("this platform has no SIGHUP; reload by saving a file or from the page")
    _banner(sandbox)
    if open_page:
        with contextlib.suppress(Exception):
            webbrowser.open(sandbox.url)
    try:
        await sandbox.wait()
    finally:
        signals.remove()
        await sandbox.stop()
        click.echo("the sandbox stopped")


@click.command("sandbox")
@click.option(
    "-c",
    "--config",
    "config_path",
    default="flexcord.yaml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The bot's flexcord.yaml.",
)
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port of the page."
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback lets other machines drive the sandbox.",
)
@data_option
@click.option("--no-open", is_flag=True, help="Do not open the page in a browser.")
@click.option(
    "--clock",
    envvar=CLOCK_ENV,
    callback=_moment,
    metavar="ISO-TIME|now",
    help="Start the sandbox at this moment (ISO 8601), e.g. to try after-hours rules; 'now' for the "
    f"real time. By default it starts during business hours. Also ${CLOCK_ENV}.",
)
@click.option(
    "--flex-url",
    metavar="URL",
    help="Use the Flex emulator already running at URL (python -m engine.flex.emulator) instead of "
    "starting one inside the sandbox; it uses $TWILIO_ACCOUNT_SID and $TWILIO_AUTH_TOKEN, or the "
    "emulator's defaults.",
)
@click.option(
    "--discord-receipts",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Append one JSON line per message the bot makes on the emulated Discord to FILE (on disk "
    "before the bot hears back); on start, the nonces in FILE are remembered, as Discord would.",
)
@click.option(
    "--storage",
    metavar="URL",
    help="Keep the records at URL (postgresql://user:password@host/database) instead of the data "
    "folder; sandboxes started with the same URL run as replicas of one bot.",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="The address Twilio's webhooks are sent to (a load balancer in front of replicas) instead "
    "of this sandbox's own.",
)
@click.option(
    "--seed-demo-data",
    is_flag=True,
    help="Fill the records with a week of made-up support history, so /reports has something to show "
    "(once per data folder).",
)
def sandbox(
    config_path: Path,
    port: int,
    host: str,
    data: Path | None,
    no_open: bool,
    clock: datetime | str | None,
    flex_url: str | None,
    discord_receipts: Path | None,
    storage: str | None,
    public_url: str | None,
    seed_demo_data: bool,
) -> None:
    """Play your bot in the browser: an emulated Discord server and Flex agent desk, no accounts needed."""
    package = _sandbox_package()
    if host not in LOOPBACK:
        click.secho(
            f"warning: the sandbox listens on {host}: other machines can reach it and play as anyone; "
            "it has no password. Use --host 127.0.0.1 unless you mean it.",
            fg="red",
            err=True,
        )
    if not config_path.is_file():
        raise click.ClickException(f"{config_path} does not exist; pass your bot's file with -c")
    root = click.get_current_context().find_root().params
    if not (root.get("verbose") or root.get("log_level") == "debug"):
        for chatty in ("discord", "hypercorn.error"):  # the banner says what matters
            logging.getLogger(chatty).setLevel(logging.WARNING)
    runner: Sandbox = package.Sandbox(
        config_path,
        host=host,
        port=port,
        data=data or SANDBOX_DATA,
        clock=clock if isinstance(clock, datetime) else None,
        real_time=clock == REAL_TIME,
        flex_url=flex_url,
        discord_receipts=discord_receipts,
        seed_demo_data=seed_demo_data,
        storage=storage,
        public_url=public_url.rstrip("/") if public_url else None,
    )
    try:
        asyncio.run(_run(runner, open_page=not no_open and not os.environ.get("CI")))
    except ConfigError as exc:
        click.echo(format_text(exc.diagnostics), err=True)
        click.echo(f"{config_path} has problems; fix them and start the sandbox again.", err=True)
        sys.exit(1)
    except OSError as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        pass


COMMANDS = [sandbox]
