"""What every flexcord subcommand shares: the `-c/--config` option and loading the config or exiting."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.config.model import Config

config_option = click.option(
    "-c",
    "--config",
    "config_path",
    default="flexcord.yaml",
    envvar="FLEXCORD_CONFIG",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The bot's flexcord.yaml (or set FLEXCORD_CONFIG).",
)


def load_config(path: Path | str) -> Config:
    """The compiled config at `path` (secrets not needed), or exit 1 after printing every error."""
    from engine.config import build

    result = build(path, offline=True)
    if result.ok and result.config is not None:
        return result.config
    for diagnostic in result.errors:
        click.echo(str(diagnostic), err=True)
    click.echo(f"{path}: the config has errors; fix them and try again (see `flexcord validate`).", err=True)
    sys.exit(1)
