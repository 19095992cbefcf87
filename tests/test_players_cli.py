"""`flexcord players forget`: a player's personal data erased, the case counts kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.test_cases_cli import ASH, demo, demo_world, record_some_cases, run

__all__ = ["demo"]  # the fixture


def test_forget_erases_a_player_and_keeps_their_cases_counted(demo: Path) -> None:
    asyncio.run(record_some_cases(demo))
    config = str(demo / "flexcord.yaml")

    code, output = run("players", "forget", ASH, "-c", config)
    assert code == 0, output
    assert output.startswith(f"Erased player {ASH}:") and "BUG-1, FEAT-1 stay" in output

    code, output = run("cases", "list", "-c", config)
    assert code == 0, output
    rows = [line.split() for line in output.splitlines()[1:]]
    assert [row[:3] for row in rows] == [["BUG-1", "fixed", "(erased)"], ["FEAT-1", "open", "(erased)"]]
    assert "Ash" not in output and "Map freezes" not in output

    code, output = run("cases", "show", "BUG-1", "-c", config)
    assert code == 0, output
    assert "Ash" not in output and "Map freezes" not in output and "Open the map" not in output
    assert "Transcript: (empty)" in output
    assert "by Brock" in output  # the moderator's own change stays on the record

    code, output = run("players", "forget", ASH, "-c", config)
    assert code == 0 and output.strip() == f"No records of player {ASH}."


async def hello(root: Path, *, choose: str | None = None) -> str:
    """What the bot answers Ash's "ok" in a DM (too short to tell its language), after `/language`."""
    world = await demo_world(root)
    try:
        ash = world.player(ASH, "Ash")
        if choose is not None:
            await ash.uses("language", "general", language=choose)
        world.chat.dms.clear()
        await ash.says("ok")
        return world.chat.texts(ASH)[-1]
    finally:
        await world.close()


def test_forget_erases_the_language_a_player_chose(demo: Path) -> None:
    english = asyncio.run(hello(demo))
    tagalog = asyncio.run(hello(demo, choose="tl"))
    assert tagalog != english and asyncio.run(hello(demo)) == tagalog  # the choice is remembered

    code, output = run("players", "forget", ASH, "-c", str(demo / "flexcord.yaml"))
    assert code == 0, output
    assert output.startswith(f"Erased player {ASH}:")
    assert asyncio.run(hello(demo)) == english
