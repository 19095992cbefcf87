"""engine.config.loader and engine.config.yaml: reading flexcord.yaml and its route files, with marks and
plain-words errors."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import build
from engine.config.diagnostics import Diagnostic
from engine.config.loader import MAX_FILE_BYTES, load
from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList, mark_of
from engine.config.yaml.read import YamlRead, read
from tests.fixtures.config.demo import ROOT, col_of, copy_demo, edit, fixture, line_of


def only(diagnostics: list[Diagnostic], severity: str = "error") -> Diagnostic:
    found = [d for d in diagnostics if d.severity == severity]
    assert len(found) == 1, "\n".join(str(d) for d in diagnostics)
    return found[0]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


# --- the shipped demo ----------------------------------------------------------------------------


def test_the_demo_loads_merged_with_every_route_file_and_its_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = load("flexcord.yaml")
    assert result.diagnostics == []
    assert result.root == "."
    assert result.files == (
        "flexcord.yaml",
        "routes/cases.yaml",
        "routes/commands.yaml",
        "routes/messages.yaml",
        "routes/rules.yaml",
        "routes/server.yaml",
    )
    doc = result.doc
    assert set(doc["commands"]) == {"bug", "new_feature", "helpme", "case"}
    assert [rule["name"] for rule in doc["rules"]][:2] == ["leave the queue", "after hours"]
    commands = Path("routes/commands.yaml")
    assert mark_of(doc["commands"], "case", of_key=True) == Mark(
        "routes/commands.yaml", line_of(commands, "  case:"), 3
    )
    assert mark_of(doc["rules"], 4) == Mark(
        "routes/rules.yaml", line_of(Path("routes/rules.yaml"), "everything else"), 5
    )
    assert mark_of(doc["discord"], "admin_channel") == Mark("flexcord.yaml", 10, 18)
    assert isinstance(doc["channels"], MarkedDict) and isinstance(doc["roles"], MarkedList)
    assert len(result.content_hash) == 64


def test_paths_keep_the_form_they_were_given_in(demo: Path) -> None:
    result = load(demo)
    assert result.root == str(demo.parent)
    assert result.files[1] == str(demo.parent / "routes" / "cases.yaml")
    assert mark_of(result.doc["cases"], "bug", of_key=True) == Mark(
        str(demo.parent / "routes" / "cases.yaml"),
        5,
        3,  # after the comment lines
    )


def test_yaml_1_2_scalars_keep_words_times_and_dates_as_text(tmp_path: Path) -> None:
    main = write(
        tmp_path / "flexcord.yaml",
        "version: 1\nrules:\n  - {name: x, when: {says: [yes, no, on, off]}, do: [close]}\n"
        "hours: {timezone: UTC, open: {sat: 10:00-14:00, sun: 10:00}, closed_on: [2026-12-25]}\n"
        "octal: 010\nflag: True\nratio: 0.5\nnothing: ~\n",
    )
    doc = load(main).doc
    assert doc["rules"][0]["when"]["says"] == ["yes", "no", "on", "off"]
    assert doc["hours"]["open"] == {"sat": "10:00-14:00", "sun": "10:00"}
    assert doc["hours"]["closed_on"] == ["2026-12-25"]
    assert (doc["octal"], doc["flag"], doc["ratio"], doc["nothing"]) == (10, True, 0.5, None)


def test_a_block_of_text_is_marked_at_its_first_line(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\nmessages:\n  closed: |\n    Bye!\n    See you.\n")
    doc = load(main).doc
    assert doc["messages"]["closed"] == "Bye!\nSee you.\n"
    assert mark_of(doc["messages"], "closed") == Mark(str(main), 4, 5)


# --- refusals, each at its place -----------------------------------------------------------------


def test_a_duplicate_key_is_refused_at_the_second_naming_the_first(demo: Path) -> None:
    commands = demo.parent / "routes" / "commands.yaml"
    edit(commands, "    cooldown: 3/1h\n", "    cooldown: 3/1h\n    description: Another one\n")
    problem = only(load(demo).diagnostics)
    first = line_of(commands, "en-US: Request a new feature") - 1  # the description's key
    assert (problem.file, problem.line, problem.col) == (str(commands), line_of(commands, "Another one"), 5)
    assert problem.message == "'description' is written twice here"
    assert f"line {first}" in (problem.hint or "")


def test_bad_indentation_is_explained_at_its_line(demo: Path) -> None:
    commands = demo.parent / "routes" / "commands.yaml"
    edit(commands, "    channels: [bug-report]\n", "   channels: [bug-report]\n")
    result = load(demo)
    problem = only(result.diagnostics)
    assert (problem.file, problem.line, problem.col) == (str(commands), line_of(commands, "[bug-report]"), 4)
    assert problem.message == "this line is indented differently from the lines above it"
    assert "cases" in result.doc and "commands" not in result.doc  # the other files still load


def test_over_indentation_is_explained_at_its_line(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\ndiscord:\n  guild: x\n    token: y\n")
    problem = only(load(main).diagnostics)
    assert (problem.line, problem.col) == (4, 5)
    assert "indented differently" in problem.message


def test_a_colon_inside_a_value_asks_for_quotes(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\nname: Bug: crash\n")
    problem = only(load(main).diagnostics)
    assert (problem.line, problem.col) == (2, 10)
    assert "quotes" in (problem.hint or "")


def test_an_unclosed_list_is_pointed_at_where_it_opens(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\ninclude: [routes/*.yaml\nname: x\n")
    problem = only(load(main).diagnostics)
    assert (problem.line, problem.col, problem.message) == (2, 10, "this list is not closed with ']'")


def test_tabs_used_for_indentation_are_refused() -> None:
    problem = only(load(fixture("tabs.yaml")).diagnostics)
    assert (problem.line, problem.col) == (3, 1)
    assert problem.message == "this line is indented with a tab"
    assert problem.hint == "use spaces"


def test_bytes_that_are_not_utf8_are_refused_naming_the_line() -> None:
    problem = only(load(fixture("not_utf8.yaml")).diagnostics)
    assert (problem.line, problem.col) == (3, 13)
    assert "line 3" in problem.message and "UTF-8" in problem.message


def test_a_file_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\n" + "# padding\n" * (MAX_FILE_BYTES // 10))
    problem = only(load(main).diagnostics)
    assert (problem.line, problem.col) == (1, 1)
    assert "too big" in problem.message and "1 MiB" in (problem.hint or "")


def test_aliases_are_refused_so_an_alias_bomb_cannot_expand() -> None:
    result = load(fixture("alias_bomb.yaml"))  # expanded, it would be a billion strings
    errors = [d for d in result.diagnostics if d.severity == "error"]
    assert len(errors) == 8 * 9
    assert (errors[0].line, errors[0].col) == (4, 8)
    assert errors[0].message == "aliases like '*a' are not supported"


def test_nesting_too_deep_to_read_safely_is_refused(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    problem = only(load(main).diagnostics)  # composed, this would crash the process
    # Line 2 on every PyYAML in range: older ones give flexcord's own count (column 4 + 63, the top
    # mapping being the first level), newer ones stop first at a limit of their own further along.
    assert problem.line == 2 and problem.col >= 4 + 63
    assert problem.message == "lists and mappings are nested more than 64 deep here"


def test_a_value_with_a_tag_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\nx: !!int abc\n")
    problem = only(load(main).diagnostics)
    assert (problem.line, problem.col, problem.message) == (2, 4, "tags like '!!int' are not supported here")


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    problem = only(load(tmp_path / "flexcord.yaml").diagnostics)
    assert problem.message == "file not found"


def test_an_include_that_matches_nothing_is_an_error(demo: Path) -> None:
    edit(demo, "include: [routes/*.yaml]", "include: [routes/*.yaml, extra/*.yml]")
    result = load(demo)
    error = only(result.diagnostics, "error")
    assert (error.line, error.col) == (line_of(demo, "include:"), col_of(demo, "extra/*.yml"))
    assert "matches no files" in error.message
    assert error.hint and "check the folder name and the extension (.yaml)" in error.hint
    assert len(result.files) == 6


def test_a_syntax_error_in_one_route_file_leaves_the_others_loaded(demo: Path) -> None:
    edit(
        demo.parent / "routes" / "rules.yaml",
        "  support:\n    description: General player support\n",
        "  support: {description: General player support\n",
    )
    result = load(demo)
    assert only(result.diagnostics).file.endswith("rules.yaml")
    assert {"commands", "cases", "messages", "channels"} <= set(result.doc)
    assert "rules" not in result.doc
    assert len(result.files) == 6 and len(result.parts) == 5


# --- ${VAR} ------------------------------------------------------------------------------------


def test_an_unset_variable_is_an_error_online_at_its_exact_place(demo: Path) -> None:
    env = {
        "TWILIO_ACCOUNT_SID": "AC1",
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_WORKSPACE_SID": "WS1",
        "TWILIO_WORKFLOW_SID": "WW1",
    }
    problem = only(load(demo, env=env, offline=False).diagnostics)
    assert (problem.line, problem.col) == (line_of(demo, "token: ${DISCORD_TOKEN}"), 10)
    assert problem.message == "environment variable DISCORD_TOKEN is not set"
    assert problem.hint == "set it before starting, or write ${DISCORD_TOKEN:-value}"


def test_an_unset_variable_is_empty_offline(demo: Path) -> None:
    result = load(demo, env={}, offline=True)
    assert result.diagnostics == []
    assert result.doc["discord"]["token"] == ""


def test_variables_defaults_and_escapes(tmp_path: Path) -> None:
    main = write(
        tmp_path / "flexcord.yaml",
        'version: 1\nname: "${A}-${B:-bee}-${C:-}-$${A}"\nguild: pre ${A} post\nempty: ${E:-fallback}\n',
    )
    doc = load(main, env={"A": "ay", "E": ""}, offline=False).doc
    assert doc["name"] == "ay-bee--${A}"
    assert doc["guild"] == "pre ay post"
    assert doc["empty"] == "fallback"


def test_a_second_variable_on_a_line_is_marked_at_its_own_column(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\nname: ${A:-x} and ${MISSING}\n")
    problem = only(load(main, env={}, offline=False).diagnostics)
    assert (problem.line, problem.col) == (2, 19)


def test_a_broken_variable_is_an_error(tmp_path: Path) -> None:
    main = write(tmp_path / "flexcord.yaml", "version: 1\nname: ${NOT A NAME}\n")
    problem = only(load(main).diagnostics)
    assert (problem.line, problem.col) == (2, 7)
    assert "not an environment variable" in problem.message


# --- merging route files -------------------------------------------------------------------------


def test_the_same_name_in_two_route_files_is_refused_at_the_second(demo: Path) -> None:
    extra = write(
        demo.parent / "routes" / "zz-more.yaml", "commands:\n  bug:\n    description: x\n    do: [close]\n"
    )
    problem = only(load(demo).diagnostics)
    commands = demo.parent / "routes" / "commands.yaml"
    assert (problem.file, problem.line, problem.col) == (str(extra), 2, 3)
    assert problem.message == f"command 'bug' is already defined at {commands}:{line_of(commands, '  bug:')}"


def test_list_sections_are_concatenated_in_file_order(demo: Path) -> None:
    write(
        demo.parent / "routes" / "aa-first.yaml", "roles: [helper]\nrules:\n  - {name: first, do: [close]}\n"
    )
    doc = load(demo).doc
    assert doc["rules"][0]["name"] == "first"
    assert mark_of(doc["rules"], 0) == Mark(str(demo.parent / "routes" / "aa-first.yaml"), 3, 5)
    assert doc["roles"] == ["helper", "admin", "moderator"]


def test_route_sections_may_also_live_in_flexcord_yaml(demo: Path) -> None:
    edit(demo, "include: [routes/*.yaml]", "include: [routes/*.yaml]\nqueues:\n  vip: {description: VIPs}")
    doc = load(demo).doc
    assert set(doc["queues"]) == {"vip", "support", "billing"}
    assert mark_of(doc["queues"], "vip", of_key=True) == Mark(str(demo), line_of(demo, "vip:"), 3)


# --- content hash --------------------------------------------------------------------------------


def test_the_content_hash_follows_the_content_and_the_articles(demo: Path) -> None:
    first = load(demo).content_hash
    assert load(demo).content_hash == first
    edit(demo.parent / "routes" / "messages.yaml", "joined the chat.", "joined the chat!")
    second = load(demo).content_hash
    assert second != first
    (demo.parent / "kb" / "new-article.md").write_text("---\ntitle: New\n---\nHello\n", encoding="utf-8")
    assert load(demo).content_hash != second


def test_a_single_include_pattern_may_be_written_without_a_list(demo: Path) -> None:
    edit(demo, "include: [routes/*.yaml]", "include: routes/*.yaml")
    result = load(demo)
    assert result.diagnostics == [] and len(result.files) == 6


# --- the one-pass reader and the full reader agree -----------------------------------------------

ENV = {"SET": "a value"}
ODD_YAML = {
    "anchor": "version: 1\na: &x 1\nb: 2\n",
    "alias": "a: &x 1\nb: *x\n",
    "wrong tag": "x: !!int abc\n",
    "text tag": "x: !!str 5\n",
    "local tag": "x: !thing 5\n",
    "non-specific tag": "x: ! 5\n",
    "tagged key": "!!str 1: a\n",
    "tagged mapping": "x: !!map {a: 1}\n",
    "pairs": "x: !!pairs [a: 1, b: 2]\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "list as key": "[a]: 1\n",
    "mapping as key": "{a: 1}: 2\n",
    "explicit key": "? a\n: 1\n",
    "second document": "a: 1\n---\nb: 2\n",
    "empty": "",
    "comments only": "# nothing here\n",
    "document marker only": "---\n",
    "single value": "just words\n",
    "list at the top": "- a\n- b\n",
    "unclosed list": "a: [1, 2\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "tab": "a:\n\tb: 1\n",
    "blocks of text": "a: |\n  one\n  two\nb: >-\n  three\n  four\nc: |+\n\n  five\nd: |\n",
    "core schema": (
        "t: true\nf: False\nn: null\ne:\ntilde: ~\ni: -12\nplus: +3\nu: 1_000\nfl: 1.5e3\ndot: .5\n"
        "inf: -.inf\nnan: .nan\ny: yes\nno: no\non: on\ntime: 10:00\ndate: 2026-12-25\noct: 0o17\n"
        "hex: 0x1f\nkeys: {1: a, true: b, null: c, ~: d}\n"
    ),
    "quoted": "a: '1'\nb: \"true\"\nc: 'it''s'\nd: \"tab\\there\"\ne: ''\n",
    "flow": "a: {b: [1, {c: d}], e: []}\nf: {}\n",
    "variables": (
        "a: ${SET}\nb: ${UNSET}\nc: ${UNSET:-dflt}\nd: $${SET}\ne: ${bad name}\nf: ${\n"
        'g: "${SET} and ${UNSET}"\n'
        'h: |\n  ${SET}\n  ${UNSET}\ni: ["${UNSET}", x]\n'
    ),
    "windows line ends": "a: 1\r\nb:\r\n  - c\r\n",
    "byte order mark": "\ufeffa: 1\n",
    "unicode": "naïve: café ☕\n",
    "64 deep": "x: " + "[" * 63 + "]" * 63 + "\n",
    "65 deep": "x: " + "[" * 64 + "]" * 64 + "\n",
}
NOT_PLAIN = {
    "anchor",
    "alias",
    "wrong tag",
    "text tag",
    "local tag",
    "non-specific tag",
    "tagged key",
    "tagged mapping",
    "pairs",
    "duplicate key",
    "list as key",
    "mapping as key",
    "second document",
    "unclosed list",
    "bad indentation",
    "tab",
    "65 deep",
}


def shape(value: Any) -> Any:
    """Everything a reader gives back for a value: kinds, values, marks and attributes."""
    if isinstance(value, MarkedDict):
        items = [(k, value.key_marks[k], value.value_marks[k], shape(v)) for k, v in value.items()]
        return ("mapping", value.mark, items, sorted(vars(value)))
    if isinstance(value, MarkedList):
        return ("list", value.mark, list(value.item_marks), [shape(v) for v in value], sorted(vars(value)))
    return (type(value).__name__, repr(value))


def assert_both_readers_agree(path: Path, env: dict[str, str], offline: bool) -> YamlRead:
    quick = read(str(path), env=env, offline=offline)
    full = read(str(path), env=env, offline=offline, one_pass=False)
    assert not full.plain
    assert (quick.readable, quick.problems) == (full.readable, full.problems)
    assert shape(quick.data) == shape(full.data)
    return quick


@pytest.mark.parametrize("offline", [True, False], ids=["offline", "online"])
@pytest.mark.parametrize("name", sorted(ODD_YAML))
def test_the_one_pass_reader_gives_what_the_full_reader_gives(
    tmp_path: Path, name: str, offline: bool
) -> None:
    path = tmp_path / "file.yaml"
    path.write_bytes(ODD_YAML[name].encode("utf-8"))
    quick = assert_both_readers_agree(path, ENV, offline)
    assert quick.plain == (name not in NOT_PLAIN)


SHIPPED = [
    ROOT / "flexcord.yaml",
    *sorted((ROOT / "routes").glob("*.yaml")),
    *sorted((ROOT / "tests" / "routes").glob("*.yaml")),
    *sorted(Path(fixture("tabs.yaml")).parent.glob("*.yaml")),
]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_files_and_bad_fixtures_read_the_same_both_ways(path: Path) -> None:
    assert_both_readers_agree(path, ENV, offline=True)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(["${SET}", "${UNSET:-x}", "$${SET}", "${", "a: b", "- x", "#", "yes", "10:00", "1_0"]),
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=_DOCUMENTS,
    flow=st.sampled_from([None, True, False]),
    style=st.sampled_from([None, '"', "'", "|", ">"]),
    offline=st.booleans(),
)
def test_any_dumped_document_reads_the_same_both_ways(
    tmp_path: Path, data: Any, flow: bool | None, style: str | None, offline: bool
) -> None:
    path = tmp_path / "generated.yaml"
    text = yaml.safe_dump(data, default_flow_style=flow, default_style=style, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    assert_both_readers_agree(path, ENV, offline)


# --- build ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("collecting", [True, False])
def test_build_leaves_the_garbage_collector_as_it_found_it(collecting: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if collecting else gc.disable()
        assert build(ROOT / "flexcord.yaml", env={}, offline=True).ok
        assert gc.isenabled() is collecting
    finally:
        gc.enable() if was else gc.disable()
