"""The chatbots' answers to a player's event, asked before its transaction opens."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from engine.chatbot import ChatbotAnswer, answer
from engine.chatbot.buttons import clicked
from engine.config.model import RunChatbot
from engine.events import Decision, Event
from engine.runtime.generation import Generation
from engine.runtime.turn import hours_variables, user_variables

log = logging.getLogger(__name__)


async def chatbot_answers(
    generation: Generation, decision: Decision, event: Event
) -> dict[int, ChatbotAnswer]:
    """Chatbot answers, computed before the transaction so a slow bot never holds the store."""

    answers: dict[int, ChatbotAnswer] = {}
    if not any(isinstance(action, RunChatbot) for action in decision.actions):
        return answers
    base = {
        "user": user_variables(event.user.id, event.user.name),
        "channel": event.where,
        "text": event.text,
        "hours": hours_variables(generation.config, event.at),
    }

    def say(name: str, variables: Mapping[str, object]) -> str:
        return generation.templates.render(generation.message(name, event.locale), {**base, **variables}, "")

    def label(name: str, default: str) -> str:  # a button label or the FAQ intro, as written
        return generation.translated(name, generation.config.messages.get(name) or default, event.locale)

    for index, action in enumerate(decision.actions):
        bot = generation.config.chatbots.get(action.chatbot) if isinstance(action, RunChatbot) else None
        if bot is None:
            continue
        try:
            said = clicked(event)  # a chatbot's button sends its payload as the player's message
            text = said[1] if said is not None else event.text
            answers[index] = await answer(
                bot,
                text,
                event.user,
                knowledge=generation.knowledge,
                say=say,
                locale=event.locale,
                label=label,
            )
        except Exception:
            log.exception("chatbot %s failed to answer", bot.name)
    return answers
