"""engine.config.checks: names that must exist, limits, templates, regexes, rule order."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.config.checks import check
from engine.config.checks.rules import check_rules
from engine.config.diagnostics import Diagnostic
from engine.config.loader import load
from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList
from tests.fixtures.config.demo import ROOT, col_of, copy_demo, edit, line_of


def problems(main: Path, severity: str | None = None) -> list[Diagnostic]:
    loaded = load(main)
    assert [d for d in loaded.diagnostics if d.severity == "error"] == []
    found = check(loaded.doc)
    return sorted(
        (d for d in found if severity is None or d.severity == severity), key=lambda d: (d.file, d.line)
    )


def only(found: list[Diagnostic]) -> Diagnostic:
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


def routes(demo: Path, name: str) -> Path:
    return demo.parent / "routes" / f"{name}.yaml"


def test_the_demo_has_no_problems() -> None:
    assert problems(ROOT / "flexcord.yaml") == []


def test_a_thread_conversation_is_a_reminder_that_it_needs_message_content(demo: Path) -> None:
    edit(routes(demo, "cases"), "    prefix: SUP", "    prefix: SUP\n    conversation: thread")
    found = only(problems(demo))
    assert found.severity == "warning" and "Message Content intent" in found.message
    assert "Developer Portal" in (found.hint or "") and found.line == line_of(
        routes(demo, "cases"), "conversation"
    )


def test_a_thread_conversation_without_a_thread_channel_is_an_error(demo: Path) -> None:
    without = re.sub(r"  threads:.*?dm_fallback:[^\n]*\n", "", demo.read_text(), flags=re.S)
    demo.write_text(without)
    cases = routes(demo, "cases")
    text = cases.read_text().replace("    prefix: SUP", "    prefix: SUP\n    conversation: thread")
    cases.write_text(text)
    found = only(problems(demo, "error"))
    assert "conversation in a thread" in found.message and "threads: {channel: support}" in (found.hint or "")


# --- references ----------------------------------------------------------------------------------


def test_an_undeclared_channel_is_refused_at_its_line_with_did_you_mean(demo: Path) -> None:
    commands = routes(demo, "commands")
    edit(commands, "channels: [bug-report]", "channels: [bug-reports]")
    problem = only(problems(demo))
    assert (problem.file, problem.line, problem.col) == (
        str(commands),
        line_of(commands, "bug-reports"),
        col_of(commands, "bug-reports"),
    )
    assert problem.message == "channel 'bug-reports' used by command 'bug' is not declared"
    assert problem.hint == "did you mean 'bug-report'?"


def test_every_kind_of_reference_is_checked(demo: Path) -> None:
    rules, cases, server = routes(demo, "rules"), routes(demo, "cases"), routes(demo, "server")
    edit(demo, "admin_channel: mod-log", "admin_channel: modlog")
    edit(server, "view: [admin, moderator]", "view: [admin, moderators]")
    edit(cases, "post_to: feature-request", "post_to: features")
    edit(cases, "notify_on: [planned, closed]", "notify_on: [planed, closed]")
    edit(rules, "message: after_hours", "message: afterhours")
    edit(
        rules,
        "- open_case: support\n      - handoff:\n          queue: support\n",
        "- open_case: suport\n      - handoff:\n          queue: suport\n",
    )
    edit(rules, "- chatbot: faq", "- chatbot: faqs\n      - post: {channel: nowhere, text: hi}")
    edit(
        rules,
        "      where: dm\n    do:\n      - chatbot",
        "      where: [dm, lobby]\n      roles: [vip]\n    do:\n      - chatbot",
    )
    edit(routes(demo, "commands"), 'status: "{{ options.status }}"', "status: fixd")
    found = problems(demo)
    assert [
        (Path(d.file).name, d.line, d.message.split(" used by")[0].split(" is not")[0]) for d in found
    ] == [
        ("flexcord.yaml", line_of(demo, "modlog"), "channel 'modlog'"),
        ("cases.yaml", line_of(cases, "features"), "channel 'features'"),
        ("cases.yaml", line_of(cases, "planed"), "'planed'"),
        ("commands.yaml", line_of(routes(demo, "commands"), "fixd"), "'fixd'"),
        ("rules.yaml", line_of(rules, "afterhours"), "message 'afterhours'"),
        ("rules.yaml", line_of(rules, "open_case: suport"), "case template 'suport'"),
        ("rules.yaml", line_of(rules, "queue: suport"), "queue 'suport'"),
        ("rules.yaml", line_of(rules, "lobby"), "channel 'lobby'"),
        ("rules.yaml", line_of(rules, "vip"), "role 'vip'"),
        ("rules.yaml", line_of(rules, "faqs"), "chatbot 'faqs'"),
        ("rules.yaml", line_of(rules, "nowhere"), "channel 'nowhere'"),
        ("server.yaml", line_of(server, "moderators"), "role 'moderators'"),
    ]
    assert all(d.severity == "error" for d in found)
    hints = {d.message.split("'")[1]: d.hint for d in found}
    assert hints["planed"] == "did you mean 'planned'?"
    assert hints["fixd"] == "did you mean 'fixed'?"
    assert (
        hints["nowhere"] == "declare it under 'channels:' "
        "(declared: announcements, bug-report, feature-request, mod-log, support)"
    )


def test_a_case_with_a_form_opened_by_a_rule_is_a_warning(demo: Path) -> None:
    rules = routes(demo, "rules")
    edit(rules, "      - open_case: support\n\n", "      - open_case: bug\n\n")  # after hours
    warning = only(problems(demo))
    assert warning.severity == "warning"
    assert (warning.line, warning.col) == (line_of(rules, "open_case: bug"), col_of(rules, "bug"))
    assert "forms only appear for slash commands" in warning.message


# --- limits --------------------------------------------------------------------------------------


def test_more_than_100_commands_across_files_is_refused_at_the_101st(demo: Path) -> None:
    extra = routes(demo, "zz-many")
    extra.write_text(
        "commands:\n" + "".join(f"  c{i}: {{description: x, do: [close]}}\n" for i in range(97)),
        encoding="utf-8",
    )
    problem = only(problems(demo, "error"))  # each new command also lacks translations (warnings)
    assert (problem.file, problem.line) == (str(extra), 2 + 96)
    assert problem.message == "too many slash commands: 101 in all files together"
    assert problem.hint == "Discord allows at most 100 per server"


def test_text_longer_than_a_discord_message_is_refused_not_counting_placeholders(demo: Path) -> None:
    messages = routes(demo, "messages")
    edit(
        messages,
        '    en-US: "Your chat',
        '    en-US: "' + "x" * 1990 + " {{ case.ref }} {{ case.title }} Your chat",
    )
    problem = only(problems(demo))
    assert problem.line == line_of(messages, "x" * 1990)
    assert "too long for Discord: 2045 characters without its {{ }} parts" in problem.message
    assert "2000" in (problem.hint or "")
    edit(messages, "x" * 1990, "x" * 1900)
    assert problems(demo) == []


def test_min_above_max_and_choices_without_type_choice(demo: Path) -> None:
    commands, cases = routes(demo, "commands"), routes(demo, "cases")
    edit(
        commands,
        "      note:\n        type: string\n",
        "      note:\n        type: string\n        choices: [a]\n",
    )
    edit(commands, "        max: 500\n", "        min: 600\n        max: 500\n")
    edit(
        cases,
        "        max: 100\n      steps:",
        "        min: 200\n        max: 100\n      steps:",
    )
    found = problems(demo)
    assert [(d.line, d.message) for d in found] == [
        (
            line_of(cases, "min: 200"),
            "min (200) is larger than max (100) in form field 'summary' of case template 'bug'",
        ),
        (
            line_of(commands, "choices: [a]"),
            "option 'note' of command 'case' has choices but its type is string",
        ),
        (
            line_of(commands, "min: 600"),
            "min (600) is larger than max (500) in option 'note' of command 'case'",
        ),
    ]


def test_hours_need_a_real_timezone_and_real_dates(demo: Path) -> None:
    edit(demo, "timezone: America/Los_Angeles", "timezone: America/LosAngeles")
    edit(demo, "closed_on: [2026-12-25, 2027-01-01]", "closed_on: [2026-12-25, 2027-02-30]")
    found = problems(demo)
    assert [(d.line, d.col, d.message, d.hint) for d in found] == [
        (
            line_of(demo, "timezone"),
            13,
            "unknown timezone 'America/LosAngeles'",
            "did you mean 'America/Los_Angeles'?",
        ),
        (
            line_of(demo, "closed_on"),
            col_of(demo, "2027-02-30"),
            "'2027-02-30' is not a date in the calendar",
            "write it like 2026-12-25",
        ),
    ]


# --- templates -----------------------------------------------------------------------------------


def test_an_unknown_template_variable_is_refused_at_its_line(demo: Path) -> None:
    messages = routes(demo, "messages")
    edit(messages, "{{ agent.name }} joined the chat.", "{{ agnet.name }} joined the chat.")
    problem = only(problems(demo))
    assert (problem.line, problem.col) == (line_of(messages, "agnet"), col_of(messages, '"{{ agnet'))
    assert problem.message == "unknown variable 'agnet' in template of message 'agent_joined'"
    assert problem.hint == "did you mean 'agent'?"


def test_a_template_error_inside_a_block_of_text_points_at_its_own_line(demo: Path) -> None:
    messages = routes(demo, "messages")
    edit(
        messages,
        '    en-US: "Glad that helped! Ask me anything else any time."',
        "    en-US: |\n      Glad that helped!\n      Ask {{ me anything.\n",
    )
    problem = only(problems(demo))
    assert (problem.line, problem.col) == (line_of(messages, "Ask {{ me"), 7)
    assert problem.message.startswith("a {{ placeholder }} holds more than one name")
    assert problem.hint and "close each placeholder with '}}'" in problem.hint


def test_a_missing_built_in_message_is_a_warning_naming_the_default(demo: Path) -> None:
    from engine.config.messages import DEFAULT_MESSAGES

    messages = routes(demo, "messages")
    lines = messages.read_text(encoding="utf-8").splitlines()
    start = lines.index("  rating_prompt:")  # the message and its texts by locale, indented below it
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    messages.write_text("\n".join(lines[:start] + lines[end:]), encoding="utf-8")
    warning = only(problems(demo))
    assert warning.severity == "warning"
    assert (warning.file, warning.line) == (str(messages), line_of(messages, "messages:"))
    assert DEFAULT_MESSAGES["rating_prompt"] in warning.message


# --- rules ---------------------------------------------------------------------------------------


def test_two_rules_with_one_name_are_refused_at_the_second(demo: Path) -> None:
    rules = routes(demo, "rules")
    edit(rules, "  - name: billing", "  - name: live agent")
    found = problems(demo, "error")
    problem = only(found)
    second = [i for i, line in enumerate(rules.read_text().splitlines(), 1) if "name: live agent" in line][1]
    assert (problem.line, problem.col) == (second, 11)
    assert problem.message == "two rules are named 'live agent'"


def test_a_regex_that_does_not_compile_is_refused(demo: Path) -> None:
    edit(routes(demo, "rules"), r"'\b(refunds?|charged?|payments?|billing|purchase)\b'", "'(refund'")
    problem = only(problems(demo))
    assert (
        problem.message
        == "this regular expression does not work: missing ), unterminated subpattern at character 1"
    )


@pytest.mark.parametrize(
    "pattern", [r"\b(refunds?|charged?)\b", r"(ab|a)*c", r"(foo|bar)+", r"[a-z]+@\w+", r"a{2,5}", r"(a+)+$"]
)
def test_ordinary_regexes_are_accepted(pattern: str) -> None:
    rules = MarkedList([MarkedDict({"name": "r", "when": MarkedDict({"matches": pattern})})])
    assert check_rules(rules, lambda node, key: False) == []


def test_a_rule_shadowed_by_an_earlier_one_is_a_warning_naming_both(demo: Path) -> None:
    rules = routes(demo, "rules")
    edit(
        rules,
        "  - name: billing\n",
        "  - name: just agent\n    when: {where: dm, says: [Agent]}\n"
        "    do: [chatbot: faq]\n\n  - name: billing\n",
    )
    warning = only(problems(demo))
    assert warning.severity == "warning"
    assert (warning.line, warning.col) == (line_of(rules, "just agent"), 5)
    assert warning.message == (
        f"rule 'just agent' can never match: rule 'live agent' ({rules}:{line_of(rules, 'live agent')}) "
        "always matches first"
    )


@pytest.mark.parametrize(
    "when",
    [
        "{where: dm, says: [agent, refund]}",  # says more than the earlier rule
        "{where: dm, says: [agent], state: queued}",  # a state the earlier rule does not cover
        "{where: [dm, bug-report], says: [agent]}",  # a place the earlier rule does not cover
    ],
)
def test_a_rule_that_can_still_match_is_not_reported(demo: Path, when: str) -> None:
    edit(
        routes(demo, "rules"),
        "  - name: billing\n",
        f"  - name: maybe\n    when: {when}\n    do: [chatbot: faq]\n\n  - name: billing\n",
    )
    assert problems(demo) == []


def test_a_rule_after_a_catch_all_is_shadowed(demo: Path) -> None:
    rules = routes(demo, "rules")
    rules.write_text(
        rules.read_text().replace(
            "queues:",
            "  - name: too late\n    when: {where: dm, matches: x}\n    do: [chatbot: faq]\n\nqueues:",
        ),
        encoding="utf-8",
    )
    warning = only(problems(demo))
    assert "rule 'everything else'" in warning.message and warning.line == line_of(rules, "too late")


def test_entries_the_schema_refused_are_skipped(demo: Path) -> None:
    edit(routes(demo, "commands"), "channels: [bug-report]", "channels: [bug-reports]")
    loaded = load(demo)
    bug = loaded.doc["commands"]["bug"]
    assert check(loaded.doc, skip={bug.mark}) == []


def test_without_a_messages_section_one_warning_names_every_default(demo: Path) -> None:
    from engine.config.messages import DEFAULT_MESSAGES

    (demo.parent / "routes" / "messages.yaml").unlink()
    edit(routes(demo, "rules"), "- reply:\n          message: after_hours", "- reply: We are closed.")
    warning = only(problems(demo))
    assert (warning.severity, warning.file, warning.line) == ("warning", str(demo), 4)
    assert all(name in warning.message for name in DEFAULT_MESSAGES)


# --- shadowed rules and regex danger, against plain definitions -----------------------------------

_WORDS = ["agent", "refund", "Agent", "real  person", "bug"]
_WHEN = st.fixed_dictionaries(
    {},
    optional={
        "where": st.sampled_from(["dm", "general"]) | st.lists(st.sampled_from(["dm", "general", "help"])),
        "says": st.sampled_from(_WORDS) | st.lists(st.sampled_from(_WORDS), max_size=3),
        "roles": st.lists(st.sampled_from(["mod", "vip"]), max_size=2),
        "state": st.sampled_from(["queued", "bot"]) | st.lists(st.sampled_from(["bot", "queued", "closed"])),
        "matches": st.sampled_from(["refund", r"\d+"]),
        "hours": st.sampled_from(["open", "closed"]),
    },
)


def _limit(value: Any) -> frozenset[str]:
    names = [value] if isinstance(value, str) else value or []
    return frozenset(" ".join(name.lower().split()) for name in names)


def _beats(earlier: dict[str, Any], later: dict[str, Any]) -> bool:
    """Every message `later` matches, `earlier` matches too (the definition the check implements)."""
    for key in ("where", "says", "roles"):
        mine, theirs = _limit(earlier.get(key)), _limit(later.get(key))
        if mine and not (theirs and theirs <= mine):
            return False
    states = [_limit(rule.get("state")) or {"bot", "closed"} for rule in (earlier, later)]
    return states[1] <= states[0] and all(
        earlier.get(key) is None or earlier.get(key) == later.get(key) for key in ("matches", "hours")
    )


def _marked(value: Any, line: int) -> Any:
    if isinstance(value, dict):
        marked = MarkedDict(mark=Mark("rules.yaml", line, 5))
        for key, item in value.items():
            marked[key] = _marked(item, line)
            marked.key_marks[key] = marked.value_marks[key] = Mark("rules.yaml", line, 5)
        return marked
    if isinstance(value, list):
        items = MarkedList([_marked(item, line) for item in value], mark=Mark("rules.yaml", line, 5))
        items.item_marks.extend(Mark("rules.yaml", line, 5) for _ in value)
        return items
    return value


@settings(max_examples=200, deadline=None)
@given(whens=st.lists(_WHEN, max_size=14))
def test_each_shadowed_rule_is_reported_with_the_first_rule_that_beats_it(
    whens: list[dict[str, Any]],
) -> None:
    rules = _marked([{"name": f"r{i}", "when": when, "do": ["close"]} for i, when in enumerate(whens)], 0)
    rules.item_marks[:] = [Mark("rules.yaml", i + 1, 5) for i in range(len(rules))]
    expected = []
    for i, later in enumerate(whens):
        first = next((j for j in range(i) if _beats(whens[j], later)), None)
        if first is not None:
            expected.append(
                f"rule 'r{i}' can never match: rule 'r{first}' (rules.yaml:{first + 1}) always matches first"
            )
    found = check_rules(rules, lambda node, key: False)
    assert [d.message for d in found] == expected
    assert [d.line for d in found] == [int(m.split("'")[1][1:]) + 1 for m in expected]


_PIECES = ["a", "b", "(", ")", "|", "*", "+", "?", "{2,}", "(?:", r"\d", "[ab]", ".", " ", "(?x)", "(?#c)"]
_PIECES += [r"\)", "[)]", "(?=", "(?i)", "{1,3}", "(?P<n>", "(?P=n)", r"\1", "(a+)", "(a|ab)"]


@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8))
def test_every_regex_is_either_run_or_refused_with_a_hint(pieces: list[str]) -> None:
    pattern = "".join(pieces)
    rules = MarkedList([MarkedDict({"name": "r", "when": MarkedDict({"matches": pattern})})])
    for problem in check_rules(rules, lambda node, key: False):
        assert problem.hint, problem.message
