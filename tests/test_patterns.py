"""`matches` regexes: no pattern and no message can stall the bot, and what cannot run is refused.

Each dangerous pattern below made Python's backtracking engine take exponential time on a short
message. Here each is either refused by `flexcord validate` (with file:line and a hint) or
routed on a 100,000-character message and gives the right answer. On a backtracking engine the
test would not finish: the suite's time limit fails it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main as cli
from engine.config import build
from engine.events import Event, User
from engine.routing import normalise, route
from engine.routing.patterns import compiled_regex
from tests.fixtures.config.demo import col_of, copy_demo, edit, line_of

DEMO_PATTERN = r"'\b(refunds?|charged?|payments?|billing|purchase)\b'"
LONG = 100_000
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)

DANGEROUS = [
    # (pattern, a message of LONG characters, whether the pattern is found in it)
    (r"(a|aa)+$", "a" * (LONG - 1) + "!", False),
    (r"(a+){9}$", "a" * (LONG - 1) + "!", False),
    (r"a*a*a*a*a*a*a*b", "a" * LONG, False),
    (r"(a+)+$", "a" * (LONG - 1) + "!", False),
    (r"(.*a){12}", "a" * 11 + "b" * (LONG - 11), False),
    (r"(\w+\s?)+$", "word " * (LONG // 5 - 1) + "word!", False),
    (r"(a|a)*b", "a" * LONG, False),
    (r"(x*)*y", "x" * LONG, False),
    (r"(a|ab)*c", "ab" * (LONG // 2), False),
    (r"^(a+)+b", "a" * LONG, False),
    (r"^(\d+)*$", "1" * (LONG - 1) + "x", False),
    (r"(.*)*x", "a" * LONG, False),
    (r"((a+)+)+b", "a" * LONG, False),
    (r"(a?){30}a{30}", "a" * 30 + "!" * (LONG - 30), True),
    (r"^(([a-z])+.)+[A-Z]([a-z])+$", "a" * (LONG - 1) + "!", False),
    (r"(\s*,\s*)*x", " ," * (LONG // 2), False),
    (r"([a-z]+)*=", "a" * LONG, False),
]

REFUSED = [
    (r"(a+)\1+$", "it refers back to an earlier group", "write the text out instead"),
    (r"^(?=(a+))\1b", "it refers back to an earlier group", "write the text out instead"),
    (r"(?!x)(a+)+b", "it looks ahead or behind", "match the text itself, or use two rules"),
    (r"(?<=a)(a+)+b", "it looks ahead or behind", "match the text itself, or use two rules"),
    (r"(a++)+b", "it uses an atomic group or a possessive repeat", "write a plain repeat like a+"),
]


def _demo_with(tmp_path: Path, pattern: str) -> Path:
    main = copy_demo(tmp_path)
    edit(tmp_path / "routes" / "rules.yaml", DEMO_PATTERN, "'" + pattern.replace("'", "''") + "'")
    return main


def _routed(main: Path, text: str) -> str | None:
    """The rule that answers `text` in a DM, with the demo's rules and the edited pattern."""
    result = build(main)
    assert result.ok and result.config is not None, [str(d) for d in result.errors]
    return route(result.config, _message(text), "bot", NOW).rule


def _message(text: str) -> Event:
    return Event("message", "m1", User("42", "ash"), "dm", NOW, text=text)


@pytest.mark.parametrize(("pattern", "text", "found"), DANGEROUS, ids=[p for p, _t, _f in DANGEROUS])
def test_a_dangerous_pattern_answers_a_long_message(
    tmp_path: Path, pattern: str, text: str, found: bool
) -> None:
    assert len(text) == LONG
    main = _demo_with(tmp_path, pattern)
    assert _routed(main, text) == ("billing" if found else "everything else")


@pytest.mark.parametrize(("pattern", "what", "hint"), REFUSED, ids=[p for p, _w, _h in REFUSED])
def test_a_pattern_that_needs_backtracking_is_refused_at_its_line(
    tmp_path: Path, pattern: str, what: str, hint: str
) -> None:
    main = _demo_with(tmp_path, pattern)
    rules = tmp_path / "routes" / "rules.yaml"
    result = CliRunner().invoke(cli, ["validate", "-c", str(main)])
    assert result.exit_code == 1
    column = col_of(rules, "'" + pattern[:4])
    where = f"{rules}:{line_of(rules, 'matches:')}:{column}"
    line = next(line for line in result.output.splitlines() if line.startswith(where))
    assert f"error: flexcord cannot run this regular expression: {what}" in line
    assert hint in line


def test_letters_digits_and_spaces_of_every_script_count_as_in_python(tmp_path: Path) -> None:
    main = _demo_with(tmp_path, r"^\w+\s\d+$")
    assert _routed(main, "commande\u00a0١٢٣") == "billing"  # a no-break space, Arabic-Indic digits
    assert _routed(main, "Straße 12") == "billing"
    assert _routed(main, "order #12") == "everything else"


def test_a_word_boundary_next_to_an_accented_letter_is_a_warning(tmp_path: Path) -> None:
    main = _demo_with(tmp_path, r"\b(rembours[ée])\b")
    rules = tmp_path / "routes" / "rules.yaml"
    result = build(main)
    assert result.ok
    (warning,) = [w for w in result.warnings if "\\b" in w.message]
    assert (warning.file, warning.line) == (str(rules), line_of(rules, "matches:"))
    assert warning.hint is not None and "says:" in warning.hint


def test_the_literal_prefilter_still_skips_a_pattern_rule_for_unrelated_messages(tmp_path: Path) -> None:
    main = _demo_with(tmp_path, r"\b(refunds?|charged?)\b")
    result = build(main)
    assert result.config is not None and result.config.index is not None
    candidates = result.config.index.candidates("dm", "bot", normalise("hello there"))
    assert "billing" not in [c.rule.name for c in candidates]
    assert _routed(main, "I was CHARGED twice") == "billing"


AS_IN_PYTHON = [
    (r"\w+", "¿Qué tal? ça va"),
    (r"[\w-]+@\w+", "mail: ça-va@exemple"),
    (r"\W+", "héllo, wörld"),
    (r"\d+", "order ٤٥٦ or 789"),
    (r"\D+", "٤٥٦abc"),
    (r"\s+x", "a\u00a0\u2003x"),
    (r"\S+$", "ends with naïve"),
    (r"done\Z", "all done"),
    (r"ab{,3}c", "xabbbc"),
    (r"\u00e9t\u00e9", "un ÉTÉ chaud"),
    (r"istanbul", "İSTANBUL"),
    (r"[a-z]+ \d{2,}", "Room 12"),
]


@pytest.mark.parametrize(("pattern", "text"), AS_IN_PYTHON, ids=[p for p, _t in AS_IN_PYTHON])
def test_a_pattern_finds_what_python_would(pattern: str, text: str) -> None:
    found = re.search(pattern, text, re.IGNORECASE)
    assert found is not None
    assert compiled_regex(pattern).search(text) == found.group(0)
