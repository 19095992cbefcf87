"""Texts with {{ ... }}: the small language community managers write, and the bombs it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import build
from engine.templates import MAX_OUTPUT, TemplateSet
from tests.fixtures.config.demo import copy_demo, edit, line_of

BOMBS = [
    # (what the message says, the start of the error, a word of its hint)
    (
        "{% for i in range(30000) %}{% for j in range(30000) %}x{% endfor %}{% endfor %}",
        "loops ({% for %}) are not supported in texts",
        "write the text out",
    ),
    ("{{ 'x' * 2000000000 }}", "'*' is not supported in texts", "join values with ~"),
    ("{{ 9 ** 9 ** 9 }}", "'**' is not supported in texts", "join values with ~"),
    ("{{ range(100000000) | join }}", "calling range(...) is not supported in texts", "{% if %}"),
    ("{{ lipsum(100000) }}", "calling lipsum(...) is not supported in texts", "{% if %}"),
    ("{{ cycler('a', 'b').next() }}", "calling next(...) is not supported in texts", "{% if %}"),
    ("{{ self }}", "unknown variable 'self' in template", "available: agent"),
    (
        "{% set x = 'y' * 9 %}joined",
        "{% set %} is not supported in texts",
        "use the value where it is needed",
    ),
    ("{% macro m() %}x{% endmacro %}joined", "macros are not supported in texts", "write the text out"),
    ("{{ agent.name.__class__ }}", "'__class__' is not available in texts", "documented names"),
    ("{{ agent.name | wordwrap(1) }}", "unknown filter 'wordwrap'", "filters: capitalize"),
]


@pytest.mark.parametrize(("text", "message", "hint"), BOMBS, ids=[b[0][:30] for b in BOMBS])
def test_a_template_bomb_is_refused_at_its_line(tmp_path: Path, text: str, message: str, hint: str) -> None:
    main = copy_demo(tmp_path)
    messages = tmp_path / "routes" / "messages.yaml"
    edit(messages, '"{{ agent.name }} joined the chat."', "'" + text.replace("'", "''") + "'")
    result = build(main)
    assert not result.ok
    (problem,) = result.errors
    assert (problem.file, problem.line) == (str(messages), line_of(messages, "  agent_joined:") + 1)  # en-US
    assert problem.message == f"{message} of message 'agent_joined'"
    assert problem.hint is not None and hint in problem.hint


def test_names_filters_and_conditions_render() -> None:
    text = (
        "{{ user.name | title }}, case {{ case.ref ~ '!' }} "
        "{% if case.status in ['open', 'new'] %}is open{% elif rating is number %}rated"
        "{% else %}done{% endif %}"
        " ({{ agent.name | default('nobody') | upper | truncate(9) }})"
    )
    variables = {"user": {"name": "ash ketchum"}, "case": {"ref": "BUG-1", "status": "open"}, "agent": {}}
    assert TemplateSet([text]).render(text, variables) == "Ash Ketchum, case BUG-1! is open (NOBODY)"


def test_a_template_outside_the_language_renders_its_fallback() -> None:
    text = "{{ range(3) | join }}"
    assert TemplateSet([text]).render(text, {}, fallback="Sorry.") == "Sorry."


def test_a_text_is_cut_at_the_longest_a_template_makes() -> None:
    text = "{{ text }}{{ text }}"
    rendered = TemplateSet([text]).render(text, {"text": "y" * MAX_OUTPUT})
    assert rendered == "y" * MAX_OUTPUT
