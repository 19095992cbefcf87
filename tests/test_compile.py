"""The compiler: the demo bot compiles section by section, defaults fill the gaps, and durations,
limits, opening hours and actions are read the way the config language says."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.config import build
from engine.config.compile.actions import compile_action
from engine.config.compile.config import compile_config
from engine.config.compile.values import CompileError, parse_cooldown, parse_duration
from engine.config.loader import load
from engine.config.model import (
    CloseConversation,
    Config,
    Cooldown,
    Feed,
    FormField,
    Handoff,
    LeaveQueue,
    OpenCase,
    Option,
    Post,
    Reply,
    RunChatbot,
    SendDm,
    UpdateCase,
)
from engine.config.yaml.nodes import Mark
from engine.routing import RuleIndex

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo() -> Config:
    result = build(ROOT / "flexcord.yaml", env={}, offline=True)
    assert result.ok, [str(d) for d in result.errors]
    assert result.config is not None
    return result.config


def compile_doc(doc: dict[str, Any]) -> Config:
    return compile_config(doc, root="/bot", files=["flexcord.yaml"], version="abc")


def line_of(file: str, text: str) -> int:
    """The 1-based line of the first line in routes/`file` containing `text`."""
    lines = (ROOT / "routes" / file).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


# --- the demo --------------------------------------------------------------------------------


def test_demo_settings(demo: Config) -> None:
    assert demo.name == "PokeCommunity care"
    assert demo.discord.guild == "PokeCommunity"
    assert demo.discord.admin_channel == "mod-log"
    assert demo.discord.token is None  # ${DISCORD_TOKEN} unset offline
    assert demo.flex.task_channel == "chat"
    assert demo.server.public_url == "http://127.0.0.1:8080"
    assert demo.server.admin_token is None
    assert demo.storage == "sqlite:///flexcord.db"
    assert demo.knowledge_base == "kb/"
    assert demo.roles == ("admin", "moderator")
    assert len(demo.version) == 12
    assert [Path(f).name for f in demo.files][:2] == ["flexcord.yaml", "cases.yaml"]


def test_demo_channels(demo: Config) -> None:
    announcements = demo.channels["announcements"]
    assert announcements.send == ("admin", "moderator")
    assert announcements.view is None
    assert announcements.feeds == (Feed("https://example.com/pokecommunity/news.rss", 600),)
    assert demo.channels["mod-log"].view == ("admin", "moderator")
    assert demo.channels["bug-report"].send is None
    source = demo.channels["bug-report"].source
    assert source is not None and source.line == line_of("server.yaml", "bug-report:")


def test_demo_commands(demo: Config) -> None:
    bug = demo.commands["bug"]
    assert bug.channels == ("bug-report",)
    assert bug.cooldown == Cooldown(2, 600)
    assert bug.actions == (OpenCase("bug"),)
    assert not bug.dm
    helpme = demo.commands["helpme"]
    assert helpme.dm and helpme.channels == ()
    assert helpme.actions == (
        Reply(text="Check your DMs, {{ user.name }}!"),
        SendDm(
            text="Hi {{ user.name }}! Ask me anything about the game, or type **agent** to reach a person."
        ),
    )
    case = demo.commands["case"]
    assert case.roles == ("admin", "moderator")
    assert case.options[0] == Option("ref", "string", "The case reference, like BUG-12", False)
    assert case.options[1].choices == ("open", "triaged", "planned", "fixed", "closed")
    assert not case.options[1].required
    assert case.options[2].max == 500
    assert case.actions == (UpdateCase("{{ options.ref }}", "{{ options.status }}", "{{ options.note }}"),)
    assert demo.commands["new_feature"].cooldown == Cooldown(3, 3600)


def test_demo_cases(demo: Config) -> None:
    bug = demo.cases["bug"]
    assert bug.prefix == "BUG"
    assert bug.form[0] == FormField("summary", "What went wrong?", max_length=100)
    assert bug.form[1].style == "paragraph"
    assert not bug.form[2].required
    assert bug.post_to == "bug-report"
    assert bug.statuses == ("open", "triaged", "fixed", "closed")
    assert dict(bug.status_tags) == {
        "open": "New",
        "triaged": "Triaged",
        "fixed": "Fixed",
        "closed": "Closed",
    }
    assert demo.channels["bug-report"].forum and not demo.channels["mod-log"].forum
    assert bug.notify_on == ("fixed", "closed")
    assert demo.cases["support"].conversation == "dm"
    threads = demo.discord.threads
    assert threads is not None and (threads.channel, threads.staff) == ("support", "moderator")
    assert threads.reopen_within_seconds == 86400 and threads.dm_fallback
    assert demo.cases["support"].form == ()


def test_demo_rules_with_their_sources(demo: Config) -> None:
    names = [r.name for r in demo.rules]
    assert names == ["leave the queue", "after hours", "live agent", "billing", "everything else"]
    live = demo.rules[2]
    assert live.when.where == ("dm",)
    assert live.when.says == ("agent", "human", "real person", "talk to someone")
    assert live.when.state == ("bot", "closed")
    assert live.actions == (OpenCase("support"), Handoff("support", 0))
    assert live.source is not None
    assert live.source.file.endswith("rules.yaml")
    assert live.source.line == line_of("rules.yaml", "name: live agent")
    assert demo.rules[0].when.state == ("queued",)
    assert demo.rules[0].actions == (LeaveQueue(),)
    assert demo.rules[1].when.hours == "closed"
    assert demo.rules[1].actions == (Reply(message="after_hours"), OpenCase("support"))
    assert demo.rules[3].when.matches is not None and "refunds?" in demo.rules[3].when.matches
    assert demo.rules[3].actions[1] == Handoff("billing", 10)
    assert isinstance(demo.index, RuleIndex)


def test_demo_queues_chatbots_messages_hours_limits(demo: Config) -> None:
    assert demo.queues["billing"].skills == ("billing",)
    faq = demo.chatbots["faq"]
    assert (faq.type, faq.suggestions, faq.agent_button) == ("knowledge_base", 3, "Talk to an agent")
    assert "{{ case.ref }}" in demo.messages["handoff_started"]
    assert demo.hours is not None
    assert demo.hours.timezone == "America/Los_Angeles"
    assert demo.hours.weekly[0] == ((540, 1080),)
    assert demo.hours.weekly[5] == ((600, 840),)
    assert demo.hours.weekly[6] == ()
    assert demo.hours.closed_on == (date(2026, 12, 25), date(2027, 1, 1))
    assert demo.limits.player_messages == Cooldown(10, 60)
    assert demo.limits.queue_timeout_seconds == 900
    assert demo.limits.message_length == 2000


# --- defaults --------------------------------------------------------------------------------


def test_an_empty_document_gets_every_default() -> None:
    config = compile_doc({})
    assert config.version == "abc" and config.root == "/bot" and config.files == ("flexcord.yaml",)
    assert config.name == "flexcord"
    assert config.storage == "sqlite:///flexcord.db"
    assert config.server.listen == "127.0.0.1:8080"
    assert config.server.public_url == "http://127.0.0.1:8080"
    assert config.server.max_body_bytes == 65536
    assert config.discord.admin_role == "admin"
    assert config.flex.task_channel == "chat"
    assert config.knowledge_base is None
    assert config.hours is None
    assert config.limits.player_messages is None
    assert config.limits.queue_timeout_seconds == 900
    for section in (config.channels, config.commands, config.cases, config.queues, config.chatbots):
        assert dict(section) == {}
    assert config.rules == ()


def test_section_defaults() -> None:
    config = compile_doc(
        {
            "channels": {"general": None},
            "commands": {
                "ping": {"description": "Ping", "options": {"who": {"type": "user"}}, "do": ["close"]}
            },
            "cases": {"support": {"prefix": "SUP"}},
            "chatbots": {"rasa": {"url": "https://bot.example/webhook", "timeout": "3s"}},
            "rules": [{"name": "r", "do": [{"chatbot": "rasa"}]}],
        }
    )
    assert config.channels["general"].view is None
    ping = config.commands["ping"]
    assert ping.channels == () and ping.roles == () and ping.cooldown is None and not ping.dm
    assert ping.options[0].description == "who" and ping.options[0].required
    assert config.cases["support"].statuses == ("open", "closed")
    rasa = config.chatbots["rasa"]
    assert (rasa.type, rasa.timeout_seconds, rasa.solved_button) == ("http", 3.0, "That solved it")
    when = config.rules[0].when
    assert (when.where, when.says, when.matches, when.roles, when.hours) == ((), (), None, (), None)
    assert when.state == ("bot", "closed")


def test_single_values_and_hash_channel_names() -> None:
    config = compile_doc(
        {
            "rules": [
                {
                    "name": "r",
                    "when": {"where": "#bug-report", "says": "bug", "state": "queued"},
                    "do": ["close"],
                }
            ],
            "cases": {"bug": {"prefix": "BUG", "post_to": "#bug-report"}},
        }
    )
    when = config.rules[0].when
    assert (when.where, when.says, when.state) == (("bug-report",), ("bug",), ("queued",))
    assert config.cases["bug"].post_to == "bug-report"


# --- durations, limits, hours ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("10m", 600), ("1h", 3600), ("2d", 172800), ("1h30m", 5400), (45, 45), ("90", 90)],
)
def test_durations(text: Any, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["10 minutes", "1w", "m", "", "-5s", "1h 30x"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(CompileError, match="write it like 30s, 10m, 1h or 2d"):
        parse_duration(text, Mark("f.yaml", 3, 4))


def test_cooldowns() -> None:
    assert parse_cooldown("2/10m") == Cooldown(2, 600)
    assert parse_cooldown("10/1m") == Cooldown(10, 60)
    with pytest.raises(CompileError, match="2/10m"):
        parse_cooldown("twice")
    with pytest.raises(CompileError, match="2/10m"):
        parse_cooldown("0/1m")


def test_hours_in_a_document() -> None:
    config = compile_doc(
        {"hours": {"timezone": "Europe/Paris", "open": {"weekdays": ["08:00-12:00", "14:00-18:00"]}}}
    )
    assert config.hours is not None
    assert config.hours.weekly[2] == ((480, 720), (840, 1080))
    assert config.hours.weekly[6] == ()


def test_bad_hours_are_a_compile_error() -> None:
    with pytest.raises(CompileError, match="09:00-18:00"):
        compile_doc({"hours": {"timezone": "UTC", "open": {"mon": "9 to 5"}}})


# --- actions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "action"),
    [
        ({"reply": "Hello"}, Reply(text="Hello")),
        ({"reply": {"message": "after_hours"}}, Reply(message="after_hours")),
        ({"dm": "Hi"}, SendDm(text="Hi")),
        ({"dm": {"message": "solved"}}, SendDm(message="solved")),
        ({"post": {"channel": "#mod-log", "text": "x"}}, Post("mod-log", "x")),
        ({"open_case": "support"}, OpenCase("support")),
        (
            {"update_case": {"ref": "{{ options.ref }}", "status": "fixed"}},
            UpdateCase("{{ options.ref }}", "fixed"),
        ),
        ({"update_case": {"ref": "r", "note": "n"}}, UpdateCase("r", None, "n")),
        ({"chatbot": "faq"}, RunChatbot("faq")),
        ({"handoff": {"queue": "billing", "priority": 10}}, Handoff("billing", 10)),
        ({"handoff": {"queue": "support"}}, Handoff("support", 0)),
        ({"handoff": "support"}, Handoff("support", 0)),
        ("leave_queue", LeaveQueue()),
        ("close", CloseConversation()),
        ({"close": None}, CloseConversation()),
    ],
)
def test_action_syntax(item: Any, action: Any) -> None:
    assert compile_action(item) == action


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("open_case", "needs a value"),
        ({"teleport": "x"}, "unknown action 'teleport'"),
        ({"reply": "a", "dm": "b"}, "one 'name: value' pair"),
        (42, "one 'name: value' pair"),
    ],
)
def test_action_mistakes_say_what_to_write(item: Any, message: str) -> None:
    with pytest.raises(CompileError, match=message) as caught:
        compile_action(item, Mark("routes/rules.yaml", 7, 9))
    assert str(caught.value).startswith("routes/rules.yaml:7:9: ")


# --- what the schema cannot catch ------------------------------------------------------------


def test_two_rules_with_one_name_are_refused() -> None:
    rules = [{"name": "same", "do": ["close"]}, {"name": "same", "do": ["close"]}]
    with pytest.raises(CompileError, match="two rules are named 'same'"):
        compile_doc({"rules": rules})


def test_a_rule_without_a_name_is_numbered() -> None:
    assert compile_doc({"rules": [{"do": ["close"]}]}).rules[0].name == "rule 1"


def test_a_compile_problem_reaches_build_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "flexcord.yaml").write_text(
        "version: 1\n"
        "discord: {guild: Test}\n"
        "rules:\n"
        "  - name: shouting\n"
        "    when: {says: ['?!']}\n"
        "    do: [close]\n",
        encoding="utf-8",
    )
    result = build(tmp_path / "flexcord.yaml", env={}, offline=True)
    assert result.config is None
    assert [(d.line, d.message) for d in result.errors] == [
        (4, "rule 'shouting': says '?!' has no letters or digits to look for")
    ]


def test_an_unknown_state_is_refused_where_it_is_written(tmp_path: Path) -> None:
    (tmp_path / "flexcord.yaml").write_text(
        "rules:\n  - name: waiting\n    when: {says: hi, state: [bot, waiting]}\n    do: [close]\n"
        "  - name: plain\n    when: {state: queued}\n    do: [close, {reply: hi}]\n",
        encoding="utf-8",
    )
    doc = load(tmp_path / "flexcord.yaml").doc  # the schema would refuse it first; the compiler too
    with pytest.raises(CompileError, match=r"unknown state 'waiting' \(expected one of: ") as caught:
        compile_doc(doc)
    assert caught.value.mark == Mark(str(tmp_path / "flexcord.yaml"), 3, 29)  # at the states
    doc["rules"].pop(0)
    doc["rules"].item_marks.pop(0)
    assert compile_doc(doc).rules[0].when.state == ("queued",)


def test_an_action_mistake_in_a_rule_is_marked_at_its_item(tmp_path: Path) -> None:
    (tmp_path / "flexcord.yaml").write_text(
        "rules:\n  - name: first\n    do:\n      - close\n      - {reply: hi, dm: hi}\n", encoding="utf-8"
    )
    with pytest.raises(CompileError, match="one 'name: value' pair") as caught:
        compile_doc(load(tmp_path / "flexcord.yaml").doc)
    assert caught.value.mark == Mark(str(tmp_path / "flexcord.yaml"), 5, 9)
