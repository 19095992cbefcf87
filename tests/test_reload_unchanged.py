"""An unchanged reload is recognised from the files' bytes, and no edit is ever taken for "unchanged"."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.reload_fixtures import ENV, RULES, Bot, edit, ping_rule, set_ping_variant, start_bot


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(tmp_path / "bot", env=dict(ENV))
    yield running
    await running.world.close()


async def settled(bot: Bot) -> None:
    """Two reloads: the first learns which files the config comes from, the second fingerprints them."""
    set_ping_variant(bot.config_path, "B")
    assert (await bot.reloader.request("edit")).changed
    assert not (await bot.reloader.request("again")).changed


async def test_reloading_untouched_files_reads_no_yaml(bot: Bot) -> None:
    await settled(bot)
    generation = bot.world.runtime.generation

    result = await bot.reloader.request("nothing changed")

    assert result.ok and not result.changed
    assert "build" not in result.timings, result.timings
    assert bot.world.runtime.generation is generation


def edit_rule(bot: Bot) -> None:
    set_ping_variant(bot.config_path, "C")


def add_route_file(bot: Bot) -> None:
    bot.file("routes/zz_new.yaml").write_text("rules:\n" + ping_rule("new"), encoding="utf-8")


def remove_route_file(bot: Bot) -> None:
    bot.file("routes/messages.yaml").unlink()


def change_the_environment(bot: Bot) -> None:
    assert isinstance(bot.reloader.env, dict)
    bot.reloader.env["DISCORD_GUILD"] = "Another Guild"


def edit_an_article(bot: Bot) -> None:
    article = sorted(bot.file("kb").glob("*.md"))[0]
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")


def same_size_edit(bot: Bot) -> None:
    edit(bot.file(RULES), "pong from B", "pong from Z")


@pytest.mark.parametrize(
    "change",
    [
        edit_rule,
        add_route_file,
        remove_route_file,
        change_the_environment,
        edit_an_article,
        same_size_edit,
    ],
)
async def test_every_change_after_an_unchanged_reload_goes_live(
    bot: Bot, change: Callable[[Bot], None]
) -> None:
    await settled(bot)
    assert "build" not in (await bot.reloader.request("nothing changed")).timings
    before = bot.version
    change(bot)

    result = await bot.reloader.request("changed")

    assert "build" in result.timings, result.timings
    if change is remove_route_file:  # its messages are still used: refused, which is no "unchanged" either
        assert not result.ok and bot.version == before
    elif change is change_the_environment:  # read again; the version leaves filled-in values out
        assert result.ok, [str(d) for d in result.diagnostics]
    else:
        assert result.ok and result.changed, [str(d) for d in result.diagnostics]
        assert bot.version != before
