"""Full-text search over the knowledge-base articles (SQLite FTS5, bm25 ranking).

The Markdown articles are the source of truth. For each config generation the index is
rebuilt from them into a fresh, private in-memory SQLite FTS5 database, so a reload builds the
new index off the event loop (it is CPU-bound) and swaps it in with one reference swap, never
touching the index live conversations are using. Searching is fast and accepts any text a
player types: the query is reduced to plain words, each quoted, so FTS5 syntax cannot leak in.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import json
import logging
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.knowledge.articles import Article, load_articles

log = logging.getLogger(__name__)

TITLE_WEIGHT, TAGS_WEIGHT, BODY_WEIGHT = 6.0, 4.0, 1.0
SNIPPET_TOKENS = 24
RELEVANCE_FLOOR = 2.0
"""Hits scoring below this matched only on words most articles use; they are not worth suggesting."""
MAX_QUERY_TERMS = 24
MAX_WORD_LENGTH = 40  # longer 'words' are noise (pasted links, keyboard mashing)
MIN_PREFIX_LENGTH = 4  # shorter words are never completed or corrected
MAX_COMPLETIONS = 4
TYPO_CUTOFF = 0.85  # difflib ratio: "pasword" -> "password" (0.93) yes, "match" -> "patch" (0.8) no

_WORD = re.compile(r"[^\W_]+")
_PADDING_WORD = "zqxpadding"
_STOP_TEXT = """
    a about above after again all am an and any are as at be been before being below between both but by
    can cannot could did do does doing done down during each else even ever every few for from further
    get gets getting got had has have having he her here hers him his how i if im in into is it its just
    me more most my myself no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself ive dont cant wont didnt doesnt isnt wasnt anyone someone something anything thing
    things hi hello hey please pls plz thanks thank thx help need want wanna know tell still also really
    keep keeps ok okay game guys yes yeah like don didn doesn isn wasn won couldn aren haven
"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())


@dataclass(frozen=True)
class Hit:
    """An article that matches a query. `score` is higher for better matches (bm25, negated)."""

    article: Article
    score: float
    snippet: str


class KnowledgeBase:
    """The articles of one config generation and their search index. Build it, search it, replace it."""

    def __init__(self, articles: Iterable[Article]) -> None:
        self.articles: tuple[Article, ...] = tuple(articles)
        duplicates = sorted(slug for slug, n in Counter(a.slug for a in self.articles).items() if n > 1)
        if duplicates:
            raise ValueError(f"two articles share the name '{duplicates[0]}'; rename one of the files")
        self.version: str = _version(self.articles)
        self._by_slug = {a.slug: a for a in self.articles}
        self._vocabulary = sorted({w for a in self.articles for w in _words(_document_text(a))})
        self._alternatives_cache: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE kb USING fts5(title, tags, body,"
            " tokenize='porter unicode61 remove_diacritics 2')"
        )
        rows = [(a.title, ", ".join(a.tags), plain_text(a.body)) for a in self.articles]
        self._db.executemany(
            "INSERT INTO kb(rowid, title, tags, body) VALUES (?, ?, ?, ?)",
            [(i, *row) for i, row in enumerate(rows)] + _padding(rows, start=len(rows)),
        )
        self._db.commit()

    @classmethod
    def build(cls, folder: str | Path) -> KnowledgeBase:
        """Read the `*.md` articles in `folder` and index them (CPU-bound: run it in a thread)."""
        return cls(load_articles(folder))

    @classmethod
    def from_articles(cls, articles: Iterable[Article]) -> KnowledgeBase:
        """Index articles already in memory (tests, or articles from elsewhere)."""
        return cls(articles)

    def __len__(self) -> int:
        return len(self.articles)

    def article(self, slug: str) -> Article | None:
        """The article named `slug`, if there is one."""
        return self._by_slug.get(slug)

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        """The best `limit` articles for `query`, best first; any text is safe, nothing found is []."""
        match = self.match_expression(query)
        if not match or limit <= 0 or not self.articles:
            return []
        sql = (
            f"SELECT rowid, bm25(kb, {TITLE_WEIGHT}, {TAGS_WEIGHT}, {BODY_WEIGHT}) AS rank,"
            f" snippet(kb, 2, '**', '**', '…', {SNIPPET_TOKENS})"
            " FROM kb WHERE kb MATCH ? AND rowid < ? ORDER BY rank LIMIT ?"
        )
        try:
            with self._lock:
                rows = self._db.execute(sql, (match, len(self.articles), limit)).fetchall()
        except sqlite3.Error as exc:  # quoting makes this unreachable in practice; never fail a player
            log.error("knowledge base search failed: %s", exc)
            return []
        return [Hit(self.articles[rowid], -rank, snippet) for rowid, rank, snippet in rows]

    def match_expression(self, query: str) -> str:
        """The FTS5 query for what a player typed: meaningful words, quoted, OR-ed ('' if none).

        Each word is kept (the porter stemmer matches 'crashing' to 'crashes'); a word the articles
        never use is completed ('passw' -> 'password') or, failing that, spell-corrected
        ('pasword' -> 'password'). 'How do I reset my pasword?' -> '"reset" OR "pasword" OR "password"'
        """
        terms: list[str] = []
        for word in dict.fromkeys(_words(query)):
            if word in _STOP_WORDS or word == _PADDING_WORD or not 2 <= len(word) <= MAX_WORD_LENGTH:
                continue
            terms.append(f'"{word}"')
            terms.extend(f'"{other}"' for other in self._alternatives(word))
            if len(terms) >= MAX_QUERY_TERMS:
                break
        return " OR ".join(dict.fromkeys(terms[:MAX_QUERY_TERMS]))

    def _alternatives(self, word: str) -> tuple[str, ...]:
        """Words of the articles a player probably meant by a word the articles never use."""
        if len(word) < MIN_PREFIX_LENGTH or word.isdigit():
            return ()
        cached = self._alternatives_cache.get(word)
        if cached is not None:
            return cached
        known = self._vocabulary
        at = bisect.bisect_left(known, word)
        found: tuple[str, ...]
        if at < len(known) and known[at] == word:
            found = ()
        else:
            completions: list[str] = []
            while at < len(known) and known[at].startswith(word) and len(completions) < MAX_COMPLETIONS:
                completions.append(known[at])
                at += 1
            if completions:
                found = tuple(completions)
            else:
                candidates = [w for w in known if abs(len(w) - len(word)) <= 2]
                found = tuple(difflib.get_close_matches(word, candidates, n=2, cutoff=TYPO_CUTOFF))
        if len(self._alternatives_cache) < 10_000:
            self._alternatives_cache[word] = found
        return found


def _padding(rows: list[tuple[str, str, str]], start: int) -> list[tuple[int, str, str, str]]:
    """Neutral rows that smooth bm25's idf in a small knowledge base; they are never returned.

    FTS5 gives a word found in half the rows or more no weight at all, and in a help centre of a
    dozen articles that is many useful words ('close', 'open'). As many rows again, of average
    length and holding only a word no query contains, make the idf that of a corpus twice the size.
    """
    if not rows:
        return []
    average = [max(1, round(sum(len(_words(row[c])) for row in rows) / len(rows))) for c in range(3)]
    title, tags, body = (" ".join([_PADDING_WORD] * n) for n in average)
    return [(start + i, title, tags, body) for i in range(len(rows) + 1)]


def plain_text(markdown: str) -> str:
    """Markdown without its markup, for indexing and snippets: '**Tap** [here](u)' -> 'Tap here'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^\s{0,3}(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s?)", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__|`+|~~)", "", text)
    text = re.sub(r"(?<!\w)[*_](\S[^*_]*?)[*_](?!\w)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _document_text(article: Article) -> str:
    return " ".join((article.title, " ".join(article.tags), article.body))


def _version(articles: tuple[Article, ...]) -> str:
    digest = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.slug):
        digest.update(json.dumps([a.slug, a.title, a.url, list(a.tags), a.body]).encode())
    return digest.hexdigest()[:16]
