"""Chatbots that answer players before (or instead of) a live agent.

`answer` is the one entry point: the built-in knowledge-base bot suggests articles; the HTTP bot
asks an external bot speaking Rasa's REST protocol. Either way the player gets a reply and a
way to reach a person; what the player typed is only ever data, never a template.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.chatbot.answers import AGENT_BUTTON_ID, SOLVED_BUTTON_ID, ChatbotAnswer, Label, Say, as_written
from engine.config.model import Chatbot
from engine.events import User

if TYPE_CHECKING:  # the bots themselves are imported on first use: routing needs only engine.chatbot.buttons
    import aiohttp

    from engine.knowledge import KnowledgeBase


async def answer(
    bot: Chatbot,
    text: str,
    user: User,
    *,
    knowledge: KnowledgeBase | None,
    say: Say,
    http: aiohttp.ClientSession | None = None,
    locale: str | None = None,
    label: Label = as_written,
) -> ChatbotAnswer:
    """Let chatbot `bot` answer `text` from `user`. Never raises for a failing bot: it falls back.

    `locale` is the player's language (their choice, their Discord client's, or the one they
    write in): the knowledge-base bot searches the articles of that language first. `say` and
    `label` give the bot's words in it.
    """
    if bot.type == "http":
        from engine.chatbot.rasa import ask_rasa

        return await ask_rasa(bot, text, user, say, http, label)
    from engine.chatbot.suggest import suggest_articles

    return suggest_articles(bot, text, knowledge, say, locale=locale, label=label)


__all__ = ["AGENT_BUTTON_ID", "SOLVED_BUTTON_ID", "ChatbotAnswer", "Label", "Say", "answer"]
