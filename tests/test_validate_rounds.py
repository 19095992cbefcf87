"""`flexcord validate` as a community manager meets it: every file and check runs, each mistake once,
Discord's limits in full, and configs that validated before still validate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main as cli
from tests.fixtures.config.demo import ROOT, copy_demo, edit, line_of


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def validate(main: Path) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(cli, ["validate", "-c", str(main), "--format", "json"], env={})
    return result.exit_code, json.loads(result.output)


def where(found: list[dict[str, object]]) -> list[tuple[str, object, str]]:
    return [(Path(str(d["file"])).name, d["line"], str(d["severity"])) for d in found]


def test_every_file_and_check_runs_when_one_file_cannot_be_read(demo: Path) -> None:
    rules = demo.parent / "routes" / "rules.yaml"
    server = demo.parent / "routes" / "server.yaml"
    edit(rules, "- chatbot: faq", "- [chatbot: faq")  # this file cannot be read
    edit(server, "    view: [admin, moderator]", "    view: []")  # a trap in another file
    edit(demo, "closed_on: [2026-12-25, 2027-01-01]", "closed_on: [2026-12-25, 2027-02-30]")
    exit_code, found = validate(demo)
    assert exit_code == 1
    assert where(found) == [
        ("flexcord.yaml", line_of(demo, "2027-02-30"), "error"),
        ("rules.yaml", line_of(rules, "- [chatbot: faq"), "error"),
        ("server.yaml", line_of(server, "view: []"), "warning"),
    ]  # and no "not declared" for the names rules.yaml would have declared


def test_a_date_in_the_wrong_form_is_reported_once(demo: Path) -> None:
    edit(demo, "closed_on: [2026-12-25, 2027-01-01]", "closed_on: [25/12/2026, 2027-01-01]")
    exit_code, found = validate(demo)
    assert exit_code == 1
    assert [(d["line"], d["message"], d["hint"]) for d in found] == [
        (
            line_of(demo, "25/12/2026"),
            "'25/12/2026' is not a valid date ('hours.closed_on' item 1)",
            "write it like 2026-12-25",
        )
    ]


def test_a_list_without_brackets_in_braces_is_reported_once(demo: Path) -> None:
    rules = demo.parent / "routes" / "rules.yaml"
    edit(
        rules,
        "    when:\n      where: dm\n    do:",
        "    when: {where: dm, says: refund, money back}\n    do:",
    )
    exit_code, found = validate(demo)
    assert exit_code == 1
    assert [(d["line"], d["hint"]) for d in found] == [
        (
            line_of(rules, "says: refund, money back"),
            "without brackets the commas end the list: write says: [refund, money back]",
        )
    ]


def test_command_names_in_any_alphabet_are_accepted_in_lowercase(demo: Path) -> None:
    commands = demo.parent / "routes" / "commands.yaml"
    edit(commands, "  helpme:", "  помощь:")
    assert validate(demo) == (0, [])
    edit(commands, "  помощь:", "  Помощь:")
    exit_code, found = validate(demo)
    assert exit_code == 1
    assert [(d["line"], d["message"], d["hint"]) for d in found] == [
        (
            line_of(commands, "Помощь:"),
            "'Помощь' is not a valid command name",
            "names must be lowercase: write 'помощь'",
        )
    ]


def test_a_command_over_discords_4000_characters_is_refused(demo: Path) -> None:
    commands = demo.parent / "routes" / "commands.yaml"
    choices = ", ".join(f"choice_{i:02d}_" + "x" * 90 for i in range(25))
    edit(
        commands, "        choices: [open, triaged, planned, fixed, closed]", f"        choices: [{choices}]"
    )
    exit_code, found = validate(demo)
    assert exit_code == 1
    (problem,) = found
    assert problem["line"] == line_of(commands, "  case:")
    assert "add up to 5,113 characters" in str(problem["message"]) and "at most 4,000" in str(problem["hint"])


def test_the_shipped_config_still_validates_without_a_warning() -> None:
    exit_code, found = validate(ROOT / "flexcord.yaml")
    assert (exit_code, found) == (0, [])


def test_a_word_with_a_colon_in_a_list_is_a_value_but_an_action_without_its_space_is_not(demo: Path) -> None:
    rules = demo.parent / "routes" / "rules.yaml"
    lines = rules.read_text(encoding="utf-8").splitlines()
    live = next(line for line in lines if line.startswith("      says: [agent") and line.endswith("]"))
    edit(
        rules,
        live + "\n    do:\n      - open_case",
        "      says:\n        - agent\n        - re:agent\n    do:\n      - open_case",
    )
    assert validate(demo) == (0, [])
    edit(rules, "    do:\n      - chatbot: faq", '    do:\n      - reply:"Ask me anything"')
    exit_code, found = validate(demo)
    assert exit_code == 1
    assert [(d["line"], d["hint"]) for d in found] == [
        (line_of(rules, 'reply:"Ask'), 'add a space after the colon: reply: "Ask me anything"')
    ]
