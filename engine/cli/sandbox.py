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

from engine.config.diagnostics import ConfigError, format_text

if TYPE_CHECKING:
    from engine.sandbox import Sandbox

CLOCK_ENV = "FLEXCORD_SANDBOX_NOW"
SANDBOX_EXTRA = ("simcord", "openapi_core")  # what `pip install 'flexcord[sandbox]'` adds
INSTALL_THE_EXTRA = (
    "flexcord sandbox needs the sandbox extra (an emulated Discord and Flex), which is not installed "
    "here ({missing} is missing). Install it with: pip install 'flexcord[sandbox]' "
    "(scripts/sandbox does this for you)."
)


def _sandbox_package() -> ModuleType:
    """engine.sandbox, or a plain message saying how to install what it needs."""
    try:
        return importlib.import_module("engine.sandbox")
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in SANDBOX_EXTRA:
            raise
        raise click.ClickException(INSTALL_THE_EXTRA.format(missing=exc.name)) from None


def _moment(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment: datetime = _sandbox_package().parse_moment(value)
        return moment
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


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
    await sandbox.start()
    loop = asyncio.get_running_loop()
    stop = _stopper(sandbox)
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    click.echo("")
    click.secho(f"  flexcord sandbox is running: {sandbox.url}", fg="green", bold=True)
    click.echo(f"  rules: {sandbox.config_path}  (edits are picked up as you save)")
    click.echo(f"  records: {sandbox.data}")
    click.echo("  press Ctrl+C to stop")
    click.echo("")
    if open_page:
        with contextlib.suppress(Exception):
            webbrowser.open(sandbox.url)
    try:
        await sandbox.wait()
    finally:
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
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the sandbox's records (its SQLite database).  [default: .flexcord/sandbox]",
)
@click.option("--no-open", is_flag=True, help="Do not open the page in a browser.")
@click.option(
    "--clock",
    envvar=CLOCK_ENV,
    callback=_moment,
    hidden=True,
    help=f"Start the sandbox at this moment (ISO 8601), e.g. to try business hours; also ${CLOCK_ENV}.",
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
def sandbox(
    config_path: Path,
    port: int,
    host: str,
    data: Path | None,
    no_open: bool,
    clock: datetime | None,
    flex_url: str | None,
    discord_receipts: Path | None,
) -> None:
    """Play your bot in the browser: an emulated Discord server and Flex agent desk, no accounts needed."""
    package = _sandbox_package()
    if not config_path.is_file():
        raise click.ClickException(f"{config_path} does not exist; pass your bot's file with -c")
    if not click.get_current_context().find_root().params.get("verbose"):
        for chatty in ("discord", "hypercorn.error"):  # the banner says what matters
            logging.getLogger(chatty).setLevel(logging.WARNING)
    runner: Sandbox = package.Sandbox(
        config_path,
        host=host,
        port=port,
        data=data if data is not None else package.DEFAULT_DATA,
        clock=clock,
        flex_url=flex_url,
        discord_receipts=discord_receipts,
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
