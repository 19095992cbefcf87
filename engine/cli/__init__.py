"""The `flexcord` command. Each group of subcommands lives in its own module, imported on use.

Importing lazily keeps `flexcord validate` quick: it does not load discord.py, twilio or Quart.
"""

from __future__ import annotations

import importlib

import click

from engine.logs import LEVELS, LogFormat, setup_logging

COMMAND_MODULES: dict[str, str] = {
    "validate": "engine.cli.validate",
    "schema": "engine.cli.validate",
    "route": "engine.cli.routing",
    "test": "engine.cli.routing",
    "cases": "engine.cli.cases",
    "players": "engine.cli.players",
    "report": "engine.cli.report",
    "kb": "engine.cli.knowledge",
    "sandbox": "engine.cli.sandbox",
    "run": "engine.cli.serve",
    "plan": "engine.cli.serve",
    "apply": "engine.cli.serve",
    "reload": "engine.cli.admin",
    "db": "engine.cli.db",
}
"""Every subcommand and the module whose COMMANDS list holds it."""


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMAND_MODULES.get(cmd_name)
        if module_name is None:
            return None
        commands: list[click.Command] = getattr(importlib.import_module(module_name), "COMMANDS", [])
        return next((command for command in commands if command.name == cmd_name), None)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flexcord", message="flexcord %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Log more detail (same as --log-level debug).")
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
    envvar="FLEXCORD_LOG_LEVEL",
    help="Least important log lines shown (or set FLEXCORD_LOG_LEVEL).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="FLEXCORD_LOG_FORMAT",
    help="text for people, json for one JSON object per line (or set FLEXCORD_LOG_FORMAT).",
)
@click.option(
    "--log-message-text",
    is_flag=True,
    help="Let players' message text into the logs, which no level shows otherwise (test servers only).",
)
def main(verbose: bool, log_level: str, log_format: LogFormat, log_message_text: bool) -> None:
    """flexcord: your Discord community as the front door of your Twilio Flex contact center."""
    setup_logging("debug" if verbose else log_level, log_format, message_text=log_message_text)
