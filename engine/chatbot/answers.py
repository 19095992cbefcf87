"""What a chatbot hands back to the runtime, and the answers every chatbot shares (no answer, fallback)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.config.model import Chatbot
from engine.events import Button, OutMessage

Say = Callable[[str, Mapping[str, object]], str]
"""Renders one of the config's `messages:` by name with the given variables (the runtime provides it)."""

SOLVED_BUTTON_ID = "solved"
AGENT_BUTTON_ID = "agent"

DEFAULT_NO_ANSWER = "I couldn't find an article about that. Want to talk to a person?"
DEFAULT_FALLBACK = "Sorry, something went wrong on my side. Please try again."


@dataclass(frozen=True)
class ChatbotAnswer:
    """The chatbot's messages for the player; `found` is False when it had nothing useful to say.

    `language` is the language code the knowledge-base bot searched in (None for other bots).
    """

    messages: tuple[OutMessage, ...]
    found: bool
    language: str | None = None


def agent_buttons(bot: Chatbot) -> tuple[Button, ...]:
    """The 'talk to an agent' button, unless the bot's config turned it off."""
    if bot.agent_button is None:
        return ()
    return (Button(AGENT_BUTTON_ID, bot.agent_button, "primary"),)


def answer_buttons(bot: Chatbot) -> tuple[Button, ...]:
    """The buttons under a useful answer: 'that solved it', then 'talk to an agent'."""
    solved = () if bot.solved_button is None else (Button(SOLVED_BUTTON_ID, bot.solved_button, "success"),)
    return solved + agent_buttons(bot)


def no_answer(bot: Chatbot, text: str, say: Say, language: str | None = None) -> ChatbotAnswer:
    """Nothing good enough was found: say so (message `no_answer`) and offer an agent."""
    message = say("no_answer", {"text": text}) or DEFAULT_NO_ANSWER
    return ChatbotAnswer((OutMessage(text=message, buttons=agent_buttons(bot)),), False, language)


def fallback(bot: Chatbot, say: Say) -> ChatbotAnswer:
    """The chatbot itself failed: apologise (message `fallback`) and offer an agent."""
    message = say("fallback", {}) or DEFAULT_FALLBACK
    return ChatbotAnswer((OutMessage(text=message, buttons=agent_buttons(bot)),), found=False)
