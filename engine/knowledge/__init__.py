"""The knowledge base: help articles in `kb/*.md` (and `kb/<locale>/*.md`), searched per language.

Articles (Markdown with front matter) are the source of truth. Each config generation gets its
own index, rebuilt from them in memory, so a reload builds the new one off the event loop and
swaps it in with one reference swap; the live index is never touched. A search says, for each
article, how sure it is (0-1) that the article answers the message.

The index and the search are imported on first use: checking the articles (`flexcord validate`)
needs only engine.knowledge.articles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.knowledge.articles import Article, ArticleError, load_articles, parse_article
from engine.lazy import lazy_names

if TYPE_CHECKING:
    from engine.knowledge.index import DEFAULT_LOCALE, Hit, KnowledgeBase
    from engine.knowledge.lexical import plain_text

__all__ = [
    "DEFAULT_LOCALE",
    "Article",
    "ArticleError",
    "Hit",
    "KnowledgeBase",
    "load_articles",
    "parse_article",
    "plain_text",
]

__getattr__ = lazy_names(
    __name__, {"DEFAULT_LOCALE": "index", "Hit": "index", "KnowledgeBase": "index", "plain_text": "lexical"}
)
