"""engine.config.schema: the JSON Schemas, and their errors in plain words."""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from engine.cli import main as cli
from engine.config.diagnostics import Diagnostic
from engine.config.loader import load
from engine.config.schema.definitions import (
    COMMAND_NAME,
    DATE,
    DAYS,
    DURATION,
    ENV_NUMBER,
    ENV_WHOLE_NUMBER,
    FILE_SIZE,
    IDENTIFIER,
    LISTEN,
    LISTEN_FROM_ENV,
    LOCALE,
    MIME_TYPE,
    PREFIX,
    RATE,
    SLUG,
    STORAGE,
    TIMES,
    URL,
    URL_OR_EMPTY,
    from_env,
)
from engine.config.schema.documents import dump, quick_pattern, schemas
from engine.config.schema.explain import validate_file
from tests.fixtures.config.demo import ROOT, col_of, copy_demo, edit, line_of

SHIPPED_YAML = [
    ROOT / "flexcord.yaml",
    *sorted((ROOT / "routes").glob("*.yaml")),
    *sorted((ROOT / "tests" / "routes").glob("*.yaml")),
]


def schema_problems(main: Path) -> list[Diagnostic]:
    """Every schema problem of every file of the config at `main` (the same with the quick validator)."""
    found: list[Diagnostic] = []
    for part in load(main).parts:
        check = validate_file(part.doc, part.file, main=part.main)
        assert validate_file(part.doc, part.file, main=part.main, plain=part.plain) == check
        found.extend(check.diagnostics)
    return sorted(found, key=lambda d: (d.file, d.line, d.col))


def only(problems: list[Diagnostic]) -> Diagnostic:
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def routes(demo: Path, name: str) -> Path:
    return demo.parent / "routes" / f"{name}.yaml"


# --- the schema files ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ROOT / "schemas").glob("*.json")), ids=lambda p: p.name)
def test_every_schema_file_passes_the_draft_2020_12_metaschema(path: Path) -> None:
    Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))


def test_schemas_folder_is_what_flexcord_schema_writes(tmp_path: Path) -> None:
    for name, schema in schemas().items():
        assert (ROOT / "schemas" / name).read_text(encoding="utf-8") == dump(schema), (
            "run flexcord schema --write"
        )
    runner = CliRunner()
    written = runner.invoke(cli, ["schema", "--write", str(tmp_path)])
    assert written.exit_code == 0, written.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(schemas())
    assert runner.invoke(cli, ["schema", "--check", "--write", str(ROOT / "schemas")]).exit_code == 0
    (tmp_path / "routes.schema.json").write_text("{}", encoding="utf-8")
    assert runner.invoke(cli, ["schema", "--check", "--write", str(tmp_path)]).exit_code == 1


def test_flexcord_schema_prints_one_or_all() -> None:
    runner = CliRunner()
    one = runner.invoke(cli, ["schema", "routes"])
    assert json.loads(one.output)["title"] == "flexcord route file"
    everything = json.loads(runner.invoke(cli, ["schema"]).output)
    assert set(everything) == set(schemas())


@pytest.mark.parametrize("path", SHIPPED_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_yaml_file_names_an_existing_schema_on_its_first_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    found = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert found, f"{path} starts with {first!r}"
    assert (path.parent / found.group(1)).resolve().is_file()


def _walk(schema: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema inside `schema`, except the conditions under `if` (they describe, not declare)."""
    if isinstance(schema, dict):
        yield where, schema
        for key, sub in schema.items():
            if key != "if":
                yield from _walk(sub, f"{where}.{key}")
    elif isinstance(schema, list):
        for index, sub in enumerate(schema):
            yield from _walk(sub, f"{where}[{index}]")


@pytest.mark.parametrize("name", sorted(schemas()))
def test_every_property_has_a_title_and_a_description(name: str) -> None:
    properties = [
        (f"{where}.{key}", sub)
        for where, schema in _walk(schemas()[name])
        for key, sub in schema.get("properties", {}).items()
    ]
    assert len(properties) > 50
    assert [where for where, sub in properties if "title" not in sub or "description" not in sub] == []


@pytest.mark.parametrize("name", sorted(schemas()))
def test_every_mapping_with_known_keys_refuses_unknown_ones(name: str) -> None:
    objects = [(where, schema) for where, schema in _walk(schemas()[name]) if "properties" in schema]
    assert len(objects) > 10
    assert [where for where, schema in objects if schema.get("additionalProperties") is not False] == []


def test_the_demo_passes_the_schemas() -> None:
    assert schema_problems(ROOT / "flexcord.yaml") == []


# --- errors in plain words -----------------------------------------------------------------------


def test_a_misspelt_top_level_key_is_refused_at_the_key_with_did_you_mean(demo: Path) -> None:
    edit(demo, "storage:", "storge:")
    problem = only(schema_problems(demo))
    assert (problem.file, problem.line, problem.col) == (str(demo), line_of(demo, "storge:"), 1)
    assert problem.message == "unknown key 'storge' in flexcord.yaml"
    assert problem.hint == "did you mean 'storage'?"


def test_a_misspelt_route_section_is_refused_in_its_route_file(demo: Path) -> None:
    edit(routes(demo, "server"), "channels:", "chanels:")
    problem = only(schema_problems(demo))
    assert (problem.line, problem.col, problem.hint) == (
        line_of(routes(demo, "server"), "chanels:"),
        1,
        "did you mean 'channels'?",
    )


def test_a_setting_in_a_route_file_is_sent_back_to_flexcord_yaml(demo: Path) -> None:
    edit(routes(demo, "server"), "roles: [admin, moderator]", "roles: [admin, moderator]\nstorage: x")
    problem = only(schema_problems(demo))
    assert problem.message == "'storage' belongs in flexcord.yaml, not in a route file"


def test_a_33_character_command_name_is_refused_at_its_line(demo: Path) -> None:
    name = "a_really_long_command_name_that_x"
    assert len(name) == 33
    commands = routes(demo, "commands")
    edit(commands, "  helpme:", f"  {name}:")
    problem = only(schema_problems(demo))
    assert (problem.file, problem.line, problem.col) == (str(commands), line_of(commands, name), 3)
    assert problem.message == f"command name '{name}' is too long: 33 characters"
    assert problem.hint == "use at most 32 characters"


def test_a_command_name_with_capitals_gets_the_allowed_form(demo: Path) -> None:
    edit(routes(demo, "commands"), "  helpme:", "  HelpMe:")
    problem = only(schema_problems(demo))
    assert problem.message == "'HelpMe' is not a valid command name"
    assert "lowercase letters (of any alphabet), digits, - and _" in (
        problem.hint or ""
    ) and "try 'helpme'" in (problem.hint or "")


def test_a_form_with_six_fields_is_refused_at_the_form(demo: Path) -> None:
    cases = routes(demo, "cases")
    edit(
        cases,
        "      device:\n",
        "      seen: {label: When did it happen?}\n      more: {label: Anything else?}\n      device:\n",
    )
    problem = only(schema_problems(demo))
    assert (problem.line, problem.col) == (line_of(cases, "      summary:"), 7)
    assert problem.message == "too many form fields in 'form' of case template 'bug': 6"
    assert problem.hint == "use at most 5"


def test_wrong_shapes_enums_ranges_and_patterns_are_each_explained(demo: Path) -> None:
    rules = routes(demo, "rules")
    edit(
        rules,
        "      where: dm\n    do:\n      - chatbot: faq",
        "      where: dm\n      state: sleeping\n    do:\n      - chatbot: faq",
    )
    edit(rules, "priority: 10", "priority: 101")
    edit(routes(demo, "commands"), "channels: [bug-report]", "channels: bug-report")
    edit(routes(demo, "commands"), "cooldown: 3/1h", "cooldown: 3 an hour")
    found = {(d.file.rsplit("/", 1)[-1], d.line): d for d in schema_problems(demo)}
    assert len(found) == 4
    state = found["rules.yaml", line_of(rules, "sleeping")]
    assert (
        state.message
        == "'when.state' of rule 'everything else': expected one of: bot, queued, agent, closed; "
        "got 'sleeping'"
    )
    assert state.col == col_of(rules, "sleeping")
    priority = found["rules.yaml", line_of(rules, "priority: 101")]
    assert priority.hint == "use 0 to 100"
    channels = found["commands.yaml", line_of(routes(demo, "commands"), "channels: bug-report")]
    assert (
        channels.message
        == "'channels' of command 'bug' should be a list of names, not the single word 'bug-report'"
    )
    assert channels.hint == "write a list in brackets: [bug-report]"
    cooldown = found["commands.yaml", line_of(routes(demo, "commands"), "3 an hour")]
    assert cooldown.message.startswith("'3 an hour' is not a valid limit")
    assert "2/10m" in (cooldown.hint or "")


def test_actions_are_checked_by_their_key(demo: Path) -> None:
    commands = routes(demo, "commands")
    edit(commands, "do:\n      - open_case: bug\n", "do: [open_cases: bug, reply, leave_queue: now]\n")
    problems = schema_problems(demo)
    assert [p.message for p in problems] == [
        "unknown action 'open_cases'",
        "action 'reply' needs a value",
        "'leave_queue' takes no value",
    ]
    assert problems[0].hint == "did you mean 'open_case'?"
    assert problems[1].hint == "write it like 'reply: Thanks {{ user.name }}!'"
    assert [p.col for p in problems] == [
        col_of(commands, "open_cases"),
        col_of(commands, "reply,"),
        col_of(commands, "now"),
    ]


def test_two_actions_in_one_item_are_explained(demo: Path) -> None:
    edit(
        routes(demo, "commands"),
        '      - reply: "Check your DMs, {{ user.name }}!"\n',
        '      - reply: "Check your DMs, {{ user.name }}!"\n        post: {channel: mod-log, text: hi}\n',
    )
    problem = only(schema_problems(demo))
    assert problem.message == "one action per list item; this one has 2: reply, post"


def test_a_misspelt_key_is_not_also_reported_as_missing(demo: Path) -> None:
    edit(
        routes(demo, "commands"),
        "description:\n      en-US: File an official bug report",
        "descripton:\n      en-US: File an official bug report",
    )
    problem = only(schema_problems(demo))
    assert problem.message == "unknown key 'descripton' in command 'bug'"
    assert problem.hint == "did you mean 'description'?"


def test_a_missing_key_is_reported_at_the_entry(demo: Path) -> None:
    cases = routes(demo, "cases")
    edit(cases, "    prefix: SUP\n", "")
    problem = only(schema_problems(demo))
    assert (problem.line, problem.col) == (line_of(cases, "support:"), 3)
    assert problem.message == "missing 'prefix' in case template 'support'"


def test_several_errors_in_one_file_are_all_reported_in_one_run(demo: Path) -> None:
    edit(demo, "version: 1", "version: 2")
    edit(demo, "  task_channel: chat", "  task_chanel: chat")
    edit(demo, "max_body_bytes: 65536", "max_body_bytes: 10")
    edit(demo, '    mon-fri: "09:00-18:00"', '    monday-friday: "9 to 6"')
    problems = schema_problems(demo)
    assert [(p.line, p.message.split(" ")[0]) for p in problems] == [
        (line_of(demo, "version: 2"), "'version'"),
        (line_of(demo, "task_chanel"), "unknown"),
        (line_of(demo, "max_body_bytes"), "'server.max_body_bytes'"),
        (line_of(demo, "monday-friday"), "'monday-friday'"),
        (line_of(demo, "monday-friday"), "'9"),
    ]
    assert problems[2].hint == "use 1024 to 10485760"


# --- the quick validator ---------------------------------------------------------------------------

EXAMPLES = {  # a value each pattern accepts
    SLUG: "bug-report_2",
    COMMAND_NAME: "помощь_2",
    IDENTIFIER: "handoff_started",
    LOCALE: "es-419",
    PREFIX: "BUG1",
    DURATION: "1h30m",
    RATE: "2/10m",
    DAYS: "mon-fri, sat",
    TIMES: "09:00-12:00, 13:00-18:00",
    DATE: "2026-12-25",
    STORAGE: "sqlite:///flexcord.db",
    LISTEN: "127.0.0.1:8080",
    URL: "https://example.org/hook",
    URL_OR_EMPTY: "https://example.org/hook",
    FILE_SIZE: "2 MB",
    MIME_TYPE: "image/svg+xml",
    from_env(STORAGE): "${FLEXCORD_STORAGE:-sqlite:///flexcord.db}",
    LISTEN_FROM_ENV: "0.0.0.0:${PORT:-8080}",
    from_env(URL_OR_EMPTY): "${FLEXCORD_PUBLIC_URL:-https://example.org/hook}",
    from_env(DURATION): "${QUEUE_TIMEOUT:-1h30m}",
    from_env(RATE): "${PLAYER_MESSAGES:-10/1m}",
    from_env(FILE_SIZE): "${MAX_FILE:-2 MB}",
    ENV_WHOLE_NUMBER: "${FLEXCORD_MAX_BODY:-65536}",
    ENV_NUMBER: "${MIN_CONFIDENCE:-0.5}",
}
PROBES = sorted(
    {*range(0x300), 0x10000, 0x1F600, 0x10FFFF}
    | {
        c
        for c in range(0x300, 0x10000)
        if not 0xD800 <= c < 0xE000
        and (chr(c).isspace() or unicodedata.category(chr(c)) in {"Zs", "Zl", "Zp", "Cc", "Cf", "Nd"})
    }
)


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


@pytest.mark.parametrize("pattern", sorted(set(_patterns(list(schemas().values())))))
def test_a_quick_pattern_accepts_no_text_python_refuses(pattern: str) -> None:
    assert pattern in EXAMPLES, "add an example for the new pattern"
    quick = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": quick_pattern(pattern)})
    example = EXAMPLES[pattern]
    assert quick.is_valid(example) and re.search(pattern, example)
    middle = len(example) // 2
    for char in map(chr, PROBES):
        for text in (
            char + example,
            example[:middle] + char + example[middle:],
            example[:middle] + char + example[middle + 1 :],
            example + char,
        ):
            if quick.is_valid(text):
                assert re.search(pattern, text), f"{text!r} passes the quick check only"


@pytest.mark.parametrize(
    ("pattern", "quick"),
    [
        (r"^https?://\S+$", r"^https?://[^\s\x1c-\x1f\x85]+$"),
        (r"a\\S", r"a\\S"),  # a backslash, then the letter S
        (r"a\\\S", r"a\\[^\s\x1c-\x1f\x85]"),
    ],
)
def test_only_a_real_not_space_class_is_rewritten(pattern: str, quick: str) -> None:
    assert quick_pattern(pattern) == quick


_DEMO_PARTS = load(ROOT / "flexcord.yaml").parts
_ODD_TEXT = [
    "https://a\x1cb",
    "https://a\x85b",
    "https://ab\n",
    "https://a\ufeff",
    "sqlite:///x.db\n",
    "mon-fri\n",
    "09:00-18:00\n",
    "2026-12-25\n",
    "a\ud800",
    "BUG",
    "bug-report",
    "10m",
    "2/10m",
    "",
    " ",
    "\u2028",
]
_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=10)
    | st.sampled_from(_ODD_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a document, to put another value at."""
    found: list[tuple[Any, Any]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found.append((node, key))
        found.extend(_slots(value))
    return found


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_quick_validator_never_passes_a_file_the_full_check_refuses(data: st.DataObject) -> None:
    part = data.draw(st.sampled_from(_DEMO_PARTS))
    doc = copy.deepcopy(part.doc)
    for _ in range(data.draw(st.integers(1, 3))):
        slots = _slots(doc)
        container, key = data.draw(st.sampled_from(slots)) if slots else (doc, "x")
        if data.draw(st.booleans()) and isinstance(container, dict):
            container[data.draw(st.text(max_size=12))] = data.draw(_VALUES)
        else:
            container[key] = data.draw(_VALUES)
    full = validate_file(doc, part.file, main=part.main)
    assert validate_file(doc, part.file, main=part.main, plain=True) == full
