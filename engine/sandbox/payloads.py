"""What the sandbox page is shown: Discord messages, interaction answers and forms as plain JSON.

Everything here reads discord.py objects (and SimCord's interaction results) that the real bot
produced; nothing is invented. Bot messages are shown with the bot's name, `flexcord`.
"""

from __future__ import annotations

from typing import Any

import discord
from simcord import InteractionResult
from simcord.backend.cdn import CDN_BASE

from engine.config.compile.locales import pick
from engine.config.model import Command, Config
from engine.runtime.languages import language_command

BOT_NAME = "flexcord"

_TEXT_INPUT = 4
_ACTION_ROW = 1
_LABEL = 18
_FILE_UPLOAD = 19
_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link"}


def embed_json(embed: discord.Embed) -> dict[str, Any]:
    """An embed as the page draws it: author, title (a link when it has a url), description, fields."""
    return {
        "title": embed.title or "",
        "url": embed.url,
        "description": embed.description or "",
        "author": embed.author.name if embed.author else None,
        "fields": [{"name": field.name, "value": field.value} for field in embed.fields],
        "footer": embed.footer.text if embed.footer else None,
    }


def buttons_json(components: list[Any]) -> list[dict[str, Any]]:
    """The buttons under a message, in order; `id` is what the page sends back to click one."""
    buttons: list[dict[str, Any]] = []
    for row in components:
        for item in getattr(row, "children", [row]):
            if not isinstance(item, discord.components.Button):
                continue
            buttons.append(
                {
                    "id": item.custom_id or item.url or item.label or "",
                    "label": item.label or "",
                    "style": _STYLES.get(int(item.style.value), "secondary"),
                    "url": item.url,
                    "disabled": item.disabled,
                }
            )
    return buttons


def author_name(message: discord.Message, bot_id: int | None) -> str:
    if bot_id is not None and message.author.id == bot_id:
        return BOT_NAME
    return message.author.display_name


def message_json(message: discord.Message, bot_id: int | None) -> dict[str, Any]:
    """One message in a channel or DM, with its embeds, buttons and whether only its viewer sees it."""
    return {
        "id": str(message.id),
        "author": author_name(message, bot_id),
        "author_id": str(message.author.id),
        "bot": message.author.bot,
        "text": message.content,
        "embeds": [embed_json(embed) for embed in message.embeds],
        "buttons": buttons_json(message.components),
        "ephemeral": message.flags.ephemeral,
        "at": message.created_at.isoformat(),
        "files": [file_json(attachment) for attachment in message.attachments],
    }


FILES_URL = "/sandbox/api/files/"


def file_json(attachment: discord.Attachment) -> dict[str, object]:
    """A file on a message: its name, type and size, and where the page reads it (pictures inline)."""
    return {
        "name": attachment.filename,
        "content_type": attachment.content_type or "application/octet-stream",
        "size": attachment.size,
        "url": FILES_URL + attachment.url.removeprefix(CDN_BASE + "/attachments/"),
    }


def reply_json(result: InteractionResult, bot_id: int | None) -> dict[str, Any]:
    """The bot's answer to a command, form or button: its response and followups run together."""
    shown = [result.response] if result.response is not None else []
    shown += result.followups
    messages = [message_json(part.message, bot_id) for part in shown]
    return {
        "text": "\n".join(m["text"] for m in messages if m["text"]),
        "embeds": [embed for m in messages for embed in m["embeds"]],
        "buttons": [button for m in messages for button in m["buttons"]],
        "ephemeral": result.ephemeral or any(m["ephemeral"] for m in messages),
        "messages": messages,
    }


def _controls(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The text inputs and file uploads of a modal, in order, each with its label."""
    found: list[dict[str, Any]] = []
    for node in components:
        kind = node.get("type")
        if kind in (_TEXT_INPUT, _FILE_UPLOAD):
            found.append(node)
        elif kind == _ACTION_ROW:
            found += _controls(node.get("components") or [])
        elif kind == _LABEL and isinstance(node.get("component"), dict):
            child = dict(node["component"])
            child.setdefault("label", node.get("label"))
            found += _controls([child])
    return found


def form_json(form_id: str, modal: dict[str, Any]) -> dict[str, Any]:
    """A modal (case form) the bot showed: its title and fields (text, or `type` file with up to
    `max_files`), keyed by the field's custom_id."""
    return {
        "id": form_id,
        "title": modal.get("title") or "Form",
        "fields": [
            {
                "name": node["custom_id"],
                "label": node.get("label") or node["custom_id"],
                "style": "paragraph" if node.get("style") == 2 else "short",
                "required": bool(node.get("required", True)),
                "min_length": node.get("min_length"),
                "max_length": node.get("max_length"),
                "placeholder": node.get("placeholder"),
                "type": "file" if node.get("type") == _FILE_UPLOAD else "text",
                "max_files": node.get("max_values") or 1,
            }
            for node in _controls(modal.get("components") or [])
        ],
    }


def commands(config: Config) -> list[Command]:
    """The config's commands, and the built-in /language when the bot speaks several languages."""
    chooser = language_command(config)
    return [*config.commands.values(), *([chooser] if chooser else [])]


def _localized(command: Command, config: Config) -> dict[str, dict[str, str]]:
    """Locale -> the command's name and description in that language, as Discord shows them."""
    found: dict[str, dict[str, str]] = {}
    for locale in config.locales.supported:
        texts = {}
        for what, default in (("name", command.name), ("description", command.description)):
            key = f"commands.{command.name}.{what}"
            chosen = pick(locale, [code for code, texts in config.translations.items() if key in texts])
            texts[what] = config.translations[chosen][key] if chosen is not None else default
        found[locale] = texts
    return found


def command_json(command: Command, config: Config) -> dict[str, Any]:
    """A slash command as the page's command picker shows it (`localized`: by the player's language)."""
    return {
        "name": command.name,
        "description": command.description,
        "localized": _localized(command, config),
        "options": [
            {
                "name": o.name,
                "type": o.type,
                "description": o.description,
                "required": o.required,
                "choices": list(o.choices),
            }
            for o in command.options
        ],
        "channels": list(command.channels),
        "roles": list(command.roles),
        "dm": command.dm,
    }


def reload_command(config: Config) -> dict[str, Any]:
    """`/flexcord reload`, which the bot adds for the admin role in every channel of the server."""
    return {
        "name": "flexcord reload",
        "description": "Reload the bot's YAML config after an edit",
        "options": [],
        "channels": [],
        "roles": [config.discord.admin_role],
        "dm": False,
    }
