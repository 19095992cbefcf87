"""`flexcord validate` and `flexcord schema`: check the YAML, and give editors its JSON Schemas."""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from engine.cli.options import config_option
from engine.config.diagnostics import format_json, format_text

if TYPE_CHECKING:
    from engine.config import BuildResult


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(result: BuildResult, config: str) -> str:
    """The last line of `flexcord validate`: what is valid, or how many problems there are."""
    errors, warnings = len(result.errors), len(result.warnings)
    if errors:
        text = _plural(errors, "error")
        return text + (f", {_plural(warnings, 'warning')}" if warnings else "")
    doc: Mapping[str, object] = result.doc or {}
    routes = len(result.files) - 1

    def count(key: str) -> int:
        value = doc.get(key)
        return len(value) if isinstance(value, dict | list) else 0

    files = os.path.basename(config) + (f" and {_plural(routes, 'route file')}" if routes else "")
    verb = "are" if routes else "is"
    text = (
        f"{files} {verb} valid: {_plural(count('commands'), 'command')}, {_plural(count('rules'), 'rule')}, "
        f"{_plural(count('cases'), 'case template')}"
    )
    return text + (f" ({_plural(warnings, 'warning')})" if warnings else "")


@click.command()
@config_option
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one problem per line; json: a list for tools.",
)
@click.option(
    "--online/--offline",
    default=False,
    help="--online also requires every ${VARIABLE} to be set (the secrets for a real start); "
    "--offline (the default) checks the rules without secrets.",
)
def validate(config_path: Path, output: str, online: bool) -> None:
    """Check flexcord.yaml and its route files; exit 1 if there are errors (warnings are fine)."""
    from engine.config import build

    # On the way out, the collector's last pass would walk every object once more (the checked
    # document, every module): tens of ms of a validate's time. Frozen, they are left to the exit.
    atexit.unregister(gc.freeze)  # once, however many times validate runs in this process
    atexit.register(gc.freeze)

    result = build(config_path, offline=not online)
    if output == "json":
        click.echo(format_json(result.diagnostics))
    else:
        if result.diagnostics:
            click.echo(format_text(result.diagnostics))
        click.echo(_summary(result, str(config_path)))
    sys.exit(0 if result.ok else 1)


@click.command()
@click.argument("kind", required=False, type=click.Choice(["flexcord", "routes"]))
@click.option(
    "--write",
    "folder",
    type=click.Path(file_okay=False),
    default=None,
    is_flag=False,
    flag_value="schemas",
    help="Write the schema files into this folder (default schemas/) instead of printing.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Exit 1 if the files in schemas/ (or --write's folder) are out of date.",
)
@click.option("--reference", is_flag=True, help="Print the config reference in Markdown (docs/CONFIG.md).")
def schema(kind: str | None, folder: str | None, check_only: bool, reference: bool) -> None:
    """Print the JSON Schemas of flexcord's YAML files, or write them for editors (--write)."""
    from engine.config.schema.documents import MAIN_SCHEMA, ROUTES_SCHEMA, dump, schemas, write

    if reference:
        from engine.config.schema.reference import reference as markdown

        click.echo(markdown(), nl=False)
        return
    everything = schemas()
    if check_only:
        target = Path(folder or "schemas")
        stale = [
            name
            for name, body in everything.items()
            if not (target / name).is_file() or (target / name).read_text(encoding="utf-8") != dump(body)
        ]
        for name in stale:
            click.echo(f"{target / name} is out of date; run 'flexcord schema --write {target}'", err=True)
        sys.exit(1 if stale else 0)
    if folder is not None:
        for path in write(folder):
            click.echo(f"wrote {path}")
        return
    if kind is not None:
        click.echo(dump(everything[MAIN_SCHEMA if kind == "flexcord" else ROUTES_SCHEMA]), nl=False)
        return
    click.echo(json.dumps(everything, indent=2, ensure_ascii=False))


COMMANDS = [validate, schema]
