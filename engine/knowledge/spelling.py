"""Chat spellings of a word a player typed: the forms to try when the articles never use it as written.

Pure helpers for `engine.knowledge.lexical`'s spelling correction:

- `respellings`: letters held down ('hott', 'sooo', 'misssing') and a dropped final g ('trippin',
  'spoofin', 'nothin'), as the words they stand for.
- `skeleton`: a word without the vowels after its first letter, so 'nxt' and 'evnt' (vowels left
  out, as players do) can be looked up as 'next' and 'event'.
- `one_short`: whether a short word is a longer one with one letter left out or two letters
  swapped ('trde' -> 'trade', 'opne' -> 'open'), the typos short words still get.
"""

from __future__ import annotations

import re

VOWELS = frozenset("aeiouy")
_HELD = re.compile(r"(\w)\1{2,}")  # a letter three times or more
_DOUBLE = re.compile(r"(\w)\1")


def respellings(word: str) -> list[str]:
    """What a chat spelling may stand for, likeliest first: 'hott' -> ['hot'], 'poppin' -> ['popping']."""
    found: list[str] = []
    held = _HELD.sub(r"\1\1", word)
    if held != word:
        found += [held, _HELD.sub(r"\1", word)]
    for match in _DOUBLE.finditer(held):
        found.append(held[: match.start()] + held[match.start() + 1 :])
    if len(word) >= 5 and word.endswith("in") and word[-3] not in VOWELS:
        found.append(word + "g")
    return [w for w in dict.fromkeys(found) if w != word and len(w) >= 2]


def skeleton(word: str) -> str:
    """The word's first letter and its consonants: 'event' -> 'evnt', 'next' -> 'nxt'."""
    return word[:1] + "".join(ch for ch in word[1:] if ch not in VOWELS)


def is_skeleton(word: str) -> bool:
    """A word typed without vowels after its first letter ('nxt'), not just a short one ('the')."""
    return len(word) >= 3 and not word.isdigit() and skeleton(word) == word


def one_short(word: str, other: str) -> bool:
    """`word` is `other` with one letter left out, or with two neighbouring letters swapped."""
    if len(other) == len(word) + 1:
        return any(other[:i] + other[i + 1 :] == word for i in range(len(other)))
    if len(other) != len(word):
        return False
    diff = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    first, second = diff
    return word[first] == other[second] and word[second] == other[first]
