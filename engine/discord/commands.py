"""Slash commands built at run time from the config's `commands:`, plus the `/flexcord reload` group.

Each command's callback gets a real signature built from the declared options, so discord.py
registers typed options (ranges, choices, users, channels, roles, files) exactly as if they had
been written by hand. The callback only collects plain option values and hands them to `run`, with
the bytes of any file option read at once (Discord's links to them expire).
Commands usable in DMs are registered globally (Discord shows guild commands only in the guild);
the others are registered for the configured guild only.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands

from engine.config.model import Command, Config, Option
from engine.discord.interactions import Files, read_attachments
from engine.discord.translator import localized
from engine.runtime.languages import language_command

CommandRunner = Callable[[discord.Interaction[Any], str, dict[str, object], Files], Awaitable[None]]
"""Called with the interaction, the command name, its options as plain values and the files given."""

ReloadRunner = Callable[[discord.Interaction[Any]], Awaitable[None]]

GUILD_ONLY = app_commands.AppCommandContext(guild=True)
GUILD_AND_DM = app_commands.AppCommandContext(guild=True, dm_channel=True)

_PLAIN: dict[str, type] = {"string": str, "integer": int, "number": float, "boolean": bool, "choice": str}
_OBJECTS: dict[str, Any] = {
    "user": discord.User,
    "channel": discord.TextChannel,
    "role": discord.Role,
    "file": discord.Attachment,
}


def option_annotation(option: Option) -> Any:
    """The annotation discord.py turns into this option's type, with its range if one is set."""
    if option.type in _OBJECTS:
        return _OBJECTS[option.type]
    kind = _PLAIN[option.type]
    if option.type in ("string", "integer", "number") and (option.min is not None or option.max is not None):
        cast: Callable[[float], Any] = float if kind is float else int
        low = None if option.min is None else cast(option.min)
        high = None if option.max is None else cast(option.max)
        return app_commands.Range[kind, low, high]
    return kind


def plain_value(value: object) -> object:
    """An option value as the core sees it: users by id, channels, roles and files by name."""
    if isinstance(value, (discord.User, discord.Member)):
        return str(value.id)
    if isinstance(value, discord.Attachment):  # its bytes go to the runtime with the event
        return value.filename
    if isinstance(
        value,
        (
            discord.Role,
            discord.abc.GuildChannel,
            discord.Thread,
            app_commands.AppCommandChannel,
            app_commands.AppCommandThread,
        ),
    ):
        return value.name
    return value


def _signature(command: Command) -> inspect.Signature:
    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    ordered = sorted(command.options, key=lambda o: not o.required)  # required options first
    for option in ordered:
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=option_annotation(option),
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    return inspect.Signature(parameters)


def build_command(command: Command, run: CommandRunner) -> app_commands.Command[Any, ..., None]:
    """An app command for one configured command; invoking it calls `run` with plain option values."""
    name = command.name

    async def callback(interaction: discord.Interaction[Any], **options: object) -> None:
        values = {key: plain_value(value) for key, value in options.items() if value is not None}
        given = [value for value in options.values() if isinstance(value, discord.Attachment)]
        await run(interaction, name, values, await read_attachments(given, interaction.user.id))

    described = callback.__dict__  # what discord.py reads: the options, their descriptions and choices
    described["__signature__"] = _signature(command)
    options = {option.name: f"commands.{name}.options.{option.name}" for option in command.options}
    described["__discord_app_commands_param_description__"] = {
        option.name: localized(option.description, f"{options[option.name]}.description")
        for option in command.options
    }
    described["__discord_app_commands_param_rename__"] = {
        option.name: localized(option.name, f"{options[option.name]}.name") for option in command.options
    }
    choices = {
        option.name: [
            app_commands.Choice(
                name=localized(choice, f"{options[option.name]}.choices.{choice}"), value=choice
            )
            for choice in option.choices
        ]
        for option in command.options
        if option.type == "choice" and option.choices
    }
    if choices:
        described["__discord_app_commands_param_choices__"] = choices
    return app_commands.Command(
        name=localized(name, f"commands.{name}.name"),
        description=localized(command.description, f"commands.{name}.description"),
        callback=callback,
        allowed_contexts=GUILD_AND_DM if command.dm else GUILD_ONLY,
    )


def build_admin_group(reload: ReloadRunner) -> app_commands.Group:
    """`/flexcord reload`: apply an edited config without a restart (admin role only, checked on use)."""
    group = app_commands.Group(
        name="flexcord", description="Manage the flexcord bot", allowed_contexts=GUILD_ONLY
    )

    async def reload_callback(interaction: discord.Interaction[Any]) -> None:
        await reload(interaction)

    group.add_command(
        app_commands.Command(
            name="reload", description="Reload the bot's YAML config after an edit", callback=reload_callback
        )
    )
    return group


def install(
    tree: app_commands.CommandTree[Any],
    config: Config,
    guild: discord.abc.Snowflake,
    run: CommandRunner,
    reload: ReloadRunner,
) -> None:
    """Replace every command in the tree with the config's: DM-capable ones global, the rest per guild."""
    tree.clear_commands(guild=None)
    tree.clear_commands(guild=guild)
    chooser = language_command(config)  # /language, when the bot speaks several languages
    for command in (*config.commands.values(), *([chooser] if chooser else [])):
        tree.add_command(build_command(command, run), guild=None if command.dm else guild)
    tree.add_command(build_admin_group(reload), guild=guild)
