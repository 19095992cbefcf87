"""Reload triggers: SIGHUP and file edits (config, a new include, a KB article) take the one reload path."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from engine.reload import FileTrigger, ReloadResult, SignalTrigger, WatchSet
from tests.reload_fixtures import RULES, Bot, edit, set_ping_variant, start_bot

DEADLINE = 30.0


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(tmp_path / "bot")
    yield running
    await running.world.close()


@pytest.fixture
async def watched(bot: Bot) -> AsyncIterator[Bot]:
    """The bot with its file watcher running."""
    files = FileTrigger(bot.reloader)
    task = asyncio.create_task(files.watch())
    await asyncio.wait_for(files.watching.wait(), DEADLINE)
    yield bot
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def reloads_until(bot: Bot, condition: Callable[[], bool]) -> ReloadResult | None:
    """Wait (bounded) for reloads until `condition` holds; the last reload's result."""
    last = None
    async with asyncio.timeout(DEADLINE):
        while not condition():
            last = await bot.reloader.next_result()
    return last


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on this platform")
async def test_sighup_reloads(bot: Bot) -> None:
    before = bot.version
    set_ping_variant(bot.config_path, "B")
    signals = SignalTrigger(bot.reloader)
    assert signals.install()
    try:
        waiter = bot.reloader.next_result()
        os.kill(os.getpid(), signal.SIGHUP)
        result = await asyncio.wait_for(waiter, DEADLINE)
    finally:
        signals.remove()
    assert result.ok and result.changed and result.reason == "SIGHUP"
    assert result.old_version == before and bot.version == result.version


async def test_editing_a_route_file_reloads(watched: Bot) -> None:
    before = watched.version
    set_ping_variant(watched.config_path, "B")
    result = await reloads_until(watched, lambda: watched.version != before)
    assert result is not None and result.ok and "rules.yaml" in result.reason
    assert watched.world.runtime.config.rules[0].name == "ping B"


async def test_a_new_file_matching_the_includes_is_picked_up(watched: Bot) -> None:
    extra = watched.file("routes/extra.yaml")
    extra.write_text(
        "rules:\n  - name: extra rule\n    when: {where: dm, says: [extra]}\n    do: [reply: extra!]\n",
        encoding="utf-8",
    )
    await reloads_until(
        watched, lambda: any(r.name == "extra rule" for r in watched.world.runtime.config.rules)
    )
    assert extra.resolve() in {Path(f).resolve() for f in watched.world.runtime.config.files}


async def test_editing_a_knowledge_base_article_reloads(watched: Bot) -> None:
    before = watched.version
    article = watched.file("kb/trading-with-friends.md")
    article.write_text(article.read_text(encoding="utf-8") + "\nTrades need a stable connection.\n")
    result = await reloads_until(watched, lambda: watched.version != before)
    assert result is not None and "trading-with-friends.md" in result.reason


async def test_a_broken_edit_is_refused_and_the_fix_is_picked_up(watched: Bot) -> None:
    before = watched.version
    original = watched.file(RULES).read_text(encoding="utf-8")
    edit(watched.file(RULES), "    when:\n      where: dm\n    do:", "    when: {where: dm\n    do:")
    refused = await reloads_until(
        watched, lambda: watched.metrics.value("flexcord_config_last_reload_successful") == 0
    )
    assert refused is not None and not refused.ok and watched.version == before
    watched.file(RULES).write_text(original.replace("pong from A", "pong from A again"), encoding="utf-8")
    await reloads_until(watched, lambda: watched.version != before)
    assert watched.metrics.value("flexcord_config_last_reload_successful") == 1


def test_the_watch_set_covers_config_includes_and_kb_but_not_the_rest(bot: Bot) -> None:
    folder = bot.config_path.parent
    (folder / "notes").mkdir()
    watched = WatchSet.of(bot.config_path, bot.world.runtime.config)
    locales = {str(path) for path in (folder / "kb").iterdir() if path.is_dir()}  # translations
    assert locales and set(watched.paths()) == {
        str(folder),
        str(folder / "routes"),
        str(folder / "kb"),
        *locales,
    }
    assert watched.relevant(str(folder / "kb" / "es-ES" / "new-article.md"))
    assert watched.relevant(str(folder / "flexcord.yaml"))
    assert watched.relevant(str(folder / RULES))
    assert watched.relevant(str(folder / "routes" / "new.yaml"))  # matches include: routes/*.yaml
    assert watched.relevant(str(folder / "kb" / "new-article.md"))
    assert not watched.relevant(str(folder / "docker-compose.yaml"))
    assert not watched.relevant(str(folder / "routes" / "notes.txt"))
    assert not watched.relevant(str(folder / "kb" / ".new-article.md.swp"))
    assert not watched.relevant(str(folder / "notes" / "x.yaml"))
