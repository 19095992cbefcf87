"""The knowledge base: help articles in `kb/*.md` and a full-text index to suggest them.

Articles (Markdown with front matter) are the source of truth. Each config generation gets its
own index, rebuilt from them into a fresh in-memory SQLite FTS5 database, so a reload builds the
new one off the event loop and swaps it in with one reference swap; the live index is never touched.
"""

from engine.knowledge.articles import Article, ArticleError, load_articles, parse_article
from engine.knowledge.index import RELEVANCE_FLOOR, Hit, KnowledgeBase

__all__ = [
    "RELEVANCE_FLOOR",
    "Article",
    "ArticleError",
    "Hit",
    "KnowledgeBase",
    "load_articles",
    "parse_article",
]
