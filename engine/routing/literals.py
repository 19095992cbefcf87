"""Literal text a regular expression cannot match without, used to skip `matches` rules cheaply.

`required_literals(r"\b(refunds?|charged?)\b")` -> `frozenset({"refund", "charge"})`: every match
contains at least one of these runs of lower-case ASCII letters and digits, so the normalised
message (engine.routing.words) contains it too. `None` means no such guarantee, so the rule must
always be tried. The answer may be weaker than possible, never wrong.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sre_constants as _c
    import sre_parse as _parser
else:
    from re import _constants as _c
    from re import _parser

_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT))
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
_WORD_RUN = re.compile(r"[a-z0-9]+")


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings of which every match of `pattern` (case-insensitive) contains at least one."""
    try:
        parsed = _parser.parse(pattern)
    except Exception:
        return None
    return _sequence(list(parsed.data))


def _strength(option: frozenset[str]) -> tuple[int, int]:
    return (min(len(s) for s in option), -len(option))


def _sequence(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """The most selective requirement among the parts of a sequence (all parts are needed)."""
    options: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        words = _WORD_RUN.findall("".join(run))
        if words:
            options.append(frozenset({max(words, key=len)}))
        run.clear()

    for op, av in items:
        if op is _c.LITERAL and av < 128:
            run.append(chr(av).lower())
            continue
        flush()
        needed = _element(op, av)
        if needed:
            options.append(needed)
    flush()
    return max(options, key=_strength) if options else None


def _element(op: Any, av: Any) -> frozenset[str] | None:
    if op is _c.SUBPATTERN:
        return _sequence(list(av[-1]))
    if _ATOMIC is not None and op is _ATOMIC:
        return _sequence(list(av))
    if op in _REPEATS:
        low, _high, body = av
        return _sequence(list(body)) if low >= 1 else None
    if op is _c.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            needed = _sequence(list(branch))
            if needed is None:
                return None
            union |= needed
        return frozenset(union)
    if op is _c.IN and av and all(o is _c.LITERAL and a < 128 and chr(a).isalnum() for o, a in av):
        return frozenset(chr(a).lower() for _o, a in av)
    return None
