"""What the FAQ bot learns from each turn: which questions it could not answer, which answers did not help.

`faq_outcome` decides (pure); `record_faq_turn` writes it through the store transaction of the
turn, so the record commits with everything else the turn did. Outcomes:

- `unanswered`: the bot was not sure and showed nothing;
- `suggested`: it showed articles; later settled as `solved` ("That solved it") or `escalated`
  (the player asked for an agent within ESCALATION_WINDOW of the suggestions).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal, Protocol

from engine.chatbot.answers import ChatbotAnswer
from engine.config.model import Config, Handoff, RunChatbot
from engine.events import Decision, Event

Outcome = Literal["unanswered", "suggested", "solved", "escalated"]
ESCALATION_WINDOW = timedelta(minutes=30)
"""An agent asked for later than this after the suggestions is not counted against them."""


class QuestionLog(Protocol):
    """The store methods the FAQ bot's record needs (a StoreTx has them)."""

    async def record_faq_question(
        self, user_id: str, text: str, language: str | None, outcome: str, at: datetime
    ) -> None: ...

    async def settle_faq_question(self, user_id: str, outcome: str, since: datetime) -> bool: ...


def faq_answer(config: Config, decision: Decision, answers: Mapping[int, object]) -> ChatbotAnswer | None:
    """The knowledge-base bot's answer in this turn, if one answered."""
    for index, action in enumerate(decision.actions):
        if not isinstance(action, RunChatbot):
            continue
        bot = config.chatbots.get(action.chatbot)
        answer = answers.get(index)
        if bot is not None and bot.type == "knowledge_base" and isinstance(answer, ChatbotAnswer):
            return answer
    return None


async def record_faq_turn(
    log: QuestionLog,
    config: Config,
    event: Event,
    decision: Decision | None,
    answers: Mapping[int, object],
    solved: bool,
) -> Outcome | None:
    """Record the FAQ side of one committed turn; returns the outcome to count, if any."""
    user = event.user.id
    if solved:
        settled = await log.settle_faq_question(user, "solved", event.at - ESCALATION_WINDOW)
        return "solved" if settled else None
    if decision is None:
        return None
    answer = faq_answer(config, decision, answers)
    if answer is not None:
        outcome: Outcome = "suggested" if answer.found else "unanswered"
        await log.record_faq_question(user, event.text, answer.language, outcome, event.at)
        return outcome
    if any(isinstance(action, Handoff) for action in decision.actions):
        settled = await log.settle_faq_question(user, "escalated", event.at - ESCALATION_WINDOW)
        return "escalated" if settled else None
    return None
