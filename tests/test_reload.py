"""engine.reload: a reload swaps a sound config in, refuses a broken one, and never disturbs traffic."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from engine.config.diagnostics import ConfigError, Diagnostic
from engine.config.model import Config
from engine.events import User
from engine.reload import Reloader, describe, slash_command_trigger
from engine.runtime import prepare
from tests.reload_fixtures import ENV, RULES, Bot, edit, set_ping_variant, start_bot
from tests.support.twins import Player


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(tmp_path / "bot")
    yield running
    await running.world.close()


class Followers:
    """A listener that records what it was told, and can refuse a reload or fail after one."""

    def __init__(self) -> None:
        self.prepared: list[str] = []
        self.swapped: list[tuple[str, str]] = []
        self.refuse = False
        self.fail_after = False

    async def prepare_reload(self, new: Config) -> None:
        self.prepared.append(new.version)
        if self.refuse:
            raise ConfigError(
                [Diagnostic("routes/commands.yaml", 3, 5, "error", "Discord would reject /bug")]
            )

    async def config_swapped(self, old: Config, new: Config) -> None:
        self.swapped.append((old.version, new.version))
        if self.fail_after:
            raise RuntimeError("Discord is unavailable (503)")


_users = itertools.count(1)


def new_player(bot: Bot) -> Player:
    number = next(_users)
    return Player(bot.world.runtime, User(f"9{number:05d}", f"player{number}"), bot.world.clock)


async def ping(bot: Bot) -> tuple[str, str | None, list[str]]:
    """A new player says 'ping': (config version, rule, texts the player received)."""
    player = new_player(bot)
    outcome = await player.says("ping")
    assert outcome.decision is not None
    return outcome.decision.config_version, outcome.decision.rule, bot.world.chat.texts(player.user.id)


# --- a sound edit goes live, an identical config changes nothing ---------------------------------


async def test_an_edited_rule_goes_live_with_one_swap(bot: Bot) -> None:
    listener = Followers()
    bot.reloader.add_listener(listener)
    before = bot.version
    set_ping_variant(bot.config_path, "B")

    result = await bot.reloader.request("test")

    assert result.ok and result.changed, [str(d) for d in result.diagnostics]
    assert result.old_version == before and result.version == bot.version != before
    assert set(result.timings) >= {"build", "prepare", "swap"}
    assert listener.prepared == [result.version]
    assert listener.swapped == [(before, result.version)]
    assert await ping(bot) == (result.version, "ping B", ["pong from B"])
    assert bot.metrics.value("flexcord_config_reloads_total", {"result": "success"}) == 1
    assert bot.metrics.value(
        "flexcord_config_info", {"version": result.version, "name": bot.world.runtime.config.name}
    )
    assert bot.notes.texts == []


async def test_an_identical_config_is_not_swapped_and_nobody_is_told(bot: Bot) -> None:
    listener = Followers()
    bot.reloader.add_listener(listener)
    generation = bot.world.runtime.generation
    edit(bot.file(RULES), "# How flexcord answers", "# Only a comment changed. How flexcord answers")

    result = await bot.reloader.request("test")

    assert result.ok and not result.changed
    assert result.version == result.old_version == bot.version
    assert bot.world.runtime.generation is generation
    assert listener.prepared == [] and listener.swapped == []
    assert bot.metrics.value("flexcord_config_reloads_total", {"result": "unchanged"}) == 1


# --- a broken edit is refused and the old config keeps serving -----------------------------------

BROKEN = [
    pytest.param(
        RULES,
        "    when:\n      where: dm\n    do:",
        "    when: {where: dm\n    do:",
        "is not closed",
        id="yaml-syntax",
    ),
    pytest.param(RULES, "- chatbot: faq", "- chatbot: faq\n      - teleport: now", "teleport", id="schema"),
    pytest.param(
        "routes/commands.yaml",
        "channels: [bug-report]",
        "channels: [bug-reports]",
        "bug-reports",
        id="channel",
    ),
]


@pytest.mark.parametrize(("name", "old", "new", "words"), BROKEN)
async def test_a_broken_file_is_refused_where_it_is_broken(
    bot: Bot, name: str, old: str, new: str, words: str
) -> None:
    serving = bot.version
    original = bot.file(name).read_text(encoding="utf-8")
    edit(bot.file(name), old, new)

    result = await bot.reloader.request("test")

    assert not result.ok and not result.changed
    assert result.version == serving == bot.version
    problem = result.errors[0]
    assert problem.file.endswith(name) and problem.line > 1 and problem.col >= 1
    assert words in problem.message
    assert await ping(bot) == (serving, "ping A", ["pong from A"])
    assert bot.metrics.value("flexcord_config_last_reload_successful") == 0
    assert len(bot.notes.texts) == 1
    assert f"{problem.file}:{problem.line}:{problem.col}" in bot.notes.texts[0]

    bot.file(name).write_text(original, encoding="utf-8")
    fixed = await bot.reloader.request("fixed")
    assert fixed.ok and fixed.version == serving
    assert bot.metrics.value("flexcord_config_last_reload_successful") == 1
    assert len(bot.notes.texts) == 2 and f"still serving version {serving}" in bot.notes.texts[1]


async def test_a_listener_can_refuse_before_anything_changes(bot: Bot) -> None:
    listener = Followers()
    listener.refuse = True
    bot.reloader.add_listener(listener)
    serving = bot.version
    set_ping_variant(bot.config_path, "B")

    result = await bot.reloader.request("test")

    assert not result.ok and bot.version == serving
    assert [str(d) for d in result.errors] == ["routes/commands.yaml:3:5: error: Discord would reject /bug"]
    assert listener.swapped == []
    assert await ping(bot) == (serving, "ping A", ["pong from A"])


async def test_a_listener_failing_after_the_swap_is_reported_not_undone(bot: Bot) -> None:
    listener = Followers()
    listener.fail_after = True
    bot.reloader.add_listener(listener)
    set_ping_variant(bot.config_path, "B")

    result = await bot.reloader.request("test")

    assert result.ok and result.changed and bot.version == result.version
    assert len(result.warnings) == 1 and "503" in result.warnings[0].message
    assert len(bot.notes.texts) == 1 and "503" in bot.notes.texts[0]
    assert await ping(bot) == (result.version, "ping B", ["pong from B"])


# --- requests coalesce and reloads never overlap -------------------------------------------------


class GatedPrepare:
    """engine.runtime.prepare that waits for a go, counting calls and how many ran at once."""

    def __init__(self) -> None:
        self.calls = 0
        self.running = 0
        self.most = 0
        self.entered = asyncio.Event()
        self.go = asyncio.Event()

    async def __call__(self, config: Config) -> Any:
        self.calls += 1
        self.running += 1
        self.most = max(self.most, self.running)
        self.entered.set()
        try:
            await self.go.wait()
            return await prepare(config)
        finally:
            self.running -= 1


async def test_requests_during_a_reload_are_merged_into_one_follow_up(bot: Bot) -> None:
    gate = GatedPrepare()
    reloader = Reloader(bot.config_path, bot.world.runtime, env=ENV, prepare=gate)
    set_ping_variant(bot.config_path, "B")
    first = asyncio.create_task(reloader.request("first"))
    await asyncio.wait_for(gate.entered.wait(), 30)

    set_ping_variant(bot.config_path, "C")
    later = [asyncio.create_task(reloader.request(f"burst {i}")) for i in range(5)]
    await asyncio.sleep(0)  # let each request register (one loop turn, no waiting on time)
    gate.go.set()
    one = await asyncio.wait_for(first, 30)
    rest = await asyncio.wait_for(asyncio.gather(*later), 30)

    assert gate.calls == 2 and gate.most == 1
    assert one.ok and rest[0].ok and one.version != rest[0].version
    assert all(result is rest[0] for result in rest)
    assert rest[0].old_version == one.version and rest[0].version == bot.version
    assert rest[0].reason == ", ".join(f"burst {i}" for i in range(5))
    assert await ping(bot) == (bot.version, "ping C", ["pong from C"])


# --- traffic keeps flowing through reloads -------------------------------------------------------


async def test_every_message_is_routed_by_exactly_one_config_while_reloading(bot: Bot) -> None:
    variant_of = {bot.version: "A"}
    seen: list[tuple[str, str | None, list[str]]] = []
    for round_number in range(20):
        variant = "B" if round_number % 2 == 0 else "A"
        set_ping_variant(bot.config_path, variant)
        reload = asyncio.create_task(bot.reloader.request(f"round {round_number}"))
        answers = await asyncio.gather(*(ping(bot) for _ in range(15)))
        result = await reload
        assert result.ok, [str(d) for d in result.errors]
        variant_of[result.version] = variant
        seen.extend(answers)

    assert len(variant_of) == 2
    assert len(seen) == 300
    for version, rule, texts in seen:
        variant = variant_of[version]
        assert (rule, texts) == (f"ping {variant}", [f"pong from {variant}"])
    assert {variant_of[version] for version, _, _ in seen} == {"A", "B"}
    assert bot.metrics.value("flexcord_config_reloads_total", {"result": "success"}) == 20


async def test_open_conversations_survive_the_removal_of_their_rule_and_queue(bot: Bot) -> None:
    world = bot.world
    player = world.player("777", "Ash")
    await player.says("I need a real person")
    await world.contact.wait_for(lambda: bool(world.contact.requests))
    handoff = world.contact.handoff_of("777")
    assert world.contact.handoffs[handoff].queue == "support"
    await world.contact.agent_joins(handoff, "Misty")

    rules = bot.file(RULES)
    text = rules.read_text(encoding="utf-8")
    start = text.index("  - name: live agent")
    rules.write_text(
        text[:start]
        + text[text.index("  - name: billing") :].replace(
            "  support:\n    description: General player support\n", ""
        ),
        encoding="utf-8",
    )
    result = await bot.reloader.request("rule and queue removed")
    assert result.ok and result.changed, [str(d) for d in result.errors]
    assert "live agent" not in [rule.name for rule in world.runtime.config.rules]
    assert "support" not in world.runtime.config.queues

    await world.contact.agent_says(handoff, "Hi Ash, how can I help?", "Misty")
    await world.chat.wait_for(lambda: any("how can I help" in t for t in world.chat.texts("777")))
    outcome = await player.says("my eggs vanished")
    assert outcome.state == "agent"
    await world.contact.wait_for(lambda: "my eggs vanished" in world.contact.sent[handoff])
    await world.contact.closes(handoff)
    await world.chat.wait_for(lambda: any("is closed" in t for t in world.chat.texts("777")))


# --- the slash command's answer ------------------------------------------------------------------


async def test_the_slash_command_callback_reloads_and_answers_in_one_message(bot: Bot) -> None:
    set_ping_variant(bot.config_path, "B")
    ok, text = await slash_command_trigger(bot.reloader)()
    assert ok and bot.version in text and "/flexcord reload" in text

    broken = "".join(
        f"  - name: broken {i}\n    when: {{where: channel-{i}}}\n    do: [chatbot: faq]\n" for i in range(80)
    )
    bot.file("routes/broken.yaml").write_text("rules:\n" + broken, encoding="utf-8")
    ok, text = await slash_command_trigger(bot.reloader)()
    assert not ok and len(text) <= 2000
    lines = text.splitlines()
    assert lines[0].startswith("Config reload refused") and bot.version in lines[0]
    assert lines[1].startswith("- ") and "broken.yaml:3:" in lines[1]
    assert lines[-1].startswith("… and ") and "more" in lines[-1]


def test_describe_keeps_within_the_limit_however_long_a_problem_is() -> None:
    from engine.reload import ReloadResult

    problems = tuple(Diagnostic("routes/a.yaml", i, 1, "error", "x" * 3000) for i in range(1, 4))
    result = ReloadResult(False, "v1", "v1", False, problems, 0.1, "test")
    assert len(describe(result)) <= 2000
    assert len(describe(result, limit=300)) <= 300
    short = ReloadResult(False, "v1", "v1", False, problems[:1], 0.1, "test")
    assert describe(short, limit=10_000).endswith("x" * 3000)
