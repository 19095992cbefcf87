"""The word index of one language: BM25F over an article's title, sample questions, tags and body.

Pure Python: a help centre has dozens of articles, not millions, and each language needs its own
stemmer, which SQLite's built-in tokenizers do not offer. A word the articles never use is
spell-corrected only against words of the same language ('pasword' -> 'password'), and only
when the two are one typo apart (two for long words; in words of four letters only a left-out or
swapped letter) and start with the same letter, so 'chatting' never becomes 'cheating'. Chat
spellings ('sooo hott', 'drainin', 'nxt') are spelled out first (`engine.knowledge.spelling`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from engine.knowledge.analysis import Analyzer, analyzer
from engine.knowledge.articles import Article
from engine.knowledge.everyday import EVERYDAY_WORDS
from engine.knowledge.spelling import is_skeleton, one_short, respellings, skeleton
from engine.knowledge.synonyms import SYNONYM_WEIGHT, rewrite, synonyms

FIELDS = ("title", "questions", "tags", "body")
KEY_FIELDS = ("title", "questions", "tags")  # what an article is about, not everything it mentions
TOPIC_FIELDS = ("title", "tags")  # its topic as named, without the everyday words of its sample questions
FIELD_WEIGHTS = {"title": 3.0, "questions": 2.0, "tags": 2.5, "body": 1.0}
FIELD_B = {"title": 0.3, "questions": 0.5, "tags": 0.3, "body": 0.75}
K1 = 1.2
CORRECTION_WEIGHT = 0.7  # a corrected word is weaker evidence than the word as typed
MIN_CORRECTED_LENGTH = 4  # shorter words are never completed or corrected (but 'nxt' is spelled out)
MIN_TYPO_LENGTH = 5  # 'dies' is not a typo of 'dims'; 'refnd' is one of 'refund'
MAX_COMPLETION = 4  # 'passw' -> 'password' (3 more letters) yes; 'insta' -> 'installing' (5) no
MAX_CORRECTIONS = 2


@dataclass(frozen=True)
class QueryWord:
    """One meaningful word of a message: its terms (its own first, then corrections) and their weights."""

    word: str
    terms: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class Match:
    """How well one article matches a part of a message."""

    article: int
    score: float
    matched: frozenset[str]  # the message's words that matched
    terms: frozenset[str]  # the article's terms they matched
    coverage: float  # the share of the part's information (idf) the article matched, 0-1
    matched_idf: float
    question_match: float  # how close the part is to the article's title or one of its questions, 0-1
    key_coverage: float  # the share of the part's information found in the title, questions or tags
    topic_coverage: float = 0.0  # the share found in the title or tags: the article's topic itself
    specific: float = 0.0  # the share matched by words other than everyday ones ('year', 'friend', 'game')


class LanguageIndex:
    """The articles of one language, ready to be ranked against a message's words."""

    def __init__(self, language: str, articles: Sequence[Article]) -> None:
        self.language = language
        self.analyzer: Analyzer = analyzer(language)
        self.articles = tuple(articles)
        everyday = EVERYDAY_WORDS.get(language, frozenset()) | EVERYDAY_WORDS["en"]  # English is mixed in
        self._everyday = frozenset(self.analyzer.term(w) for w in everyday) - {""}
        self._fields: list[dict[str, Counter[str]]] = [self._field_terms(a) for a in self.articles]
        n = max(1, len(self.articles))
        self._average = {f: max(1.0, sum(sum(d[f].values()) for d in self._fields) / n) for f in FIELDS}
        df: Counter[str] = Counter()
        for doc in self._fields:
            df.update({term for counts in doc.values() for term in counts})
        self._idf = {term: _idf(len(self.articles), count) for term, count in df.items()}
        self.unknown_idf = _idf(len(self.articles), 1)
        words = {
            self.analyzer.fold(t.word)
            for a in self.articles
            for t in self.analyzer.tokens(_document_text(a))
            if t.term
        }
        self._vocabulary = sorted(words)
        self._by_letter: dict[str, list[str]] = {}
        self._skeletons: dict[str, list[str]] = {}  # 'evnt' -> ['event']
        for word in self._vocabulary:
            self._by_letter.setdefault(word[0], []).append(word)
            if len(word) >= 4 and skeleton(word) != word:
                self._skeletons.setdefault(skeleton(word), []).append(word)
        self._corrections: dict[str, tuple[str, ...]] = {}
        self._asked = [
            [frozenset(self.analyzer.terms(q)) for q in (a.title, *a.questions)] for a in self.articles
        ]

    def _field_terms(self, article: Article) -> dict[str, Counter[str]]:
        text = {
            "title": article.title,
            "questions": "\n".join(article.questions),
            "tags": ", ".join(article.tags),
            "body": plain_text(article.body),
        }
        return {f: Counter(self.analyzer.terms(text[f])) for f in FIELDS}

    def words(self, text: str) -> list[QueryWord]:
        """The meaningful words of `text`, each with its term and, for an unknown word, corrections."""
        found: list[QueryWord] = []
        for token in self.analyzer.tokens(rewrite(self.language, text)):
            if not token.term:
                continue
            terms, weights = [token.term], [1.0]
            for other in synonyms(self.language, self.analyzer.fold(token.word)):
                term = self.analyzer.term(other)
                if term and term not in terms:
                    terms.append(term)
                    weights.append(SYNONYM_WEIGHT)
            if token.term not in self._idf and len(terms) == 1:
                for other in self.corrections(self.analyzer.fold(token.word)):
                    term = self.analyzer.term(other)
                    if term and term not in terms:
                        terms.append(term)
                        weights.append(CORRECTION_WEIGHT)
            found.append(QueryWord(token.word, tuple(terms), tuple(weights)))
        return found

    def rank(self, words: Sequence[QueryWord]) -> list[Match]:
        """Every article that shares a term with `words`, best first."""
        unique = list({w.terms: w for w in words}.values())
        information = sum(self._information(w) for w in unique)
        matches = []
        for index, doc in enumerate(self._fields):
            score, got, key, topic, specific, matched, terms = 0.0, 0.0, 0.0, 0.0, 0.0, set(), set()
            for word in unique:
                best, best_term, share = 0.0, "", 0.0
                for term, weight in zip(word.terms, word.weights, strict=True):
                    value = weight * self._term_score(doc, term)
                    if value > best:
                        best, best_term, share = value, term, weight
                if best > 0:
                    score += best
                    got += share * self._information(word)
                    if any(doc[f].get(best_term) for f in KEY_FIELDS):
                        key += share * self._information(word)
                    if any(doc[f].get(best_term) for f in TOPIC_FIELDS):
                        topic += share * self._information(word)
                    if best_term not in self._everyday:
                        specific += share * self._information(word)
                    matched.add(word.word)
                    terms.add(best_term)
            if score > 0:
                shares = [x / information if information else 0.0 for x in (got, key, topic, specific)]
                asked = self._question_match(index, unique, information)
                found = frozenset(matched), frozenset(terms)
                matches.append(Match(index, score, *found, shares[0], got, asked, *shares[1:]))
        return sorted(matches, key=lambda m: (-m.score, m.article))

    def _question_match(self, article: int, words: Sequence[QueryWord], information: float) -> float:
        """The best weighted overlap (Jaccard, by idf) between the words and the title or one question."""
        best = 0.0
        for asked in self._asked[article]:
            shared = sum(self._information(w) for w in words if any(t in asked for t in w.terms))
            extra = sum(self._idf.get(t, 0.0) for t in asked) - shared
            union = information + max(0.0, extra)
            if union > 0:
                best = max(best, shared / union)
        return best

    def _information(self, word: QueryWord) -> float:
        return self._idf.get(word.terms[0], self.unknown_idf)

    def _term_score(self, doc: dict[str, Counter[str]], term: str) -> float:
        idf = self._idf.get(term)
        if idf is None:
            return 0.0
        weighted = 0.0
        for f in FIELDS:
            tf = doc[f].get(term, 0)
            if tf:
                length = sum(doc[f].values())
                norm = 1 - FIELD_B[f] + FIELD_B[f] * length / self._average[f]
                weighted += FIELD_WEIGHTS[f] * tf / norm
        return idf * weighted / (K1 + weighted)

    def corrections(self, word: str) -> tuple[str, ...]:
        """Words of the articles a player probably meant by a word the articles never use."""
        if len(word) < 3 or word.isdigit():
            return ()
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        result = tuple(sorted(self._near(word), key=len)[:MAX_CORRECTIONS])
        if len(self._corrections) < 10_000:
            self._corrections[word] = result
        return result

    def _near(self, word: str) -> list[str]:
        """The first kind of near word that exists: a chat spelling spelled out, a completion, a typo."""
        spelled = [w for w in respellings(word) if self.analyzer.term(w) in self._idf]
        if spelled or len(word) < MIN_CORRECTED_LENGTH:
            return spelled or (self._skeletons.get(word, []) if is_skeleton(word) else [])
        same_start = self._by_letter.get(word[0], [])
        found = [w for w in same_start if w.startswith(word) and len(w) - len(word) <= MAX_COMPLETION]
        if found:
            return found
        if len(word) < MIN_TYPO_LENGTH:  # 'dies' is not 'dims': only a left-out or swapped letter
            found = [w for w in same_start if one_short(word, w)]
        else:
            allowed = 1 if len(word) < 9 else 2
            found = [
                w
                for w in same_start
                if abs(len(w) - len(word)) <= allowed and _distance(word, w, allowed) <= allowed
            ]
        return found or (self._skeletons.get(word, []) if is_skeleton(word) else [])

    def snippet(self, article: int, terms: frozenset[str], size: int = 24) -> str:
        """The body sentence with the most matched terms, matched words in bold ('**password**')."""
        lines = [plain_text(line) for line in self.articles[article].body.splitlines() if line.strip()]
        sentences = [s for line in lines for s in re.split(r"(?<=[.!?।])\s+", line) if s.strip()] or [""]
        scored = [(len(terms & set(self.analyzer.terms(s))), -i) for i, s in enumerate(sentences)]
        best = sentences[-max(scored)[1]] if scored else ""
        words = best.split()
        marked = [self._mark(word, terms) for word in words]
        first = next((i for i, w in enumerate(marked) if w.startswith("**")), 0)
        start = max(0, min(first - size // 3, len(marked) - size))
        text = " ".join(marked[start : start + size])
        return ("…" if start else "") + text + ("…" if start + size < len(marked) else "")

    def _mark(self, word: str, terms: frozenset[str]) -> str:
        tokens = self.analyzer.tokens(word)
        if any(t.term in terms for t in tokens):
            core = tokens[0].word if len(tokens) == 1 else word
            return word.replace(core, f"**{core}**", 1)
        return word


def _idf(documents: int, containing: int) -> float:
    return math.log(1 + (documents - containing + 0.5) / (containing + 0.5))


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (adjacent swaps count one), giving up past `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def plain_text(markdown: str) -> str:
    """Markdown without its markup, for indexing and snippets: '**Tap** [here](u)' -> 'Tap here'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"^\s{0,3}(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s?)", "", text, flags=re.MULTILINE)
    text = re.sub(r"(\*\*|__|`+|~~)", "", text)
    text = re.sub(r"(?<!\w)[*_](\S[^*_]*?)[*_](?!\w)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def _document_text(article: Article) -> str:
    return "\n".join((article.title, "\n".join(article.questions), " ".join(article.tags), article.body))
