"""Texts in several languages: `locales:` in flexcord.yaml, messages by locale, and what validate says."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from engine.cli import main as cli
from engine.config import load_config
from engine.config.model import Reply
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


# --- texts written in rules and commands, choices and statuses: a small bot of their own ----------

SMALL_BOT = """version: 1
discord: {guild: Test}
flex: {account_sid: AC1, auth_token: t, workspace_sid: WS1, workflow_sid: WW1}
server: {public_url: "https://bot.example.com"}
locales: {default: en-US, supported: [en-US, es-ES, fr]}
channels:
  bug-report: {}
commands:
  helpme:
    description: {en-US: Get help, es-ES: Pide ayuda, fr: Obtenir de l'aide}
    do:
      - reply:
          en-US: "Check your DMs, {{ user.name }}!"
          es-ES: "¡Mira tus mensajes privados, {{ user.name }}!"
          fr: "Consultez vos messages privés, {{ user.name }} !"
  case:
    description: {en-US: Update a case, es-ES: Actualiza un caso, fr: Mettre à jour un dossier}
    options:
      status:
        type: choice
        description: {en-US: The new status, es-ES: El nuevo estado, fr: Le nouveau statut}
        choices:
          - {en-US: open, es-ES: abierto, fr: ouvert}
          - {en-US: fixed, es-ES: corregido, fr: corrigé}
    do:
      - update_case: {ref: "BUG-1", status: "{{ options.status }}"}
cases:
  bug:
    prefix: BUG
    statuses:
      open: {names: {es-ES: abierto, fr: ouvert}}
      fixed: {names: {es-ES: corregido, fr: corrigé}}
rules:
  - name: thanks
    when: {where: dm, says: [thanks]}
    do:
      - post:
          channel: bug-report
          text:
            en-US: "{{ user.name }} said thanks"
            es-ES: "{{ user.name }} dio las gracias"
            fr: "{{ user.name }} a dit merci"
      - dm: {en-US: "You're welcome!", es-ES: "¡De nada!", fr: "Avec plaisir !"}
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    main = tmp_path / "flexcord.yaml"
    main.write_text(SMALL_BOT, encoding="utf-8")
    return main


def problems(main: Path) -> list[tuple[int, str, str, str]]:
    """(line, severity, message, hint) of what validate says, leaving out the messages the small bot
    does not set (it sets none)."""
    result = CliRunner().invoke(cli, ["validate", "-c", str(main), "--format", "json"], env={})
    found = json.loads(result.output)
    return sorted(
        (d["line"], d["severity"], d["message"], d["hint"])
        for d in found
        if "no 'messages:' section" not in d["message"]
    )


def test_texts_in_rules_and_commands_choices_and_statuses_may_be_translated(small: Path) -> None:
    assert problems(small) == []
    config = load_config(small)
    generation = build_generation(config)
    reply = config.commands["helpme"].actions[0]
    assert isinstance(reply, Reply) and reply.key is not None
    assert generation.translated(reply.key, reply.text or "", "es-419") == (
        "¡Mira tus mensajes privados, {{ user.name }}!"
    )
    assert config.commands["case"].options[0].choices == ("open", "fixed")  # what the command gets
    assert generation.status("bug", "fixed", "fr") == "corrigé"
    assert generation.status("bug", "fixed", "de") == "fixed"


def found_at(main: Path, *expected: tuple[str, str, str, str]) -> list[tuple[int, str, str, str]]:
    """(line, severity, message, hint) for each (fragment of its line, severity, message, hint)."""
    return [
        (line_of(main, fragment), severity, message, hint) for fragment, severity, message, hint in expected
    ]


def test_a_text_a_choice_or_a_status_without_a_locale_is_a_warning_at_its_line(small: Path) -> None:
    for old, new in (
        (', fr: "Avec plaisir !"}', "}"),
        ("          - {en-US: fixed, es-ES: corregido, fr: corrigé}", "          - fixed"),
        ("      fixed: {names: {es-ES: corregido, fr: corrigé}}", "      fixed: {names: {es-ES: corregido}}"),
    ):
        edit(small, old, new)
    assert problems(small) == found_at(
        small,
        (
            "          - fixed",
            "warning",
            "choice 'fixed' of option 'status' of command 'case' has no es-ES, fr text, so players in those "
            "languages get the en-US one",
            "write it as a map by locale: {en-US: ..., es-ES: ...}",
        ),
        (
            "fixed: {names",
            "warning",
            "status 'fixed' of case template 'bug' has no fr name, so players in that language see 'fixed'",
            "add to it: fixed: {names: {fr: ...}}",
        ),
        (
            "- dm: {en-US",
            "warning",
            "the dm of rule 'thanks' has no fr text, so players in that language get the en-US one",
            "write it as a map by locale: {en-US: ..., fr: ...}",
        ),
    )


def test_a_translated_text_in_a_rule_that_names_more_than_its_original_is_refused(small: Path) -> None:
    edit(small, '"{{ user.name }} a dit merci"', '"{{ user.name }} a dit merci pour {{ case.ref }}"')
    line = line_of(small, "a dit merci pour")
    message = "the fr text of the post of rule 'thanks' uses case.ref, which its en-US text does not"
    hint = "a translation can only fill in what the original fills in; check the spelling"
    assert problems(small) == [(line, "error", message, hint)]


def test_discords_limits_hold_in_every_language_each_at_its_line(small: Path) -> None:
    edit(small, "  case:\n", "  case:\n    names: {es-ES: Ñandú}\n")
    edit(small, 'fr: "Avec plaisir !"}', 'fr: "' + "Avec plaisir ! " * 140 + '"}')
    spanish = (
        "un nombre largo para una opción que se elige de una lista de muchas opciones posibles en español"
    )
    choices = "".join(f'          - {{en-US: c{i:02d}, es-ES: "{spanish} {i:02d}"}}\n' for i in range(25))
    edit(
        small,
        "          - {en-US: open, es-ES: abierto, fr: ouvert}\n"
        "          - {en-US: fixed, es-ES: corregido, fr: corrigé}\n",
        choices,
    )
    edit(
        small,
        "      status:\n",
        f"      area:\n        type: choice\n        choices:\n{choices}      status:\n",
    )
    found = [(line, message) for line, severity, message, _ in problems(small) if severity == "error"]
    assert [line for line, _ in found] == [
        line_of(small, "  case:"),
        line_of(small, "Ñandú"),
        line_of(small, "Avec plaisir ! Avec"),
    ]
    size = re.search(
        r"^command 'case' is too big for Discord: .* add up to ([\d,]+) characters$", found[0][1]
    )
    assert size and int(size.group(1).replace(",", "")) > 4000  # in English alone, 400 or so
    assert found[1][1] == "'Ñandú' is not a valid es-ES name of /case"
    assert found[2][1] == (
        "the text of the dm of rule 'thanks' in fr is too long for Discord: 2100 characters without its "
        "{{ }} parts"
    )
