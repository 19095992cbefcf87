"""Everything derived from one Config (templates, knowledge base), built before it goes live.

`prepare` does all the fallible, slow work for a config; the runtime then swaps the whole
Generation in with one reference assignment, so a failed reload leaves the running one intact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config.compile.locales import pick
from engine.config.messages import DEFAULT_MESSAGES
from engine.config.model import Action, Config, Post, Reply, SendDm, UpdateCase
from engine.language import warm
from engine.templates import TemplateSet

if TYPE_CHECKING:
    from engine.knowledge import KnowledgeBase


@dataclass(frozen=True)
class Generation:
    """One config and what was built from it, swapped as a unit on reload."""

    config: Config
    templates: TemplateSet
    knowledge: KnowledgeBase | None

    def message(self, name: str, locale: str | None = None) -> str:
        """The template source of a named message in `locale` (or a locale of its language), else
        in the default locale, else the built-in default."""
        default = self.config.messages.get(name) or DEFAULT_MESSAGES.get(name) or DEFAULT_MESSAGES["fallback"]
        return self.translated(name, default, locale)

    def translated(self, key: str, default: str, locale: str | None) -> str:
        """The text `key` (see engine.config.compile.locales.translatable) in `locale` or a locale
        of its language; `default` (the default locale's) when it has none."""
        translations = self.config.translations
        chosen = pick(locale, [code for code, texts in translations.items() if key in texts])
        return translations[chosen][key] if chosen is not None else default

    @cached_property
    def rules_ask_language(self) -> bool:
        """Whether a rule's `when` names a language: routing a message then needs the player's."""
        return any(rule.when.language for rule in self.config.rules)

    def status(self, template: str, status: str, locale: str | None) -> str:
        """A case status as players of `locale` read it (its `names:` there), else as written."""
        return self.translated(f"cases.{template}.statuses.{status}.name", status, locale)


def _action_sources(actions: Iterable[Action]) -> Iterator[str]:
    for action in actions:
        if isinstance(action, Reply | SendDm | Post) and action.text:
            yield action.text
        elif isinstance(action, UpdateCase):
            yield from (part for part in (action.ref, action.status, action.note) if part)


def template_sources(config: Config) -> list[str]:
    """Every template source in a config (messages, case titles and replies, action texts)."""
    sources = [*DEFAULT_MESSAGES.values(), *config.messages.values()]
    sources.extend(text for texts in config.translations.values() for text in texts.values())  # labels too
    for template in config.cases.values():
        sources.append(template.title)
        if template.reply:
            sources.append(template.reply)
    for command in config.commands.values():
        sources.extend(_action_sources(command.actions))
    for rule in config.rules:
        sources.extend(_action_sources(rule.actions))
    return sources


def _needs_knowledge(config: Config) -> bool:
    return config.knowledge_base is not None and any(
        bot.type == "knowledge_base" for bot in config.chatbots.values()
    )


def build_generation(config: Config) -> Generation:
    """Compile every template of `config` and build its knowledge base (blocking; see `prepare`)."""
    templates = TemplateSet(template_sources(config))
    warm(config.locales.supported)  # not on the first DM, with the event loop waiting
    knowledge: Any = None
    if _needs_knowledge(config):
        from engine.knowledge import KnowledgeBase

        assert config.knowledge_base is not None
        knowledge = KnowledgeBase.build(Path(config.root) / config.knowledge_base)
    return Generation(config=config, templates=templates, knowledge=knowledge)


async def prepare(config: Config) -> Generation:
    """Build the Generation for `config` in a worker thread; all fallible work, nothing live touched."""
    return await asyncio.to_thread(build_generation, config)
