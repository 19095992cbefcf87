"""How sure the FAQ bot is that an article answers a message: a number 0-1 that means the same for any length.

A message is read in parts (each sentence, and overlapping stretches of a long sentence) as well
as whole, so a question at the end of a long story is judged on its own words. For each part and
article, a few numbers that do not grow with length (the share of the part's information the
article matches, how far ahead of the other articles it is, how close the part is to one of its
sample questions, how much of it the title, questions and tags hold, how much the title and tags
alone hold, and how much of what matched is more than everyday words such as "year", "friend" or
"game", which alone are a coincidence, not a topic: `engine.knowledge.everyday`) go through a
logistic model fitted on the tuning half of the labelled questions in `tests/faq_questions.yaml`
(`python benchmarks/faq.py --calibrate` fits it again). So a confidence of 0.7 means: about 7 in
10 such suggestions were right on that set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.knowledge.lexical import Match

COEFFICIENTS = (-4.65, -3.44, 4.74, 3.31, 1.56, 2.94, 3.47, 1.86)
"""(intercept, then one weight per Features number, in order), fitted by benchmarks/faq.py --calibrate."""

EVERYDAY_ONLY = 0.25
"""The most an article can get when all the words it shares with the message are everyday ones."""

WINDOW = 10  # words in a stretch of a long sentence
STEP = 5
MAX_WORDS = 400  # a message longer than this (in meaningful words) is read up to here
_SENTENCE_END = re.compile(r"(?<=[.!?¿¡।;:\n])|\s+(?:but|pero|mas|mais|mais|pero|kaso|pero|लेकिन)\s+")


@dataclass(frozen=True)
class Features:
    """What the confidence of one article for one part of a message is computed from."""

    coverage: float
    lead: float
    question_match: float
    key_coverage: float
    matched_information: float
    topic_coverage: float = 0.0
    specific: float = 0.0

    def vector(self) -> tuple[float, ...]:
        return (
            self.coverage,
            self.lead,
            self.question_match,
            self.key_coverage,
            self.matched_information,
            self.topic_coverage,
            self.specific,
        )


def features(match: Match, other_best: float, unknown_idf: float) -> Features:
    """The length-independent numbers of one article's match with one part of a message.

    `other_best` is the best score among the other articles: the lead is how far ahead of them
    this article is (1: alone, 0: tied, below 0: behind), times the coverage, so being alone on
    one word of many counts for little.
    """
    lead = (match.score - other_best) / match.score if match.score > 0 else -1.0
    return Features(
        coverage=match.coverage,
        lead=max(-1.0, min(1.0, lead)) * match.coverage,
        question_match=match.question_match,
        key_coverage=match.key_coverage,
        matched_information=min(match.matched_idf / (2 * unknown_idf), 1.0),
        topic_coverage=match.topic_coverage,
        specific=match.specific / match.coverage if match.coverage > 0 else 0.0,
    )


def confidence(f: Features, coefficients: Sequence[float] = COEFFICIENTS) -> float:
    """The calibrated chance (0-1) that the article answers the part of the message."""
    z = coefficients[0] + sum(w * x for w, x in zip(coefficients[1:], f.vector(), strict=True))
    sure = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
    return min(sure, EVERYDAY_ONLY) if f.specific == 0 else sure


def parts(words: Sequence[object]) -> list[tuple[int, int]]:
    """(start, end) stretches of a message's words to judge: the whole, and overlapping windows.

    10 words or fewer: just the whole. Longer: also every window of 10 words, 5 apart, so any
    question of up to about 5 words sits whole in one of them.
    """
    n = min(len(words), MAX_WORDS)
    spans = [(0, n)]
    if n > WINDOW:
        spans += [(start, min(start + WINDOW, n)) for start in range(0, n - STEP, STEP)]
    return list(dict.fromkeys(spans))


def sentences(text: str) -> list[str]:
    """A message cut at sentence ends and at 'but' (and its equivalents); empty pieces dropped."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece and piece.strip()]
