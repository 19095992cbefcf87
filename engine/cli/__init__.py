"""The `flexcord` command. Each group of subcommands lives in its own module, imported on use.

Importing lazily keeps `flexcord validate` quick: it does not load discord.py, twilio or Quart.
"""

from __future__ import annotations

import importlib
import logging

import click

COMMAND_MODULES: dict[str, str] = {
    "validate": "engine.cli.check",
    "schema": "engine.cli.check",
    "route": "engine.cli.routing",
    "test": "engine.cli.routing",
    "cases": "engine.cli.cases",
    "players": "engine.cli.players",
    "kb": "engine.cli.knowledge",
    "sandbox": "engine.cli.sandbox",
    "run": "engine.cli.serve",
    "plan": "engine.cli.serve",
    "apply": "engine.cli.serve",
    "reload": "engine.cli.admin",
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
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None  # a command that is not part of this installation
        for command in getattr(module, "COMMANDS", ()):
            if command.name == cmd_name:
                return command  # type: ignore[no-any-return]
        return None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flexcord", message="flexcord %(version)s")
@click.option("-v", "--verbose", is_flag=True, help="Log more detail.")
def main(verbose: bool) -> None:
    """flexcord: your Discord community as the front door of your Twilio Flex contact center."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
