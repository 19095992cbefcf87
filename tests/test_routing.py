"""The router: each condition, first match wins, conversation states, buttons, commands, forms, traces,
and the index agreeing with a plain scan of every rule on random configs."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.config import load_config
from engine.config.compile.config import compile_config
from engine.config.model import (
    Config,
    ConversationState,
    Handoff,
    LeaveQueue,
    OpenCase,
    Refuse,
    RelayToAgent,
    RunChatbot,
)
from engine.events import Decision, Event, User
from engine.routing import RuleIndex, index, normalise, patterns, route
from engine.routing.literals import required_literals
from tests.naive_router import route_naive

MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SUNDAY_NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
HOURS = {"timezone": "UTC", "open": {"mon-fri": "09:00-17:00"}}


def make(rules: list[dict[str, Any]], **sections: Any) -> Config:
    doc: dict[str, Any] = {"rules": rules, "hours": HOURS, **sections}
    return compile_config(doc, root=".", files=["test.yaml"], version="test-1")


def message(text: str, where: str = "dm", roles: tuple[str, ...] = (), at: datetime = MONDAY_NOON) -> Event:
    return Event("message", "m1", User("42", "ash", roles), where, at, text=text)


def decide(
    config: Config, event: Event, state: ConversationState = "bot", now: datetime = MONDAY_NOON
) -> Decision:
    """Route with and without the full trace and the plain scan; all three must agree."""
    fast = route(config, event, state, now)
    explained = route(config, event, state, now, explain=True)
    naive = route_naive(config, event, state, now)
    assert (fast.rule, fast.actions, fast.explanation) == (
        explained.rule,
        explained.actions,
        explained.explanation,
    )
    assert (naive.rule, naive.actions) == (fast.rule, fast.actions)
    return explained


def rule(name: str, **when: Any) -> dict[str, Any]:
    return {"name": name, "when": when, "do": [{"chatbot": name}]}


# --- conditions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("can I talk to a real person", True),
        ("Can I talk to a REAL   person?", True),
        ("real-person please", True),
        ("REAL\nPERSON", True),
        ("a real personal question", False),  # whole words only
        ("unreal person", False),
        ("person real", False),
        ("", False),
    ],
)
def test_says_matches_whole_words_in_any_case(text: str, matched: bool) -> None:
    config = make([rule("person", says=["real person"])])
    assert decide(config, message(text)).rule == ("person" if matched else None)


def test_says_accepts_a_single_phrase_and_any_of_a_list() -> None:
    config = make([rule("one", says="refund"), rule("any", says=["agent", "human"])])
    assert decide(config, message("I want a REFUND.")).rule == "one"
    assert decide(config, message("a human, please")).rule == "any"
    assert decide(config, message("humans")).rule is None


def test_says_with_punctuation_in_the_keyword() -> None:
    config = make([rule("cant", says=["can't log in"])])
    assert decide(config, message("I CAN'T log-in!!")).rule == "cant"
    assert normalise("I CAN'T log-in!!") == " i can t log in "


def test_matches_is_a_case_insensitive_search() -> None:
    config = make([rule("billing", matches=r"\b(refunds?|charged?)\b")])
    assert decide(config, message("I was Charged twice")).rule == "billing"
    assert decide(config, message("refunds?")).rule == "billing"
    assert decide(config, message("recharged my phone")).rule is None


def test_matches_without_any_literal_is_always_tried() -> None:
    config = make([rule("digits", matches=r"\d{4,}"), rule("rest")])
    assert decide(config, message("my id is 123456")).rule == "digits"
    assert decide(config, message("my id is 12")).rule == "rest"


def test_where_dm_or_channels() -> None:
    config = make([rule("dm only", where="dm"), rule("bugs", where=["#bug-report", "bugs"])])
    assert decide(config, message("hi")).rule == "dm only"
    assert decide(config, message("hi", where="bug-report")).rule == "bugs"
    assert decide(config, message("hi", where="bugs")).rule == "bugs"
    assert decide(config, message("hi", where="general")).rule is None


def test_no_where_means_anywhere() -> None:
    config = make([rule("anywhere", says="hello")])
    assert decide(config, message("hello", where="general")).rule == "anywhere"
    assert decide(config, message("hello")).rule == "anywhere"


def test_roles_any_of() -> None:
    config = make([rule("staff", roles=["admin", "moderator"]), rule("rest")])
    assert decide(config, message("x", roles=("moderator",))).rule == "staff"
    assert decide(config, message("x", roles=("player",))).rule == "rest"
    assert decide(config, message("x")).rule == "rest"


def test_hours_open_and_closed() -> None:
    config = make([rule("night", says="agent", hours="closed"), rule("day", says="agent", hours="open")])
    assert decide(config, message("agent"), now=MONDAY_NOON).rule == "day"
    assert decide(config, message("agent"), now=SUNDAY_NOON).rule == "night"


def test_without_business_hours_support_counts_as_open() -> None:
    config = compile_config(
        {"rules": [rule("night", hours="closed"), rule("day", hours="open")]}, root=".", files=[], version="v"
    )
    assert decide(config, message("hi"), now=SUNDAY_NOON).rule == "day"


def test_state_defaults_to_bot_and_closed() -> None:
    config = make([rule("faq")])
    assert decide(config, message("hi"), "bot").rule == "faq"
    assert decide(config, message("hi"), "closed").rule == "faq"
    assert decide(config, message("hi"), "queued").rule is None


def test_state_single_or_list() -> None:
    config = make([rule("waiting", state="queued", says="cancel"), rule("both", state=["queued", "agent"])])
    assert decide(config, message("cancel"), "queued").rule == "waiting"
    assert decide(config, message("hello"), "agent").rule == "both"


# --- first match, relay, nothing -------------------------------------------------------------


def test_first_match_wins_top_to_bottom() -> None:
    config = make([rule("first", says="agent"), rule("second", says="agent"), rule("catch all")])
    assert decide(config, message("agent")).rule == "first"
    assert decide(config, message("hello")).rule == "catch all"


def test_a_catch_all_before_a_keyword_rule_wins() -> None:
    config = make([rule("catch all"), rule("agent", says="agent")])
    assert decide(config, message("agent")).rule == "catch all"


@pytest.mark.parametrize("state", ["queued", "agent"])
def test_unmatched_messages_go_to_the_agent_while_queued_or_with_an_agent(state: ConversationState) -> None:
    config = make([rule("faq")])
    decision = decide(config, message("my id is 12"), state)
    assert decision.rule is None
    assert decision.actions == (RelayToAgent(),)
    assert "goes to the agent" in decision.explanation


@pytest.mark.parametrize("state", ["bot", "closed"])
def test_unmatched_messages_otherwise_do_nothing(state: ConversationState) -> None:
    config = make([rule("agent", says="agent")])
    decision = decide(config, message("hello"), state)
    assert (decision.rule, decision.actions) == (None, ())
    assert decision.explanation == "no rule matched; nothing to do"


def test_actions_and_config_version() -> None:
    config = make(
        [
            {
                "name": "live",
                "when": {"says": "agent"},
                "do": [{"open_case": "support"}, {"handoff": {"queue": "s"}}],
            }
        ]
    )
    decision = decide(config, message("agent"))
    assert decision.actions == (OpenCase("support"), Handoff("s", 0))
    assert decision.config_version == "test-1"


# --- buttons, forms, commands ----------------------------------------------------------------


def test_the_agent_button_is_routed_like_its_label() -> None:
    config = make([rule("live", says="agent"), rule("rest")])
    pressed = Event(
        "button", "b1", User("42", "ash"), "dm", MONDAY_NOON, text="Talk to an agent", button="agent"
    )
    assert decide(config, pressed).rule == "live"


@pytest.mark.parametrize("button", ["solved", "rate:4"])
def test_other_buttons_are_left_to_the_conversation(button: str) -> None:
    config = make([rule("rest")])
    pressed = Event("button", "b1", User("42", "ash"), "dm", MONDAY_NOON, text="x", button=button)
    decision = route(config, pressed, "bot", MONDAY_NOON)
    assert (decision.rule, decision.actions) == (None, ())
    assert button in decision.explanation


def test_a_form_opens_a_case_from_its_template() -> None:
    config = make([], cases={"bug": {"prefix": "BUG", "title": "t"}})
    submitted = Event("form", "f1", User("42", "ash"), "bug-report", MONDAY_NOON, form="bug")
    decision = route(config, submitted, "bot", MONDAY_NOON)
    assert (decision.rule, decision.actions) == ("form:bug", (OpenCase("bug"),))
    unknown = replace(submitted, form="nope")
    assert route(config, unknown, "bot", MONDAY_NOON).actions == (Refuse("Unknown form"),)


COMMANDS = {
    "bug": {"description": "d", "channels": ["bug-report"], "do": [{"open_case": "bug"}]},
    "both": {"description": "d", "channels": ["a", "b", "c"], "do": ["close"]},
    "helpme": {"description": "d", "dm": True, "do": [{"dm": "hi"}]},
    "case": {"description": "d", "roles": ["admin", "moderator"], "do": [{"update_case": {"ref": "x"}}]},
}


def command(name: str, where: str, roles: tuple[str, ...] = ()) -> Event:
    return Event("command", "c1", User("42", "ash", roles), where, MONDAY_NOON, command=name)


@pytest.mark.parametrize(
    ("name", "where", "roles", "reason"),
    [
        ("bug", "general", (), "Use /bug in #bug-report."),
        ("both", "general", (), "Use /both in #a, #b or #c."),
        ("bug", "dm", (), "/bug only works in the server."),
        ("case", "general", ("player",), "Only admin or moderator can use /case."),
        ("nope", "general", (), "Unknown command"),
    ],
)
def test_commands_are_refused_in_plain_words(
    name: str, where: str, roles: tuple[str, ...], reason: str
) -> None:
    config = make([], commands=COMMANDS)
    decision = route(config, command(name, where, roles), "bot", MONDAY_NOON)
    assert decision.rule is None
    assert decision.actions == (Refuse(reason),)


@pytest.mark.parametrize(
    ("name", "where", "roles"),
    [
        ("bug", "bug-report", ()),
        ("helpme", "dm", ()),
        ("helpme", "general", ()),
        ("case", "general", ("admin",)),
    ],
)
def test_commands_run_their_actions_when_allowed(name: str, where: str, roles: tuple[str, ...]) -> None:
    config = make([], commands=COMMANDS)
    decision = route(config, command(name, where, roles), "bot", MONDAY_NOON)
    assert decision.rule == f"/{name}"
    assert decision.actions == config.commands[name].actions
    assert decision.trace and decision.trace[0].matched


# --- traces ----------------------------------------------------------------------------------


def test_explain_lists_every_rule_before_the_winner_with_why_not() -> None:
    config = make(
        [
            rule("queue", where="dm", state="queued", says="cancel"),
            rule("bugs", where="bug-report"),
            rule("night", says=["agent", "real person"], hours="closed"),
            rule("live", says=["agent", "real person"]),
            rule("later", says="agent"),
        ]
    )
    decision = decide(config, message("Can I talk to a REAL   person?"))
    assert [t.rule for t in decision.trace] == ["queue", "bugs", "night", "live"]
    assert [t.matched for t in decision.trace] == [False, False, False, True]
    failing = {t.rule: [c.detail for c in t.checks if not c.ok] for t in decision.trace}
    assert failing["queue"] == [
        "state: needs queued, conversation is bot",
        "says: 'cancel' not in the message",
    ]
    assert failing["bugs"] == ["where: needs #bug-report, got dm"]
    assert failing["night"] == ["hours: needs closed, support is open now"]
    assert "says 'real person' found" in [c.detail for c in decision.trace[-1].checks]
    assert decision.explanation == "rule 'live' matched: says 'real person' found"
    assert decision.trace[-1].source is None  # rules written in a plain dict have no file:line


def test_the_fast_path_traces_only_the_winner() -> None:
    config = make([rule("a", says="x"), rule("b", says="y")])
    decision = route(config, message("y"), "bot", MONDAY_NOON)
    assert [t.rule for t in decision.trace] == ["b"]


def test_explain_without_a_match_lists_every_rule() -> None:
    config = make([rule("a", says="x"), rule("b", matches="y+z", roles=["admin"])])
    decision = decide(config, message("yyz"))
    assert [(t.rule, t.matched) for t in decision.trace] == [("a", False), ("b", False)]
    b_checks = {c.condition: c for c in decision.trace[1].checks}
    assert b_checks["matches"].ok and b_checks["matches"].detail == "matches 'y+z' (found 'yyz')"
    assert b_checks["roles"].detail == "roles: needs admin, user has no role"


def test_a_config_without_an_index_still_routes() -> None:
    config = replace(make([rule("a", says="x")]), index=None)
    assert route(config, message("x"), "bot", MONDAY_NOON).rule == "a"


# --- index pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\b(refunds?|charged?)\b", {"refund", "charge"}),
        (r"hello\s+world", {"hello", "world"}),
        (r"ab|cd", {"ab", "cd"}),
        (r"(a|b)c", {"c"}),
        (r"[a-z]+", None),
        (r"x?", None),
        (r"REFUND", {"refund"}),
        ("café", {"caf"}),
        (r"order\s*#\d+", {"order"}),
        (r"[#!]+", None),
    ],
)
def test_required_literals(pattern: str, literals: set[str] | None) -> None:
    found = required_literals(pattern)
    if literals is None:
        assert found is None
    else:
        assert found is not None and (found == literals or found <= literals)


def test_the_prefilter_sees_every_ascii_letter_a_regex_would() -> None:
    """Any character a case-insensitive regex takes for an ASCII letter or digit normalises to it."""
    every_char = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    for letter in string.ascii_lowercase + string.digits:
        for char in set(re.findall(letter, every_char, re.IGNORECASE)):
            assert normalise(char) == f" {letter} ", hex(ord(char))


def test_kelvin_sign_and_dotted_i_do_not_escape_the_prefilter() -> None:
    config = make([rule("k", matches="kilo"), rule("i", matches="istanbul")])
    assert decide(config, message("\u212ailo")).rule == "k"
    assert decide(config, message("\u0130stanbul")).rule == "i"


def test_a_keyword_without_words_is_refused_at_compile() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        make([rule("bad", says=["?!"])])


def test_a_bad_regex_is_refused_at_compile() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        make([rule("bad", matches="(unclosed")])


def test_index_is_built_by_compile() -> None:
    assert isinstance(make([rule("a")]).index, RuleIndex)


def test_a_regex_the_checks_compiled_is_not_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pattern = r"\border\s*#?(\d{5,})"
    (tmp_path / "flexcord.yaml").write_text(
        "version: 1\ndiscord: {guild: Test}\nrules:\n"
        f"  - {{name: order, when: {{matches: '{pattern}'}}, do: [close]}}\n"
        f"  - {{name: order again, when: {{matches: '{pattern}', where: dm}}, do: [close]}}\n",
        encoding="utf-8",
    )
    compiled_patterns: list[str] = []
    compile_one = patterns._compile

    def counted(text: str) -> patterns.Pattern:
        compiled_patterns.append(text)
        return compile_one(text)

    monkeypatch.setattr(patterns, "_compile", counted)
    config = load_config(tmp_path / "flexcord.yaml", env={}, offline=True)
    assert config.index is not None
    compiled = config.index.rules[0].regex
    assert compiled_patterns == [pattern]  # once for the checks, the compile step and both rules
    assert compiled is config.index.rules[1].regex
    assert compiled is not None and compiled.search("ORDER #12345") == "ORDER #12345"  # in any case


# --- the index agrees with a plain scan on random configs ------------------------------------

WORDS = ["agent", "human", "real", "person", "refund", "pay", "bug", "crash", "cancel", "ab", "abc", "b"]
word = st.one_of(st.sampled_from(WORDS), st.text(alphabet="abcK\u0130", min_size=1, max_size=4))
keyword = st.lists(word, min_size=1, max_size=3).map(" ".join)
regex_piece = st.one_of(
    word.map(re.escape),
    st.sampled_from([r"\b", r"\s+", r"[a-c]", r".", r"\d"]),
    st.lists(word.map(re.escape), min_size=2, max_size=3).map(lambda ws: "(" + "|".join(ws) + ")"),
    word.map(lambda w: f"(?:{re.escape(w)})?"),
    word.map(lambda w: f"{re.escape(w)}+"),
)
regex = st.lists(regex_piece, min_size=1, max_size=3).map("".join)
places = st.sampled_from(["dm", "general", "bugs"])
states = st.sampled_from(["bot", "queued", "agent", "closed"])


@st.composite
def random_rule(draw: st.DrawFn, number: int) -> dict[str, Any]:
    when: dict[str, Any] = {}
    if draw(st.booleans()):
        when["says"] = draw(st.lists(keyword, min_size=1, max_size=3))
    if draw(st.booleans()):
        when["matches"] = draw(regex)
    if draw(st.booleans()):
        when["where"] = draw(st.lists(places, min_size=1, max_size=2, unique=True))
    if draw(st.booleans()):
        when["state"] = draw(st.lists(states, min_size=1, max_size=3, unique=True))
    if draw(st.integers(0, 3)) == 0:
        when["roles"] = draw(st.lists(st.sampled_from(["admin", "mod"]), min_size=1, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        when["hours"] = draw(st.sampled_from(["open", "closed"]))
    return {"name": f"rule {number}", "when": when, "do": [{"chatbot": f"bot{number}"}]}


@st.composite
def random_config(draw: st.DrawFn) -> Config:
    count = draw(st.integers(0, 12))
    return make([draw(random_rule(i)) for i in range(count)])


separator = st.sampled_from([" ", "  ", ", ", "!? ", "-", "\n", "'"])
case_change: st.SearchStrategy[Callable[[str], str]] = st.sampled_from([str, str.upper, str.title])


@st.composite
def random_text(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(word, keyword, st.text(max_size=5)), max_size=6))
    text = ""
    for part in parts:
        text += draw(case_change)(part) + draw(separator)
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    config=random_config(),
    text=random_text(),
    where=places,
    state=states,
    roles=st.lists(st.sampled_from(["admin", "mod", "player"]), max_size=2),
    now=st.sampled_from([MONDAY_NOON, SUNDAY_NOON]),
)
def test_the_index_agrees_with_a_plain_scan(
    config: Config, text: str, where: str, state: ConversationState, roles: list[str], now: datetime
) -> None:
    event = message(text, where=where, roles=tuple(roles), at=now)
    fast = route(config, event, state, now)
    naive = route_naive(config, event, state, now)
    assert (fast.rule, fast.actions) == (naive.rule, naive.actions)
    explained = route(config, event, state, now, explain=True)
    assert (explained.rule, explained.actions) == (fast.rule, fast.actions)
    assert not any(t.matched for t in explained.trace[:-1])
    if fast.rule is not None:
        assert explained.trace[-1].rule == fast.rule and explained.trace[-1].matched
        assert fast.actions == (RunChatbot(f"bot{fast.rule.split()[-1]}"),)
    else:
        assert len(explained.trace) == len(config.rules)
        assert fast.actions == ((RelayToAgent(),) if state in ("queued", "agent") else ())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=random_config(), text=random_text(), where=places, state=states)
def test_an_index_of_many_small_automata_agrees_with_a_plain_scan(
    config: Config, text: str, where: str, state: ConversationState
) -> None:
    """A big config's keywords are spread over several automata, each made in one short step (a
    reload never holds the event loop for one big one); here every two keywords make one."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index, "SHARD_KEYS", 2)
        sharded = replace(config, index=RuleIndex(config.rules))
    event = message(text, where=where, at=MONDAY_NOON)
    fast = route(sharded, event, state, MONDAY_NOON)
    naive = route_naive(config, event, state, MONDAY_NOON)
    assert (fast.rule, fast.actions) == (naive.rule, naive.actions)


def test_leave_queue_action_compiles_from_a_bare_name() -> None:
    config = make([{"name": "q", "when": {"state": "queued", "says": "cancel"}, "do": ["leave_queue"]}])
    assert decide(config, message("cancel"), "queued").actions == (LeaveQueue(),)
