"""The built-in knowledge-base chatbot: suggests the articles that answer the player, or says it is not sure.

`suggestions` is the one decision, shared by the bot and `flexcord kb search`: the articles the
bot shows for a message, each with its confidence (0-1). Below the bot's `min_confidence` it
shows none and says it is not sure, offering an agent.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.chatbot.answers import ChatbotAnswer, Label, Say, answer_buttons, as_written, no_answer
from engine.config.model import Chatbot
from engine.events import Embed, OutMessage
from engine.knowledge import Hit, KnowledgeBase

INTRO = "Here's what I found:"
"""The line above the suggestions, unless the config has a message `faq_intro` (in the player's language)."""
RELATED_SHARE = 0.6
"""Once the best article is sure enough, others are shown if their confidence is this share of the setting."""

MAX_EMBEDS = 10  # Discord's limit per message
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 400


@dataclass(frozen=True)
class Suggestions:
    """What the bot would show for a message: `shown` (best first), and every candidate it weighed."""

    shown: tuple[Hit, ...]
    candidates: tuple[Hit, ...]
    min_confidence: float

    @property
    def language(self) -> str | None:
        """The language code of the articles shown ('es', 'en', ...; None when nothing is shown)."""
        if not self.shown:
            return None
        return self.shown[0].language


def choose(hits: list[Hit], min_confidence: float, limit: int) -> tuple[Hit, ...]:
    """The hits worth showing: none unless the best reaches `min_confidence`; then those close enough."""
    if not hits or limit <= 0 or hits[0].confidence < min_confidence:
        return ()
    floor = min_confidence * RELATED_SHARE
    return tuple(hit for hit in hits[:limit] if hit.confidence >= floor)


def suggestions(
    knowledge: KnowledgeBase | None,
    text: str,
    *,
    limit: int,
    min_confidence: float,
    language: str | None = None,
) -> Suggestions:
    """The articles the bot shows for `text` (at most `limit`), and the candidates it weighed."""
    if knowledge is None:
        return Suggestions((), (), min_confidence)
    hits = knowledge.search(text, limit=min(limit, MAX_EMBEDS), language=language, enough=min_confidence)
    return Suggestions(choose(hits, min_confidence, limit), tuple(hits), min_confidence)


def suggest_articles(
    bot: Chatbot,
    text: str,
    knowledge: KnowledgeBase | None,
    say: Say,
    *,
    locale: str | None = None,
    label: Label = as_written,
) -> ChatbotAnswer:
    """One message with an embed per suggested article and the solved/agent buttons, or `no_answer`.

    The articles of the player's language (`locale`) come first; its words come from `say` and `label`.
    """
    limit, sure = bot.suggestions, bot.min_confidence
    found = suggestions(knowledge, text, limit=limit, min_confidence=sure, language=locale)
    if not found.shown:
        language = found.candidates[0].language if found.candidates else None
        return no_answer(bot, text, say, language, label)
    embeds = tuple(
        Embed(
            title=_shorten(hit.article.title, EMBED_TITLE_MAX),
            url=hit.article.url,
            description=_shorten(hit.snippet, EMBED_DESCRIPTION_MAX),
        )
        for hit in found.shown
    )
    message = OutMessage(text=label("faq_intro", INTRO), embeds=embeds, buttons=answer_buttons(bot, label))
    return ChatbotAnswer((message,), True, found.language)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
