"""engine.config.builder: a config built in another process is the same config, its problems the same
file:line:col, and a reload built there never replaces a working config with a broken one."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.config import build
from engine.config.builder import build_isolated, build_isolated_sliced, helper_pid
from engine.events import Event, User
from engine.routing import route
from engine.routing.patterns import RECENT_PROGRAMS
from tests.reload_fixtures import ENV, RULES, Bot, copy_demo, edit, start_bot


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(tmp_path / "bot")
    yield running
    await running.world.close()


NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def dm(text: str) -> Event:
    return Event(kind="message", id="1", user=User("1", "player"), where="dm", at=NOW, text=text)


async def test_a_config_built_in_the_helper_process_routes_as_one_built_here(tmp_path: Path) -> None:
    path = copy_demo(tmp_path / "bot")
    here = build(path, env=ENV)
    there = build_isolated(path, env=ENV)
    sliced = await build_isolated_sliced(path, env=ENV)

    assert helper_pid() not in (None, os.getpid())
    for result in (there, sliced):
        assert result.ok and result.config is not None and here.config is not None
        assert result.config.version == here.config.version and result.diagnostics == here.diagnostics
        assert result.config.rules == here.config.rules and result.config.commands == here.config.commands
        for text in ("I need a refund", "talk to a real person", "hello", "where is my order 12345"):
            ours, theirs = (
                route(here.config, dm(text), "bot", NOW),
                route(result.config, dm(text), "bot", NOW),
            )
            assert (ours.rule, ours.actions) == (theirs.rule, theirs.actions), text


async def test_a_broken_config_built_there_is_refused_where_it_is_broken(bot: Bot) -> None:
    serving = bot.version
    edit(bot.file(RULES), "- chatbot: faq", "- chatbot: faq\n      - teleport: now")
    here = build(bot.config_path, env=ENV)

    result = await bot.reloader.request("broken")

    assert not result.ok and bot.version == serving
    assert result.errors == here.errors and result.errors
    problem = result.errors[0]
    assert problem.file.endswith(RULES) and problem.line > 1 and "teleport" in problem.message
    assert helper_pid() not in (None, os.getpid())


async def test_a_builder_killed_by_the_system_is_started_again(bot: Bot) -> None:
    assert (await bot.reloader.request("first")).ok
    killed = helper_pid()
    assert killed is not None
    os.kill(killed, signal.SIGKILL)
    edit(bot.file(RULES), "- chatbot: faq\n", "- chatbot: faq2\n")

    result = await bot.reloader.request("after the kill")

    assert not result.ok and "faq2" in str(result.errors[0])  # built (and checked) all the same
    assert helper_pid() not in (None, killed)


async def test_a_config_with_more_regexes_than_the_process_keeps_compiled_still_routes_each(
    tmp_path: Path,
) -> None:
    """A serving process keeps RECENT_PROGRAMS compiled patterns; the ones pushed out are compiled
    again when a message reaches them, and each message still goes to its own rule."""
    path = copy_demo(tmp_path / "bot")
    count = RECENT_PROGRAMS + 40
    rules = "".join(
        f"  - name: code {i}\n    when: {{where: dm, matches: '\\bzq{i}code\\b'}}\n"
        f"    do: [reply: code {i}]\n\n"
        for i in range(count)
    )
    rules += "  - name: seven digits\n    when: {where: dm, matches: '^\\d{7}$'}\n    do: [reply: digits]\n\n"
    edit(path.parent / "routes/rules.yaml", "rules:\n", "rules:\n" + rules)
    result = await build_isolated_sliced(path, env=ENV)
    assert result.ok and result.config is not None, result.errors[:3]

    for _ in range(2):  # the second round reaches patterns the first round pushed out
        for i in range(0, count, 7):
            assert route(result.config, dm(f"my code is zq{i}code ok"), "bot", NOW).rule == f"code {i}"
        assert route(result.config, dm("1234567"), "bot", NOW).rule == "seven digits"
