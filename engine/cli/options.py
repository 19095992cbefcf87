"""What flexcord subcommands share: `-c/--config`, the sandbox's `--data`, loading the config or exiting."""

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

SANDBOX_DATA = Path(".flexcord") / "sandbox"
"""Where `flexcord sandbox` keeps its records unless told otherwise (and where `cases` looks for them)."""

data_option = click.option(
    "--data",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help=f"The sandbox's records folder (default {SANDBOX_DATA}); `flexcord cases` reads the same.",
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
