"""Everything derived from one Config (templates, knowledge base), built before it goes live.

`prepare` does all the fallible, slow work for a config; the runtime then swaps the whole
Generation in with one reference assignment, so a failed reload leaves the running one intact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.config.model import Action, Config, Post, Reply, SendDm, UpdateCase
from engine.templates import TemplateSet

if TYPE_CHECKING:
    from engine.knowledge import KnowledgeBase

DEFAULT_MESSAGES: Mapping[str, str] = {
    "fallback": "Sorry, something went wrong on my side. Please try again.",
    "handoff_started": "I opened case {{ case.ref }} for you and I'm connecting you to a live agent.",
    "handoff_failed": "I couldn't reach our support team just now. Your case {{ case.ref }} is saved.",
    "agent_joined": "{{ agent.name }} joined the chat.",
    "agent_left": "{{ agent.name }} left the chat.",
    "closed": "Your chat about {{ case.ref }} is closed. Thanks for reaching out!",
    "rating_prompt": "How did we do? Reply with a number from 1 (bad) to 5 (great).",
    "rating_thanks": "Thanks for rating us {{ rating }}/5!",
    "already_rated": "You already rated this chat {{ rating }}/5. Thanks, that rating stays!",
    "left_queue": "Okay, you left the queue. Case {{ case.ref }} stays open.",
    "queue_timeout": "Sorry, everyone is still busy. You're still in line for case {{ case.ref }}.",
    "no_answer": "I couldn't find an article about that. Want to talk to a person?",
    "solved": "Glad that helped!",
    "case_updated": "Your case {{ case.ref }} is now **{{ case.status }}**.",
    "rate_limited": "You're sending messages too fast. Please wait {{ wait }} and try again.",
    "dm_blocked": "The player can't receive direct messages from the bot, so they missed your last message.",
    "case_reopened": "Case {{ case.ref }} is open again. Tell us what's up!",
    "moved_to_thread": "I couldn't send you a direct message (your DMs are closed to server members), "
    "so we'll talk here, in this private thread, instead.",
    "too_long": "That message is too long for me: please keep it to {{ limit }} characters at most, "
    "or send it in parts.",
}
"""What the runtime says when the config has no message of that name."""


@dataclass(frozen=True)
class Generation:
    """One config and what was built from it, swapped as a unit on reload."""

    config: Config
    templates: TemplateSet
    knowledge: KnowledgeBase | None

    def message(self, name: str) -> str:
        """The template source of a named message: the config's, else the built-in default."""
        return self.config.messages.get(name) or DEFAULT_MESSAGES.get(name) or DEFAULT_MESSAGES["fallback"]


def _action_sources(actions: Iterable[Action]) -> Iterator[str]:
    for action in actions:
        if isinstance(action, Reply | SendDm | Post) and action.text:
            yield action.text
        elif isinstance(action, UpdateCase):
            yield from (part for part in (action.ref, action.status, action.note) if part)


def template_sources(config: Config) -> list[str]:
    """Every template source in a config (messages, case titles and replies, action texts)."""
    sources = [*DEFAULT_MESSAGES.values(), *config.messages.values()]
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
    knowledge: Any = None
    if _needs_knowledge(config):
        from engine.knowledge import KnowledgeBase

        assert config.knowledge_base is not None
        knowledge = KnowledgeBase.build(Path(config.root) / config.knowledge_base)
    return Generation(config=config, templates=templates, knowledge=knowledge)


async def prepare(config: Config) -> Generation:
    """Build the Generation for `config` in a worker thread; all fallible work, nothing live touched."""
    return await asyncio.to_thread(build_generation, config)
