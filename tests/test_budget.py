"""A config's total budget: files, bytes, rules and messages, each refused with a clear error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.config import build
from engine.config.budget import MAX_FILES, MAX_MESSAGES, MAX_RULES, MAX_TOTAL_BYTES
from tests.fixtures.config.demo import copy_demo, line_of
from tests.reload_fixtures import Bot, start_bot

MIB = 1024 * 1024


def _big_broken_route_files(routes: Path) -> None:
    """Enough route files just under the 1 MiB cap to pass the budget, each broken YAML if read."""
    count = MAX_TOTAL_BYTES // (MIB - 1024) + 1
    for number in range(count):
        (routes / f"big-{number:02d}.yaml").write_text("rules: [\n" + "#" * (MIB - 2048), encoding="utf-8")


def test_files_too_big_in_all_are_refused_before_any_is_read(tmp_path: Path) -> None:
    main = copy_demo(tmp_path)
    _big_broken_route_files(tmp_path / "routes")
    result = build(main)
    (problem,) = result.diagnostics  # no YAML error: the route files were not read
    assert (problem.file, problem.line) == (str(main), line_of(main, "include:"))
    assert problem.message.startswith("the config is too big: its ")
    assert problem.hint is not None and "at most 8.0 MiB" in problem.hint


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    main = copy_demo(tmp_path)
    for number in range(MAX_FILES):
        (tmp_path / "routes" / f"extra-{number:03d}.yaml").write_text("roles: []\n", encoding="utf-8")
    (problem,) = build(main).diagnostics
    assert (problem.file, problem.line) == (str(main), line_of(main, "include:"))
    assert problem.message.startswith("too many files: flexcord.yaml and its includes are ")
    assert problem.hint is not None and f"at most {MAX_FILES}" in problem.hint


def test_too_many_rules_are_refused_at_the_first_one_over(tmp_path: Path) -> None:
    main = copy_demo(tmp_path)
    many = tmp_path / "routes" / "zz-many.yaml"
    many.write_text(
        "rules:\n" + "".join(f"  - {{name: r{n}, do: [close]}}\n" for n in range(MAX_RULES)), encoding="utf-8"
    )
    (problem,) = build(main).errors
    assert problem.message.startswith("too many rules: ")
    assert (problem.file, problem.line) == (str(many), MAX_RULES - 5 + 2)  # after the demo's 5 rules
    assert problem.hint == f"flexcord reads at most {MAX_RULES:,} rules; this is the first one over"


def test_too_many_messages_are_refused_at_the_first_one_over(tmp_path: Path) -> None:
    main = copy_demo(tmp_path)
    many = tmp_path / "routes" / "zz-many.yaml"
    many.write_text("messages:\n" + "".join(f"  m{n}: hi\n" for n in range(MAX_MESSAGES)), encoding="utf-8")
    (problem,) = build(main).errors
    assert problem.message.startswith("too many messages: ")
    assert problem.file == str(many) and problem.line > 1
    assert problem.hint == f"flexcord reads at most {MAX_MESSAGES:,} messages; this is the first one over"


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(tmp_path / "bot")
    yield running
    await running.world.close()


async def test_a_reload_over_the_budget_is_refused_and_the_bot_keeps_serving(bot: Bot) -> None:
    serving = bot.version
    _big_broken_route_files(bot.file("routes"))
    result = await bot.reloader.request("test")
    assert not result.ok and result.version == serving == bot.version
    (problem,) = result.errors
    assert problem.message.startswith("the config is too big")
