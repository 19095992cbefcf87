"""What the FAQ bot could not answer is recorded, counted in /metrics, and listed by `flexcord kb gaps`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from engine.knowledge.gaps import Asked, group_gaps
from engine.metrics import Metrics
from tests.support.twins import ManualClock, generation_from, memory_world


def recent_opening_hours() -> datetime:
    """A weekday of the last week at 10:00 in Los Angeles, when the demo's support is open."""
    moment = (datetime.now(UTC) - timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0)
    while moment.weekday() >= 5:
        moment -= timedelta(days=1)
    return moment


async def talk(db: Path, config: Path, metrics: Metrics) -> None:
    """Players ask the demo bot things it can answer, things it cannot, and ask for agents."""
    clock = ManualClock(recent_opening_hours())
    world = await memory_world(
        generation_from(config), store_url=f"sqlite:///{db}", clock=clock, observer=metrics
    )
    try:
        await world.player("1", "ash").says("how do I delete my account")
        await world.player("2", "brock").says("can you delete my account please")
        misty = world.player("3", "misty")
        await misty.says("how do i trade with my friend")
        clock.advance(60)
        await misty.presses("agent", "Talk to an agent")
        gary = world.player("4", "gary")
        await gary.says("my phone gets really hot when I play")
        await gary.presses("solved", "That solved it")
        await world.player("5", "may").says("who won the match last night")
    finally:
        await world.close()


def test_not_sure_answers_and_escalations_are_recorded_counted_and_listed(
    repo_root: Path, tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"
    metrics = Metrics()
    asyncio.run(talk(db, repo_root / "flexcord.yaml", metrics))

    def count(outcome: str) -> float | None:
        return metrics.value("flexcord_faq_answers_total", {"outcome": outcome})

    assert (count("suggested"), count("unanswered"), count("escalated"), count("solved")) == (2, 3, 1, 1)

    result = CliRunner().invoke(
        main,
        ["kb", "gaps", "-c", str(repo_root / "flexcord.yaml"), "--since", "8d"],
        env={"FLEXCORD_STORAGE": f"sqlite:///{db}"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("4 question(s) the FAQ bot could not answer since ")
    assert lines[1].split() == ["2", "delete,", "account", "[en;", "2", "not", "sure]"]
    assert '"how do I delete my account"' in result.output
    assert "trade, friend  [en; 1 asked for an agent after suggestions]" in result.output
    assert "phone" not in result.output  # solved: not a gap


async def ask_long_ago(db: Path, config: Path) -> None:
    clock = ManualClock(recent_opening_hours() - timedelta(days=20))
    world = await memory_world(generation_from(config), store_url=f"sqlite:///{db}", clock=clock)
    try:
        await world.player("1", "ash").says("how do I delete my account")
    finally:
        await world.close()


def test_gaps_since_leaves_older_questions_out(repo_root: Path, tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    asyncio.run(ask_long_ago(db, repo_root / "flexcord.yaml"))
    config = str(repo_root / "flexcord.yaml")
    env = {"FLEXCORD_STORAGE": f"sqlite:///{db}"}
    recent = CliRunner().invoke(main, ["kb", "gaps", "-c", config], env=env)
    assert recent.output.startswith("No unanswered questions since ")
    older = CliRunner().invoke(main, ["kb", "gaps", "-c", config, "--since", "30d"], env=env)
    assert "delete, account" in older.output
    wrong = CliRunner().invoke(main, ["kb", "gaps", "-c", config, "--since", "soon"], env=env)
    assert wrong.exit_code == 2 and "'soon' is not a duration" in wrong.output


def test_questions_that_share_words_are_grouped_per_language() -> None:
    found = group_gaps(
        [
            Asked("How do I delete my account?", "en", "unanswered"),
            Asked("delete account pls", "en", "unanswered"),
            Asked("Deleting my accounts", "en", "escalated"),
            Asked("cómo borro mi cuenta", "es", "unanswered"),
            Asked("borrar la cuenta", "es", "unanswered"),
            Asked("phone case", "en", "unanswered"),
            Asked("!!!", "en", "unanswered"),
        ]
    )
    assert [(g.language, g.count) for g in found] == [("en", 3), ("es", 2), ("en", 1)]
    assert found[0].outcomes == {"unanswered": 2, "escalated": 1}
    assert found[0].name(2) in {"delete, account", "account, delete"}


async def test_erasing_a_player_erases_what_they_asked_the_faq_bot() -> None:
    from engine.store import open_store

    store = await open_store("sqlite:///:memory:")
    at = recent_opening_hours()
    try:
        async with store.transaction() as tx:
            await tx.record_faq_question("1", "how do I delete my account", "en", "unanswered", at)
            await tx.record_faq_question("2", "anyone know a good phone case", "en", "unanswered", at)
        async with store.transaction() as tx:
            await tx.forget_player("1", [])
        async with store.view() as view:
            left = await view.faq_questions(at - timedelta(days=1))
    finally:
        await store.close()
    assert [(q.user_id, q.text) for q in left] == [("2", "anyone know a good phone case")]
