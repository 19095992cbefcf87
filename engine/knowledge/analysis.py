"""Turning text into search terms for one language: words, without accents, stop words left out, stemmed.

Each language has its own Snowball stemmer (through PyStemmer) and stop words, so French "passe"
is never stemmed like English "pass". Accents are dropped before stemming in languages written in
Latin letters, because players often leave them out ("contrasena", "nao"); in Hindi the vowel
signs are letters and are kept.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

from engine.knowledge.stopwords import STOP_WORDS
from engine.language import LANGUAGES

MAX_WORD_LENGTH = 40  # longer 'words' are noise (pasted links, keyboard mashing)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_DEVANAGARI_WORD = re.compile(r"[\u0900-\u0963\u0966-\u097f]+|[^\W_]+")
_NO_STEMMER = frozenset({"tl"})  # Snowball has no Tagalog stemmer; its words are matched as written


@dataclass(frozen=True)
class Token:
    """One word of a text: as written (`word`), and the term it is searched by (`term`, '' if a stop word)."""

    word: str
    term: str


@dataclass(frozen=True)
class Analyzer:
    """The words-to-terms rules of one language (a code such as 'es')."""

    language: str
    stop_words: frozenset[str] = field(default=frozenset(), repr=False)

    def tokens(self, text: str) -> list[Token]:
        """Every word of `text` with its search term: 'Reseté mi contraseña' -> reset, '', contrasen."""
        pattern = _DEVANAGARI_WORD if self.language == "hi" else _WORD
        found = []
        for match in pattern.finditer(text):
            word = match.group()
            found.append(Token(word, self.term(word)))
        return found

    def terms(self, text: str) -> list[str]:
        """The search terms of `text`, in order, stop words left out."""
        return [token.term for token in self.tokens(text) if token.term]

    def term(self, word: str) -> str:
        """The search term of one word ('' for a stop word or noise)."""
        folded = self.fold(word)
        if folded in self.stop_words or not 2 <= len(folded) <= MAX_WORD_LENGTH:
            return ""
        if folded.isdigit():
            return folded
        return _stem(self.language, folded)

    def fold(self, word: str) -> str:
        """The word in lower case, without accents (except in Hindi), apostrophes dropped."""
        word = word.casefold().replace("'", "")
        if self.language == "hi":
            return word
        return strip_accents(word)


def strip_accents(text: str) -> str:
    """'contraseña' -> 'contrasena', 'não' -> 'nao' (Latin letters only)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=32)
def analyzer(language: str) -> Analyzer:
    """The analyzer of a language code; a code flexcord has no stemmer for matches words as written."""
    base = Analyzer(language)
    stops = frozenset(base.fold(word) for word in STOP_WORDS.get(language, frozenset()))
    return Analyzer(language, stops)


@lru_cache(maxsize=32)
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    name = LANGUAGES.get(language)
    if name is None or language in _NO_STEMMER or name not in Stemmer.algorithms():
        return None
    return Stemmer.Stemmer(name)


_STEM_LOCK = threading.Lock()  # a PyStemmer stemmer must not be used by two threads at once


def _stem(language: str, word: str) -> str:
    stemmer = _stemmer(language)
    if stemmer is None:
        return word
    with _STEM_LOCK:
        stemmed: str = stemmer.stemWord(word)
    return stemmed
