"""From Discord interactions to core Events and back: who and where, case forms as modals, answers.

A slash command, a submitted form and a pressed button all become an Event for the runtime; its
Outcome is shown as the interaction's answer (ephemeral unless the outcome says otherwise) or,
for a case form, as a modal. Discord wants an answer within 3 s, so a slow runtime gets a
deferred ("thinking") answer first and the replies follow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import discord

from engine.config.model import DM, FormField, Refuse, frozen_map
from engine.discord.render import message_parts
from engine.events import Event, EventKind, FormRequest, Outcome, OutMessage, User

log = logging.getLogger(__name__)

ANSWER_WITHIN = 2.0  # seconds before the interaction is deferred (Discord's limit is 3)
FORM_TIMEOUT = 1800.0  # a form left open longer than this is dropped
FALLBACK = "Sorry, something went wrong on my side. Please try again."

Files = tuple[tuple[str, bytes], ...]
FormSubmit = Callable[[discord.Interaction[Any], FormRequest, dict[str, str], Files], Awaitable[None]]
"""Called with the interaction, the form shown, the field values and the files attached."""


def person(author: discord.abc.User) -> User:
    """The core's view of a Discord user: id, display name and (in a server) lowercase role names."""
    roles: tuple[str, ...] = ()
    if isinstance(author, discord.Member):
        roles = tuple(role.name.lower() for role in author.roles if not role.is_default())
    return User(id=str(author.id), name=author.display_name, roles=roles)


def place(channel: object, guild_id: int | None) -> str:
    """'dm' for a direct message, else the channel's name (a thread counts as its parent channel)."""
    if guild_id is None or channel is None:
        return DM
    if isinstance(channel, discord.Thread) and channel.parent is not None:
        return channel.parent.name
    return str(getattr(channel, "name", None) or DM)


def interaction_event(
    interaction: discord.Interaction[Any],
    kind: EventKind,
    *,
    at: datetime | None = None,
    **fields: Any,
) -> Event:
    """The Event for an interaction; `fields` are the kind's own (command, options, form, button, text)."""
    if "options" in fields:
        fields["options"] = frozen_map(fields["options"])
    return Event(
        kind=kind,
        id=str(interaction.id),
        user=person(interaction.user),
        where=place(interaction.channel, interaction.guild_id),
        at=at or interaction.created_at,
        locale=str(interaction.locale.value),  # the player's Discord client language
        **fields,
    )


def refused(outcome: Outcome) -> bool:
    """True when the router refused the command (wrong channel, missing role, cooldown)."""
    return outcome.decision is not None and any(isinstance(a, Refuse) for a in outcome.decision.actions)


async def handle_in_time(
    interaction: discord.Interaction[Any],
    handle: Awaitable[Outcome],
    *,
    ephemeral: bool = True,
) -> Outcome:
    """Run the runtime's handling; if it is slow, defer the interaction so Discord does not give up."""
    task = asyncio.ensure_future(handle)
    done, _ = await asyncio.wait({task}, timeout=ANSWER_WITHIN)
    if not done and not interaction.response.is_done():
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    return await task


async def answer(
    interaction: discord.Interaction[Any], replies: Sequence[OutMessage], *, ephemeral: bool
) -> None:
    """Send the replies as the interaction's response (and followups); acknowledge it if there are none."""
    parts = [part for reply in replies for part in message_parts(reply)]
    if not parts:
        if not interaction.response.is_done():
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()  # a button: acknowledged, the message stays as it is
            else:
                await interaction.response.send_message("Done.", ephemeral=True)
        return
    for part in parts:
        kwargs = part.send_kwargs()
        if not interaction.response.is_done():
            await interaction.response.send_message(**kwargs, ephemeral=ephemeral)
        else:
            await interaction.followup.send(**kwargs, ephemeral=ephemeral)


async def disable_buttons(interaction: discord.Interaction[Any]) -> None:
    """Grey out the buttons of the message whose button was pressed (a rating is given once)."""
    message = interaction.message
    if message is None:
        return
    view = discord.ui.View.from_message(message, timeout=None)
    for item in view.children:
        if isinstance(item, discord.ui.Button) and item.url is None:
            item.disabled = True
    if interaction.response.is_done():
        await message.edit(view=view)
    else:
        await interaction.response.edit_message(view=view)


async def answer_failure(interaction: discord.Interaction[Any], text: str = FALLBACK) -> None:
    """Tell the player something went wrong, however far the interaction got."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the player about a failure", exc_info=True)


async def read_attachments(attachments: Sequence[discord.Attachment], who: object) -> Files:
    """The files' bytes, read at once: Discord's links to them are signed and expire within a day.

    Each is checked by the runtime (type from its bytes, size, count); one that cannot be read is
    passed on empty, so the player hears it was refused rather than nothing.
    """
    files: list[tuple[str, bytes]] = []
    for attachment in attachments:
        try:
            files.append((attachment.filename, await attachment.read()))
        except discord.HTTPException as exc:
            log.warning("could not read a file from %s: %s", who, exc)
            files.append((attachment.filename, b""))
    return tuple(files)


class CaseForm(discord.ui.Modal):
    """A case template's form as a Discord modal (at most 5 fields: text inputs and file uploads)."""

    def __init__(self, request: FormRequest, submit: FormSubmit, *, custom_id: str) -> None:
        super().__init__(
            title=request.title[:45] or request.template, timeout=FORM_TIMEOUT, custom_id=custom_id
        )
        self.template = request.template
        self.request = request
        self._submit = submit
        for spec in request.fields[:5]:
            if isinstance(spec, FormField):
                self.add_item(file_upload(spec) if spec.kind == "file" else text_input(spec))

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        values: dict[str, str] = {}
        files: Files = ()
        for item in self.walk_children():
            if isinstance(item, discord.ui.TextInput):
                values[item.custom_id] = item.value
            elif isinstance(item, discord.ui.FileUpload):  # the case keeps the names; the files follow
                values[item.custom_id] = ", ".join(attachment.filename for attachment in item.values)
                files += await read_attachments(item.values, interaction.user.id)
        await self._submit(interaction, self.request, values, files)

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], error: Exception, /
    ) -> None:
        log.error("case form %s failed", self.template, exc_info=error)
        await answer_failure(interaction)


def text_input(spec: FormField) -> discord.ui.TextInput[Any]:
    """One form field as a modal text input, clipped to Discord's limits."""
    return discord.ui.TextInput(
        label=spec.label[:45],
        custom_id=spec.name,
        style=discord.TextStyle.paragraph if spec.style == "paragraph" else discord.TextStyle.short,
        required=spec.required,
        min_length=None if spec.min_length is None else min(spec.min_length, 4000),
        max_length=None if spec.max_length is None else min(spec.max_length, 4000),
        placeholder=None if spec.placeholder is None else spec.placeholder[:100],
    )


def file_upload(spec: FormField) -> discord.ui.Label[CaseForm]:
    """A `type: file` form field: Discord's file upload under its label (1 to 10 files, default 1)."""
    most = max(1, min(spec.max_length or 1, 10))
    upload: discord.ui.FileUpload[CaseForm] = discord.ui.FileUpload(
        custom_id=spec.name, required=spec.required, min_values=1 if spec.required else 0, max_values=most
    )
    return discord.ui.Label(text=spec.label[:45], component=upload)
