"""How message text is prepared for matching, so `says` means "whole words, any case".

`normalise("Can I talk to a REAL   person?")` -> `" can i talk to a real person "`: case-folded,
every run of punctuation/whitespace turned into one space, padded with a space on each side.
A keyword normalised the same way (`" real person "`) then occurs in the text exactly when the
phrase occurs there as whole words, so a plain substring search is a word-boundary search.

The same text serves the regex prefilter: a run of ASCII letters and digits that a
case-insensitive regex finds in the message is also a substring of the normalised text.
"""

from __future__ import annotations

import re
import string

_SEPARATORS = re.compile(r"[\W_]+")
_WORD_CHARS = set(string.ascii_letters + string.digits)
_ASCII_SEPARATORS = str.maketrans({c: " " for c in map(chr, range(128)) if c not in _WORD_CHARS})

# Characters that Python's case-insensitive regex matching treats as an ASCII letter but that
# str.casefold() does not turn into that single letter: the dotted and dotless i and the long s.
_REGEX_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})


def normalise(text: str) -> str:
    """Case-folded words of `text` separated by single spaces, with a space at each end."""
    if text.isascii():
        return " " + " ".join(text.lower().translate(_ASCII_SEPARATORS).split()) + " "
    return " " + _SEPARATORS.sub(" ", text.translate(_REGEX_FOLD).casefold()).strip() + " "


def keyword_key(keyword: str) -> str:
    """The normalised form of a `says` keyword or phrase (padded); empty if it has no words."""
    words = normalise(keyword).strip()
    return f" {words} " if words else ""
