"""What a chatbot hands back to the runtime, and the answers every chatbot shares (no answer, fallback)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.config.model import Chatbot
from engine.events import Button, OutMessage

Say = Callable[[str, Mapping[str, object]], str]
"""Renders one of the config's `messages:` by name with the given variables (the runtime provides it)."""

Label = Callable[[str, str], str]
"""label(name, default): the config's message `name` in the player's language, as written (a button
label, the intro line), or `default` when the config has no such message."""


def as_written(name: str, default: str) -> str:
    """The Label of a bot with no messages to draw on: always the default."""
    return default


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


def agent_buttons(bot: Chatbot, label: Label = as_written) -> tuple[Button, ...]:
    """The 'talk to an agent' button, unless the bot's config turned it off.

    Its label is message `agent_button` in the player's language when the config has one, else
    the bot's own `agent_button`.
    """
    if bot.agent_button is None:
        return ()
    return (Button(AGENT_BUTTON_ID, label("agent_button", bot.agent_button), "primary"),)


def answer_buttons(bot: Chatbot, label: Label = as_written) -> tuple[Button, ...]:
    """Under a useful answer: 'that solved it' (message `solved_button`), then 'talk to an agent'."""
    if bot.solved_button is None:
        return agent_buttons(bot, label)
    solved = Button(SOLVED_BUTTON_ID, label("solved_button", bot.solved_button), "success")
    return (solved, *agent_buttons(bot, label))


def no_answer(
    bot: Chatbot, text: str, say: Say, language: str | None = None, label: Label = as_written
) -> ChatbotAnswer:
    """Nothing good enough was found: say so (message `no_answer`) and offer an agent."""
    message = say("no_answer", {"text": text}) or DEFAULT_NO_ANSWER
    return ChatbotAnswer((OutMessage(text=message, buttons=agent_buttons(bot, label)),), False, language)


def fallback(bot: Chatbot, say: Say, label: Label = as_written) -> ChatbotAnswer:
    """The chatbot itself failed: apologise (message `fallback`) and offer an agent."""
    message = say("fallback", {}) or DEFAULT_FALLBACK
    return ChatbotAnswer((OutMessage(text=message, buttons=agent_buttons(bot, label)),), found=False)
