"""The `flexcord` command. Each group of subcommands lives in its own module here."""

from __future__ import annotations

import importlib
import logging

import click

SUBCOMMAND_MODULES = (
    "engine.cli.check",  # validate, schema
    "engine.cli.routing",  # route, test
    "engine.cli.records",  # cases, kb
    "engine.cli.serve",  # run, plan, apply, reload, sandbox
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
def main(verbose: bool) -> None:
    """flexcord: your Discord community as the front door of your Twilio Flex contact center."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _register() -> None:
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
