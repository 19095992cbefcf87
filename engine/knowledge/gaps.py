"""Gaps in the knowledge base: the questions the FAQ bot could not answer, grouped by the words they share.

Pure: takes the recorded questions, returns groups, most frequent first. Two questions fall in one
group when they share at least two meaningful words (stemmed in their own language: "refunds" and
"refund" are one word), or one when either has only one; a group is named by its most common words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.knowledge.analysis import analyzer

MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Asked:
    """One recorded question: what was asked, in which language, and how it ended."""

    text: str
    language: str | None
    outcome: str  # unanswered or escalated


@dataclass
class Gap:
    """Questions that share words: how many, how each ended, the words, and a few examples."""

    words: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    language: str | None = None

    @property
    def count(self) -> int:
        return sum(self.outcomes.values())

    def name(self, size: int = 3) -> str:
        """The group's most common words, as the player wrote them: 'delete, account'."""
        return ", ".join(word for word, _ in self.words.most_common(size))


def group_gaps(questions: Iterable[Asked], default_language: str = "en") -> list[Gap]:
    """Group questions by shared words; the biggest groups first, then the most recent."""
    groups: list[tuple[set[str], Gap]] = []  # (the words of the group's first question, the group)
    for asked in questions:
        language = asked.language or default_language
        tokens = [t for t in analyzer(language).tokens(asked.text) if t.term]
        terms = {t.term for t in tokens}
        if not terms:
            continue
        home = next((g for keys, g in groups if g.language == language and _close(keys, terms)), None)
        if home is None:  # the first question of a group sets the words the others must share
            home = Gap(language=language)
            groups.append((terms, home))
        home.words.update(list(dict.fromkeys(t.word.casefold() for t in tokens)))
        home.outcomes[asked.outcome] += 1
        if len(home.examples) < MAX_EXAMPLES and asked.text not in home.examples:
            home.examples.append(asked.text)
    found = [g for _, g in groups]
    return sorted(found, key=lambda g: -g.count)


def _close(group: set[str], terms: set[str]) -> bool:
    shared = len(group & terms)
    return shared >= 2 or (shared == 1 and min(len(group), len(terms)) == 1)
