"""Searching the knowledge base: the player's language, the best part of the message, a confidence 0-1.

Each config generation gets its own `KnowledgeBase`, built from the articles off the event loop
(it is CPU-bound) and swapped in with one reference swap; the live one is never touched. Each
language has its own index (`engine.knowledge.lexical`). A message is searched in the language
it is written in when the detector is confident, and in the default language too, so a player
who mixes in English words, or writes in a language the articles are not translated into,
still gets an answer. Any text is a safe query.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.knowledge.articles import Article, load_articles
from engine.knowledge.confidence import (
    COEFFICIENTS,
    MAX_WORDS,
    Features,
    confidence,
    features,
    parts,
    sentences,
)
from engine.knowledge.lexical import LanguageIndex, QueryWord
from engine.language import MIN_CONFIDENCE, guesses, language_of

log = logging.getLogger(__name__)

DEFAULT_LOCALE = "en-US"
ENOUGH = 0.5
"""A language whose best answer is at least this sure is not second-guessed by another language."""

MAYBE = 0.2  # a language the detector gives this share or more is searched too, when it is unsure


@dataclass(frozen=True)
class Hit:
    """An article for a message: `confidence` 0-1, `score` (BM25F, for ordering), the words that matched."""

    article: Article
    score: float
    snippet: str
    confidence: float = 0.0
    matched: tuple[str, ...] = ()
    part: str = ""  # the part of the message it was judged on
    features: Features | None = None  # what the confidence was computed from
    language: str = ""  # the language code of the index it was found in


class KnowledgeBase:
    """The articles of one config generation and an index per language. Build it, search it, replace it."""

    def __init__(self, articles: Iterable[Article], default_locale: str = DEFAULT_LOCALE) -> None:
        self.articles: tuple[Article, ...] = tuple(articles)
        keys = Counter((a.locale, a.slug) for a in self.articles)
        duplicates = sorted(slug for (_, slug), n in keys.items() if n > 1)
        if duplicates:
            raise ValueError(f"two articles share the name '{duplicates[0]}'; rename one of the files")
        self.default_language = language_of(default_locale)
        self.version: str = _version(self.articles)
        by_language: dict[str, list[Article]] = {}
        for a in self.articles:
            by_language.setdefault(self._language(a), []).append(a)
        self._indexes = {code: LanguageIndex(code, found) for code, found in by_language.items()}
        self._by_slug = {(self._language(a), a.slug): a for a in self.articles}
        self.coefficients: tuple[float, ...] = COEFFICIENTS
        if len(self._indexes) > 1:  # load the detector's models now (off the event loop), not on a message
            guesses("warming up the language models", self._indexes)

    @classmethod
    def build(cls, folder: str | Path, default_locale: str = DEFAULT_LOCALE) -> KnowledgeBase:
        """Read the articles in `folder` (and its locale folders) and index them (CPU-bound: use a thread)."""
        return cls(load_articles(folder), default_locale)

    @classmethod
    def from_articles(
        cls, articles: Iterable[Article], default_locale: str = DEFAULT_LOCALE
    ) -> KnowledgeBase:
        """Index articles already in memory (tests, or articles from elsewhere)."""
        return cls(articles, default_locale)

    def __len__(self) -> int:
        return len(self.articles)

    @property
    def languages(self) -> tuple[str, ...]:
        """The language codes with articles, the default language first."""
        return tuple(sorted(self._indexes, key=lambda code: (code != self.default_language, code)))

    def article(self, slug: str, language: str | None = None) -> Article | None:
        """The article named `slug` in `language` (a code or locale; the default language if None)."""
        code = language_of(language) if language else self.default_language
        return self._by_slug.get((code, slug))

    def _language(self, article: Article) -> str:
        return language_of(article.locale) if article.locale else self.default_language

    def languages_for(self, text: str) -> list[str]:
        """The languages to search `text` in, most likely first; the default language is always among them."""
        found = guesses(text, self._indexes) if len(self._indexes) > 1 else []
        if found and found[0].confidence >= MIN_CONFIDENCE:
            chosen = [found[0].language]
        else:
            chosen = [g.language for g in found[:2] if g.confidence >= MAYBE]
        return list(dict.fromkeys([*chosen, self.default_language]))

    def search(
        self, query: str, limit: int = 3, language: str | None = None, enough: float = ENOUGH
    ) -> list[Hit]:
        """The best `limit` articles for `query`, surest first; any text is safe, nothing found is [].

        `language` (a code or locale: the player's) is searched first, then the language the text
        is written in, then the default one; without it, the text's language is detected. The
        first language whose best answer reaches `enough` wins. A confidently detected language
        that has an answer at all (MAYBE) keeps it unless the default language is sure (English
        with typos or slang is often taken for another language): the default language is the
        fallback when none of its articles fits. Otherwise the language with the surest answer
        wins (so a Spanish player who writes in English gets the English article, not "not sure").
        """
        if limit <= 0 or not self.articles:
            return []
        codes = self.languages_for(query)
        if language is not None:
            codes = list(dict.fromkeys([language_of(language), *codes]))
        known = language is None and len(codes) == 2 and codes[0] != self.default_language
        best: list[Hit] = []
        kept: list[Hit] = []  # the detected language's own answer
        for code in codes:
            hits = self.search_in(code, query, limit)
            if hits and hits[0].confidence >= enough:
                return hits
            if known and not kept and hits and hits[0].confidence >= MAYBE:
                kept = hits
            if hits and (not best or hits[0].confidence > best[0].confidence):
                best = hits
        return kept or best

    def search_in(self, language: str, query: str, limit: int = 3) -> list[Hit]:
        """The best `limit` articles of one language for `query`, judged on the best part of the message."""
        index = self._indexes.get(language_of(language))
        if index is None or limit <= 0:
            return []
        best: dict[int, Hit] = {}
        for span in _spans(index, query):
            matches = index.rank(span)
            if not matches:
                continue
            first, second = matches[0].score, matches[1].score if len(matches) > 1 else 0.0
            for match in matches:
                other = second if match is matches[0] else first
                numbers = features(match, other, index.unknown_idf)
                sure = confidence(numbers, self.coefficients)
                known = best.get(match.article)
                if known is None or (sure, match.score) > (known.confidence, known.score):
                    best[match.article] = Hit(
                        article=index.articles[match.article],
                        score=match.score,
                        snippet="",
                        confidence=sure,
                        matched=tuple(sorted(match.matched, key=str.casefold)),
                        part=" ".join(w.word for w in span),
                        features=numbers,
                        language=index.language,
                    )
        ranked = sorted(best.items(), key=lambda item: (-item[1].confidence, -item[1].score, item[0]))
        hits = []
        for number, hit in ranked[:limit]:
            terms = frozenset(t for w in index.words(hit.part) for t in w.terms)
            hits.append(_with_snippet(hit, index.snippet(number, terms)))
        return hits


def _spans(index: LanguageIndex, query: str) -> list[tuple[QueryWord, ...]]:
    """The parts of a message to judge: the whole, each sentence, and stretches of long ones."""
    whole = tuple(index.words(query)[:MAX_WORDS])
    found = [whole] if whole else []
    pieces = sentences(query)
    if len(pieces) > 1:  # a question leans on the sentence before it: "...my password. How do I reset it?"
        pieces += [f"{a} {b}" for a, b in itertools.pairwise(pieces)]
    for piece in pieces if len(pieces) > 1 else [query]:
        words = index.words(piece)
        found += [tuple(words[start:end]) for start, end in parts(words)]
    return list(dict.fromkeys(span for span in found if span))


def _with_snippet(hit: Hit, snippet: str) -> Hit:
    return dataclasses.replace(hit, snippet=snippet)


def _version(articles: tuple[Article, ...]) -> str:
    digest = hashlib.sha256()
    for a in sorted(articles, key=lambda a: (a.locale or "", a.slug)):
        fields = [a.locale, a.slug, a.title, a.url, list(a.tags), list(a.questions), a.body]
        digest.update(json.dumps(fields).encode())
    return digest.hexdigest()[:16]
