"""Slash commands, submitted forms, pressed buttons and `/flexcord reload`, answered on Discord.

`InteractionHandler` turns each into an Event for the runtime and shows the Outcome: a case form
as a modal, otherwise the replies (ephemeral in a server unless the outcome says otherwise).
`ReloadCommand` runs `/flexcord reload` for members with the admin role.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from engine.config.model import Config
from engine.discord.dm_intake import EventHandler
from engine.discord.interactions import (
    CaseForm,
    Files,
    answer,
    answer_failure,
    disable_buttons,
    handle_in_time,
    interaction_event,
    person,
    refused,
)
from engine.discord.threads import case_ref_of
from engine.events import Event, FormRequest
from engine.runtime.runtime import RATING_BUTTON

log = logging.getLogger(__name__)

Interaction = discord.Interaction[discord.Client]

ReloadCallback = Callable[[], Awaitable[tuple[bool, str]]]
"""Reloads the config; returns (ok, text to show the admin)."""


class InteractionHandler:
    """A configured slash command, a case form or a flexcord button: ask the runtime, show its answer."""

    def __init__(
        self, runtime: Callable[[], EventHandler | None], config: Callable[[], Config] | None = None
    ) -> None:
        self.runtime = runtime
        self.config = config

    async def run_command(self, interaction: Interaction, name: str, options: dict[str, object]) -> None:
        """A configured slash command: ask the runtime, then show its form or its replies.

        Inside a case thread or forum post, a `ref` option left empty means that thread's case.
        """
        ref = case_ref_of(interaction.channel)
        command = self.config().commands.get(name) if self.config is not None else None
        takes_ref = command is not None and any(option.name == "ref" for option in command.options)
        if ref is not None and takes_ref and not str(options.get("ref") or "").strip():
            options = {**options, "ref": ref}
        event = interaction_event(interaction, "command", command=name, options=options)
        await self._interact(interaction, event)

    async def submit_form(
        self, interaction: Interaction, form: FormRequest, values: dict[str, str], files: Files = ()
    ) -> None:
        """A submitted case form: the runtime opens the case (keeping its files) and does what the
        command does after it; the player gets the confirmation, or hears why a file was refused."""
        event = interaction_event(
            interaction, "form", form=form.template, command=form.command, options=values, files=files
        )
        await self._interact(interaction, event)

    async def press_button(self, interaction: Interaction, button_id: str, label: str) -> None:
        """A pressed flexcord button (also one sent before a restart)."""
        await self._interact(
            interaction, interaction_event(interaction, "button", button=button_id, text=label)
        )

    def _runtime(self) -> EventHandler:
        runtime = self.runtime()
        if runtime is None:
            raise RuntimeError("the Discord client has no runtime attached")
        return runtime

    async def _interact(self, interaction: Interaction, event: Event) -> None:
        in_dm = interaction.guild_id is None
        try:
            outcome = await handle_in_time(interaction, self._runtime().handle(event), ephemeral=not in_dm)
        except Exception:
            log.exception("handling %s %s failed", event.kind, event.command or event.form or event.button)
            await answer_failure(interaction)
            return
        if outcome.form is not None:
            if interaction.response.is_done() or interaction.type is discord.InteractionType.modal_submit:
                await answer_failure(interaction, "That took too long. Please try again to get the form.")
                return
            custom_id = f"flexcord-form:{outcome.form.template}:{interaction.id}"
            await interaction.response.send_modal(
                CaseForm(outcome.form, self.submit_form, custom_id=custom_id)
            )
            return
        if event.kind == "button" and (event.button or "").startswith(RATING_BUTTON):
            await disable_buttons(interaction)  # one rating per chat
        ephemeral = (outcome.ephemeral or refused(outcome)) and not (in_dm and event.kind == "button")
        await answer(interaction, outcome.replies, ephemeral=ephemeral)


class ReloadCommand:
    """`/flexcord reload`, for the admin role only."""

    def __init__(
        self, config_provider: Callable[[], Config], reload: Callable[[], ReloadCallback | None]
    ) -> None:
        self.config_provider = config_provider
        self.reload = reload

    async def run(self, interaction: Interaction) -> None:
        admin = self.config_provider().discord.admin_role
        if admin.lower() not in person(interaction.user).roles:
            await interaction.response.send_message(
                f"Only members with the {admin} role can reload flexcord.", ephemeral=True
            )
            return
        reload = self.reload()
        if reload is None:
            await interaction.response.send_message("reload is not available here", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:  # the reloader's listeners rebuild the commands and permissions after a swap
            _, text = await reload()
        except Exception:
            log.exception("reload failed")
            text = "The reload failed unexpectedly; the previous config is still in use."
        await interaction.followup.send(text, ephemeral=True)


__all__ = ["InteractionHandler", "ReloadCallback", "ReloadCommand"]
