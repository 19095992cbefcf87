"""The `matches` regexes of rules, run by RE2: no message can make one take more than linear time.

Python's `re` backtracks: `(a|aa)+$` against 40 characters can take seconds, and a rule runs on
every player message. RE2 (google-re2) builds an automaton instead, so a search costs time in
proportion to the message whatever the pattern; the price is that it cannot run what needs
backtracking (backreferences like `\\1`, lookarounds like `(?=...)`), which `compiled_regex`
refuses with a plain explanation.

Patterns are written in Python's syntax and keep Python's meaning where RE2's differs: `\\w`, `\\d`
and `\\s` cover every script (RE2's cover ASCII only), `\\Z` is the end of the text, and, ignoring
case, a dotted or dotless Turkish i is an i. One difference stays: `\\b` sees only ASCII letters,
digits and _ as parts of a word (`word_boundary_problem` tells when that matters).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import re2

__all__ = ["Pattern", "PatternError", "compiled_regex", "regex_cache", "word_boundary_problem"]

_SPACES = "".join(
    (
        r"\t\n\x{0b}\f\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}",
        r"\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}",
    )
)
"""What Python's `\\s` matches in text: RE2's `\\s` leaves out \\v and every non-ASCII space."""
_WORD = r"\p{L}\p{N}_"
"""What Python's `\\w` matches in text: letters and digits of any script, and _."""
_OUTSIDE = {
    "w": f"[{_WORD}]",
    "W": f"[^{_WORD}]",
    "d": r"\p{Nd}",
    "D": r"\P{Nd}",
    "s": f"[{_SPACES}]",
    "S": f"[^{_SPACES}]",
    "Z": r"\z",
}
"""Escapes outside brackets, as RE2 writes Python's meaning."""
_INSIDE = {"w": _WORD, "d": r"\p{Nd}", "D": r"\P{Nd}", "s": _SPACES}
"""Escapes inside brackets, as RE2 writes Python's meaning."""
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i"})
"""Python ignoring case takes İ and ı for i; RE2 does not, so both sides are mapped to i first."""
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_UP_TO = re.compile(r"\{,[0-9]+\}")


def _options() -> re2.Options:
    options = re2.Options()
    options.case_sensitive = False  # rules match in any case
    options.log_errors = False  # a refused pattern is explained to the community manager instead
    options.never_capture = True  # only the whole match is used
    return options


_OPTIONS = _options()
_NATIVE: Any = importlib.import_module("re2._re2")
"""google-re2's own binding: its Python wrapper re-encodes offsets on every search, which costs
five times the search itself on a short message; only the whole match's span is needed here."""
_UNANCHORED = _NATIVE.RE2.Anchor.UNANCHORED


class PatternError(ValueError):
    """A regex flexcord cannot run: what is wrong, and how to write it instead."""

    def __init__(self, message: str, hint: str) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})")


RECENT_PROGRAMS = 1024
"""How many RE2 programs a serving process keeps for the patterns reached through a word of the
message (see engine.routing.index): about 7 KB each once searched, so at most about 7 MB whatever
the size of the config; one pushed out is compiled again (tens of microseconds) when next reached."""


class Pattern:
    """One compiled `matches` regex; `search` gives the text of the first match, or None."""

    __slots__ = ("_native", "pattern", "tried_always")

    def __init__(self, pattern: str, native: Any) -> None:
        self.pattern = pattern  # as written
        self._native = native
        self.tried_always = False  # set by the index: tried on every message of its bucket, so kept

    def __reduce__(self) -> tuple[Callable[[str], Pattern], tuple[str]]:
        """Pickled as its text (RE2's object cannot be), compiled again where it is first searched:
        a config built in another process (engine.config.builder) was checked there, and a serving
        process then holds RE2's program (about 4 KB, 7 KB once searched) only for the patterns it
        tries on every message and, in a bounded cache, the RECENT_PROGRAMS last reached."""
        return (_unpickled, (self.pattern,))

    def search(self, text: str) -> str | None:
        """The first match in `text` (possibly empty), or None; linear in the length of `text`."""
        native = self._native
        if native is None:
            native = _recent(self.pattern)._native
            if self.tried_always:
                self._native = native
        folded = text if text.isascii() else text.translate(_FOLD)  # one character for one: same offsets
        encoded = folded.encode()
        start, end = native.Match(_UNANCHORED, encoded, 0, len(encoded))[0]
        if start < 0:
            return None
        if folded is text:
            return text[start:end]  # ASCII: bytes and characters line up
        first = len(encoded[:start].decode())
        return text[first : first + len(encoded[start:end].decode())]


def _unpickled(pattern: str) -> Pattern:
    return Pattern(pattern, None)


@lru_cache(maxsize=RECENT_PROGRAMS)
def _recent(pattern: str) -> Pattern:
    return _compile(pattern)


_BUILD_CACHE: ContextVar[dict[str, Pattern] | None] = ContextVar("flexcord_patterns", default=None)


@contextmanager
def regex_cache() -> Iterator[dict[str, Pattern]]:
    """Inside, `compiled_regex` keeps every pattern it compiled: one build's, all of them (checking
    a config and compiling it both need each one). The cache goes with the build; a bounded cache
    shared by every build thrashed once a config had more patterns than it held."""
    cache: dict[str, Pattern] = {}
    token = _BUILD_CACHE.set(cache)
    try:
        yield cache
    finally:
        _BUILD_CACHE.reset(token)


def compiled_regex(pattern: str) -> Pattern:
    """`pattern` compiled case-insensitively, as rules match; once per build inside `regex_cache`.

    Raises PatternError (with a hint) when the pattern is not a regex or RE2 cannot run it."""
    cache = _BUILD_CACHE.get()
    if cache is None:
        return _compile(pattern)
    found = cache.get(pattern)
    if found is None:
        found = cache[pattern] = _compile(pattern)
    return found


def _compile(pattern: str) -> Pattern:
    native = _NATIVE.RE2(_for_re2(pattern).encode(), _OPTIONS)
    if not native.ok():
        raise _explain(pattern, native.error())
    return Pattern(pattern, native)


def _for_re2(pattern: str) -> str:
    """`pattern` rewritten so RE2 reads it with Python's meaning of \\w, \\d, \\s, \\Z, \\uXXXX and {,n}."""
    out: list[str] = []
    in_class = False
    i, end = 0, len(pattern)
    while i < end:
        char = pattern[i]
        if char == "\\" and i + 1 < end:
            escape = pattern[i + 1]
            if escape == "u" and _HEX4.fullmatch(pattern, i + 2, i + 6):
                out.append(r"\x{" + pattern[i + 2 : i + 6] + "}")
                i += 6
                continue
            out.append((_INSIDE if in_class else _OUTSIDE).get(escape, char + escape))
            i += 2
            continue
        if not in_class and char == "[":
            start = i + 1
            start += pattern.startswith("^", start)
            start += pattern.startswith("]", start)  # a ']' first in brackets is the character ]
            out.append(pattern[i:start])
            in_class, i = True, start
            continue
        if not in_class and char == "{" and _UP_TO.match(pattern, i):
            out.append("{0")  # Python reads {,3} as {0,3}; RE2 would read it as the text {,3}
            i += 1
            continue
        in_class = in_class and char != "]"
        out.append(char)
        i += 1
    return "".join(out).translate(_FOLD)


_UNSUPPORTED = (
    (r"\\[1-9]|\(\?P=", "it refers back to an earlier group (like \\1)", "write the text out instead"),
    (
        r"\(\?<?[=!]",
        "it looks ahead or behind (like (?=...) or (?!...))",
        "match the text itself, or use two rules",
    ),
    (r"\(\?>|[*+?}][+]", "it uses an atomic group or a possessive repeat", "write a plain repeat like a+"),
    (r"\(\?\(", "it uses a condition (?(...)...)", "use two rules instead"),
    (r"\(\?#|\(\?[a-zA-Z]*x", "it uses comments or (?x) spacing", "remove them"),
    (r"repetition size", "it repeats more than 1000 times", "use a smaller count, or + or *"),
    (r"pattern too large", "it is too big once built", "use fewer or smaller repeats"),
)
"""What RE2 cannot run that Python could, how to say so, and what to write instead."""


def _explain(pattern: str, error: bytes | str) -> PatternError:
    """Why `pattern` was refused, in words: Python's reading when it is no regex at all, else RE2's."""
    detail = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
    try:
        re.compile(pattern)
    except re.error as python:  # not a regex at all: Python says where
        return PatternError(
            f"this regular expression does not work: {python.msg} at character {(python.pos or 0) + 1}",
            "check brackets and backslashes; in YAML write the pattern in single quotes",
        )
    for shape, what, instead in _UNSUPPORTED:
        if re.search(shape, pattern) or re.search(shape, detail):
            return PatternError(f"flexcord cannot run this regular expression: {what}", instead)
    return PatternError(
        f"flexcord cannot run this regular expression: {detail}",
        "flexcord runs patterns that always finish quickly (RE2); simplify it",
    )


_WORD_BOUNDARY = re.compile(r"(?<!\\)(?:\\\\)*\\[bB]")


def word_boundary_problem(pattern: str) -> bool:
    """True when `pattern` uses `\\b` or `\\B` and also letters outside a-z (`\\bremboursé\\b`): RE2's
    word boundary sees only ASCII letters, digits and _ as parts of a word, so there it does not do
    what it seems to."""
    return _WORD_BOUNDARY.search(pattern) is not None and any(
        char.isalpha() and not char.isascii() for char in pattern
    )
