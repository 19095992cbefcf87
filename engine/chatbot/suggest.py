"""The built-in knowledge-base chatbot: suggests the articles that best match what the player asked."""

from __future__ import annotations

from engine.chatbot.answers import ChatbotAnswer, Say, answer_buttons, no_answer
from engine.config.model import Chatbot
from engine.events import Embed, OutMessage
from engine.knowledge import RELEVANCE_FLOOR, Hit, KnowledgeBase

INTRO = "Here's what I found:"
RELATIVE_CUT = 0.3
"""A suggestion must score at least this fraction of the best one, so weak extras are left out."""

MAX_EMBEDS = 10  # Discord's limit per message
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 400


def good_hits(hits: list[Hit], min_score: float) -> list[Hit]:
    """The hits worth showing: above the bot's `min_score` and the built-in floor, and near the best."""
    floor = max(min_score, RELEVANCE_FLOOR)
    good = [hit for hit in hits if hit.score >= floor]
    if not good:
        return []
    best = max(hit.score for hit in good)
    return [hit for hit in good if hit.score >= best * RELATIVE_CUT]


def suggest_articles(bot: Chatbot, text: str, knowledge: KnowledgeBase | None, say: Say) -> ChatbotAnswer:
    """One message with an embed per suggested article and the solved/agent buttons, or `no_answer`."""
    hits = knowledge.search(text, limit=min(bot.suggestions, MAX_EMBEDS)) if knowledge is not None else []
    good = good_hits(hits, bot.min_score)
    if not good:
        return no_answer(bot, text, say)
    embeds = tuple(
        Embed(
            title=_shorten(hit.article.title, EMBED_TITLE_MAX),
            url=hit.article.url,
            description=_shorten(hit.snippet, EMBED_DESCRIPTION_MAX),
        )
        for hit in good
    )
    return ChatbotAnswer((OutMessage(text=INTRO, embeds=embeds, buttons=answer_buttons(bot)),), found=True)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
