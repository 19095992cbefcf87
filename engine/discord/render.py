"""Turn the core's OutMessage into Discord messages: text split at 2000 chars, embeds, persistent buttons.

Pure except for building discord.py objects; nothing here sends anything.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import discord

from engine.events import Button, Embed, OutMessage

TEXT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
BUTTONS_PER_MESSAGE = 25
CUSTOM_ID_PREFIX = "flexcord:"
_SEPARATORS = ("\n\n", "\n", " ")

_STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
    "link": discord.ButtonStyle.link,
}


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split text into parts of at most `limit` chars, at a paragraph, line or word boundary when possible.

    >>> split_text("one two three", limit=8)
    ['one two', 'three']
    """
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]  # a separator right after the limit still makes a clean cut
        cut, gap = limit, 0
        for separator in _SEPARATORS:
            at = window.rfind(separator)
            if at > 0:
                cut, gap = at, len(separator)
                break
        head = rest[:cut].rstrip()
        if head:
            parts.append(head)
        rest = rest[cut + gap :].lstrip()
    if rest:
        parts.append(rest)
    return parts


def with_author(message: OutMessage) -> str:
    """The message text, prefixed with the author's name for an agent's message."""
    if message.author and message.text:
        return f"**{message.author}:** {message.text}"
    return message.text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_embed(embed: Embed, author: str | None = None) -> discord.Embed:
    """A discord.Embed for a core Embed, clipped to Discord's size limits."""
    result = discord.Embed(
        title=_clip(embed.title, 256) or None,
        description=_clip(embed.description, 4096) or None,
        url=embed.url or None,
    )
    for name, value in embed.fields[:25]:
        result.add_field(name=_clip(name, 256) or "-", value=_clip(value, 1024) or "-", inline=False)
    if embed.footer:
        result.set_footer(text=_clip(embed.footer, 2048))
    if author:
        result.set_author(name=_clip(author, 256))
    return result


class FlexcordButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?s)flexcord:(?P<id>.{1,91})"
):
    """A button whose custom_id carries the core's button id, so a click works even after a restart."""

    def __init__(self, button_id: str, label: str = "", style: str = "secondary") -> None:
        super().__init__(
            discord.ui.Button(
                label=_clip(label, 80) or button_id,
                style=_STYLES.get(style, discord.ButtonStyle.secondary),
                custom_id=CUSTOM_ID_PREFIX + button_id,
            )
        )
        self.button_id = button_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FlexcordButton:
        label = getattr(item, "label", None) or ""
        style = getattr(getattr(item, "style", None), "name", "secondary")
        return cls(match["id"], label, style)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        handler = getattr(interaction.client, "on_flexcord_button", None)
        if handler is not None:
            await handler(interaction, self.button_id, self.item.label or "")


def to_view(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """A persistent view (no timeout) for the buttons; link buttons open their URL."""
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons[:BUTTONS_PER_MESSAGE]:
        if button.url:
            view.add_item(discord.ui.Button(label=_clip(button.label, 80), url=button.url))
        else:
            view.add_item(FlexcordButton(button.id, button.label, button.style))
    return view


@dataclass(slots=True)
class MessagePart:
    """One Discord message of an OutMessage: content, embeds and the view (on the last part only)."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None
    nonce: str | None = None

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for Messageable.send / followup.send."""
        kwargs: dict[str, Any] = {}
        if self.content:
            kwargs["content"] = self.content
        if self.embeds:
            kwargs["embeds"] = self.embeds
        if self.view is not None:
            kwargs["view"] = self.view
        return kwargs


def part_nonce(key: str, index: int) -> str:
    """Discord's nonce (at most 25 chars) for part `index` of the message with idempotency key `key`."""
    return hashlib.sha256(f"{key}#{index}".encode()).hexdigest()[:25]


def message_parts(message: OutMessage, limit: int = TEXT_LIMIT) -> list[MessagePart]:
    """The Discord messages that make up one OutMessage, in order (none for an empty message)."""
    embeds = [to_embed(e, None) for e in message.embeds]
    if message.author and not message.text and embeds:
        embeds[0].set_author(name=_clip(message.author, 256))
    parts = [MessagePart(content=chunk) for chunk in split_text(with_author(message), limit)]
    groups = [embeds[i : i + EMBEDS_PER_MESSAGE] for i in range(0, len(embeds), EMBEDS_PER_MESSAGE)]
    if groups:
        if parts:
            parts[-1].embeds = groups[0]
            groups = groups[1:]
        parts.extend(MessagePart(embeds=group) for group in groups)
    view = to_view(message.buttons)
    if not parts:
        if view is None:
            return []
        parts.append(MessagePart())
    parts[-1].view = view
    if message.key:
        for index, part in enumerate(parts):
            part.nonce = part_nonce(message.key, index)
    return parts
