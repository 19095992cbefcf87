"""`/mycases`: a player's open cases, each with its status and a link to its thread or forum post."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import discord
from discord import app_commands

from engine.config.messages import DEFAULT_MESSAGES
from engine.config.model import Config
from engine.discord.translator import localized
from engine.events import Event, User
from engine.runtime.generation import Generation
from engine.runtime.languages import with_locale
from engine.runtime.places import thread_key
from engine.runtime.turn import user_variables
from engine.store import CaseRecord, MessageRecord
from engine.templates import TemplateSet

NAME = "mycases"
CLOSED = "closed"


class CaseStore(Protocol):
    async def list_cases(self, *, reporter: str | None = None) -> list[CaseRecord]: ...

    async def case_transcript(self, ref: str) -> list[MessageRecord]: ...

    async def get_setting(self, key: str) -> str | None: ...

    async def conversation(self, user_id: str) -> Any: ...


def channel_link(guild_id: int, channel_id: str) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}"


async def case_links(
    store: CaseStore, guild_id: int, user_id: str, cases: list[CaseRecord]
) -> dict[str, str]:
    """Where each case lives: its forum post, or the player's case thread."""
    links: dict[str, str] = {}
    for case in cases:
        posted = [
            m.platform_id
            for m in await store.case_transcript(case.ref)
            if m.platform_id and "/" in m.platform_id
        ]
        if posted:
            links[case.ref] = channel_link(guild_id, posted[0].partition("/")[0])
    thread = await store.get_setting(thread_key(user_id))
    conversation = await store.conversation(user_id)
    if thread and conversation is not None and conversation.case_ref:
        links.setdefault(conversation.case_ref, channel_link(guild_id, thread))
    return links


class Reader:
    """A player's words: the config's `my_cases` / `no_open_cases` and status names in their locale."""

    def __init__(self, config: Config, locale: str, user: dict[str, str]) -> None:
        self.generation = Generation(config=config, templates=TemplateSet(), knowledge=None)
        self.locale = locale
        self.user = user

    def say(self, message: str) -> str:
        source = self.generation.message(message, self.locale)
        return self.generation.templates.render(source, {"user": self.user}, DEFAULT_MESSAGES[message])

    def status(self, case: CaseRecord) -> str:
        return self.generation.status(case.template, case.status, self.locale)


async def my_cases_text(store: CaseStore, guild_id: int, user_id: str, reader: Reader) -> str:
    """The answer to /mycases, newest case first, in the reader's language."""
    cases = [c for c in await store.list_cases(reporter=user_id) if c.status != CLOSED]
    if not cases:
        return reader.say("no_open_cases")
    cases.sort(key=lambda c: c.created_at, reverse=True)
    links = await case_links(store, guild_id, user_id, cases)
    lines = [reader.say("my_cases")]
    for case in cases:
        where = f" · {links[case.ref]}" if case.ref in links else ""
        lines.append(f"**{case.ref}** · {case.title} · {reader.status(case)}{where}")
    return "\n".join(lines)[:2000]


Runner = Callable[[discord.Interaction[Any]], Awaitable[None]]


class MyCases:
    """Answers /mycases from the store, privately."""

    def __init__(
        self, store: object, guild_id: Callable[[], int | None], config: Callable[[], Config]
    ) -> None:
        self.store = store
        self.guild_id = guild_id
        self.config = config

    async def run(self, interaction: discord.Interaction[Any]) -> None:
        store: Any = self.store  # the full store (engine.store.Store) in every real assembly
        user = User(str(interaction.user.id), interaction.user.display_name)
        reader = await reader_for(store, self.config(), user, interaction.locale.value)
        text = await my_cases_text(store, self.guild_id() or 0, user.id, reader)
        await interaction.response.send_message(text, ephemeral=True)


async def reader_for(store: CaseStore, config: Config, user: User, client: str) -> Reader:
    """The player in their language: their `/language` choice, else their Discord client's."""
    asked = Event("command", "", user, NAME, datetime.now(UTC), command=NAME, locale=client)
    locale = (await with_locale(store, config, asked)).locale or config.locales.default
    return Reader(config, locale, user_variables(user.id, user.name))


def build_command(run: Runner) -> app_commands.Command[Any, ..., None]:
    """The built-in /mycases command (ephemeral answer)."""

    async def callback(interaction: discord.Interaction[Any]) -> None:
        await run(interaction)

    description = localized(DESCRIPTIONS["en"], f"commands.{NAME}.description", own=DESCRIPTIONS)
    return app_commands.Command(name=NAME, description=description, callback=callback)


DESCRIPTIONS: dict[str, str] = {
    "en": "Your open cases and where to follow them",
    "es": "Tus casos abiertos y dónde seguirlos",
    "pt": "Seus casos em aberto e onde acompanhá-los",
    "fr": "Vos dossiers en cours et où les suivre",
    "hi": "आपके खुले केस और उन्हें कहाँ देखें",
    "tl": "Ang mga bukas mong case at kung saan mo sila masusubaybayan",
    "de": "Deine offenen Fälle und wo du sie verfolgen kannst",
    "it": "I tuoi casi aperti e dove seguirli",
    "nl": "Je openstaande zaken en waar je ze volgt",
    "pl": "Twoje otwarte zgłoszenia i gdzie je śledzić",
    "tr": "Açık kayıtların ve onları nereden takip edeceğin",
    "id": "Kasus terbukamu dan tempat memantaunya",
}
"""/mycases's description by language code, for the supported locales of each language."""
