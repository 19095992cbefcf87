"""Texts in several languages: `locales:` in flexcord.yaml, messages by locale, and what validate says."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from engine.cli import main as cli
from engine.config import load_config
from engine.runtime.generation import build_generation
from tests.fixtures.config.demo import copy_demo, edit, line_of


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def validate(config: Path) -> Result:
    return CliRunner().invoke(cli, ["validate", "-c", str(config)])


def test_a_removed_translation_is_a_warning_at_its_message(demo: Path) -> None:
    messages = demo.parent / "routes" / "messages.yaml"
    edit(messages, '    fr: "{{ agent.name }} a rejoint la conversation."\n', "")
    result = validate(demo)
    assert result.exit_code == 0, result.output
    line = line_of(messages, "  agent_joined:")
    assert result.output.splitlines()[0] == (
        f"{messages}:{line}:3: warning: message 'agent_joined' has no fr text, so players in that "
        "language get the en-US one (write it as a map by locale: {en-US: ..., fr: ...})"
    )


def test_a_translation_using_a_name_its_original_does_not_is_refused(demo: Path) -> None:
    messages = demo.parent / "routes" / "messages.yaml"
    edit(
        messages,
        '"Obrigado pela nota {{ rating }}/5!"',
        '"Obrigado, {{ case.ref }}, pela nota {{ rating }}/5!"',
    )
    result = validate(demo)
    assert result.exit_code == 1
    line = line_of(messages, "Obrigado, {{ case.ref }}")
    assert (
        f"{messages}:{line}:12: error: the pt-BR text of message 'rating_thanks' uses case.ref, which its "
        "en-US text does not" in result.output
    )


def test_each_player_gets_the_message_in_their_language_else_the_default(demo: Path) -> None:
    generation = build_generation(load_config(demo))
    assert (
        generation.message("solved", "pt-BR")
        == "Que bom que ajudou! Pode me perguntar qualquer coisa quando quiser."
    )
    assert generation.message("solved", "es-419").startswith("¡Me alegro")  # es-ES serves all Spanish
    assert generation.message("solved", "de").startswith("Glad that helped!")
    assert generation.message("solved").startswith("Glad that helped!")


SPANISH_RULE = """rules:
  - name: spanish agents
    when: {where: dm, language: [es-ES, es-419], says: [agente]}
    do: [open_case: support, handoff: {queue: support}]

"""


@pytest.fixture
def spanish(demo: Path) -> Path:
    edit(demo.parent / "routes" / "rules.yaml", "rules:\n", SPANISH_RULE)
    return demo


def route(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["route", "-c", str(config), "--at", "2026-11-25T10:00:00", *args])


def test_route_shows_the_language_a_rule_needs_and_the_one_the_player_speaks(spanish: Path) -> None:
    detected = route(spanish, "--text", "quiero hablar con un agente, por favor")
    assert "rule 'spanish agents' matched" in detected.output
    assert "language: player speaks es-ES" in detected.output
    chosen = route(spanish, "--text", "quiero hablar con un agente", "--language", "fr")
    assert "rule 'spanish agents' matched" not in chosen.output
    assert "language: needs es-ES or es-419, player speaks fr" in chosen.output


def test_a_route_test_can_give_the_players_language(spanish: Path, tmp_path: Path) -> None:
    tests = tmp_path / "languages.yaml"
    tests.write_text(
        "tests:\n"
        "  - {name: latin american, text: agente, language: es-419, expect: {rule: spanish agents}}\n"
        "  - {name: tagalog, text: agente, language: tl, expect: {rule: live agent}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["test", str(tests), "-c", str(spanish)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "2 passed, 0 failed"
