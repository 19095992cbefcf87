"""`flexcord cases list/show` read the store named by the config, relative to the config's folder."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.attachments import Upload
from engine.cli import main
from engine.store import open_store
from tests.support.files import JPEG, png
from tests.support.twins import DM_BLOCKED, ManualClock, generation_from, memory_world

ASH = "111"


async def record_some_cases(root: Path) -> None:
    world = await memory_world(
        generation_from(root / "flexcord.yaml"),
        store_url=f"sqlite:///{root / 'flexcord.db'}",
        clock=ManualClock(),
    )
    try:
        ash = world.player(ASH, "Ash")
        await ash.submits("bug", "bug-report", summary="Map freezes", steps="Open the map", device="")
        world.chat.block_dms(ASH)
        brock = world.player("222", "Brock", roles=("moderator",))
        await brock.uses("case", "mod-log", ref="BUG-1", status="fixed", note="Patched in 1.2.4")
        world.chat.dms.clear()
        await ash.submits("feature", "feature-request", idea="Trade history", why="To see past trades")
    finally:
        await world.close()


@pytest.fixture
def demo(tmp_path: Path, repo_root: Path) -> Path:
    shutil.copy(repo_root / "flexcord.yaml", tmp_path)
    shutil.copytree(repo_root / "routes", tmp_path / "routes")
    shutil.copytree(repo_root / "kb", tmp_path / "kb")
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"FLEXCORD_STORAGE": None})
    return result.exit_code, result.output


def test_list_and_filter_cases(demo: Path) -> None:
    asyncio.run(record_some_cases(demo))
    config = str(demo / "flexcord.yaml")
    code, output = run("cases", "list", "-c", config)
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0].split() == ["REF", "STATUS", "TITLE", "REPORTER", "UPDATED"]
    assert [line.split()[:2] for line in lines[1:]] == [["BUG-1", "fixed"], ["FEAT-1", "open"]]
    assert "Map freezes" in lines[1] and "Ash" in lines[1]

    code, output = run("cases", "list", "-c", config, "--status", "open")
    assert code == 0 and [line.split()[0] for line in output.splitlines()[1:]] == ["FEAT-1"]
    code, output = run("cases", "list", "-c", config, "--template", "bug", "--status", "closed")
    assert (code, output.strip()) == (0, "No cases match.")


def test_show_gives_fields_history_transcript_and_failed_deliveries(demo: Path) -> None:
    asyncio.run(record_some_cases(demo))
    code, output = run("cases", "show", "bug-1", "-c", str(demo / "flexcord.yaml"))
    assert code == 0, output
    assert output.startswith("BUG-1: Map freezes\nStatus: fixed")
    assert "  summary: Map freezes" in output
    assert "open -> fixed  by Brock (Patched in 1.2.4)" in output
    assert "#bug-report  <- Ash: [bug form] summary: Map freezes" in output
    assert "-> bot: Thanks @Ash! Your report is BUG-1." in output
    assert "Deliveries with problems:" in output
    [failed] = [line for line in output.splitlines() if line.strip().startswith("20") and "dm to 111" in line]
    assert f"failed after 1 attempt(s): {DM_BLOCKED}" in failed


def test_helpful_errors_for_a_missing_store_or_case(demo: Path) -> None:
    config = str(demo / "flexcord.yaml")
    code, output = run("cases", "list", "-c", config)
    assert code == 1 and "No records yet" in output and "flexcord.db" in output
    asyncio.run(record_some_cases(demo))
    code, output = run("cases", "show", "BUG-9", "-c", config)
    assert code == 1 and "No case BUG-9" in output


async def record_many_cases(root: Path, count: int) -> None:
    world = await memory_world(
        generation_from(root / "flexcord.yaml"),
        store_url=f"sqlite:///{root / 'flexcord.db'}",
        clock=ManualClock(),
    )
    try:
        for number in range(count):
            player = world.player(f"{500 + number}", f"Player{number}")
            fields = {"summary": f"Crash {number}", "steps": "Open the map", "device": ""}
            await player.submits("bug", "bug-report", **fields)
            if number % 2:
                world.clock.advance(60)
    finally:
        await world.close()


def test_cases_list_shows_a_page_and_says_how_to_get_the_next(demo: Path) -> None:
    asyncio.run(record_many_cases(demo, 7))
    config = str(demo / "flexcord.yaml")
    code, everything = run("cases", "list", "-c", config)
    assert code == 0, everything
    every_ref = [line.split()[0] for line in everything.splitlines()[1:]]
    assert len(every_ref) == 7 and "More cases" not in everything

    seen: list[str] = []
    args = ["cases", "list", "-c", config, "--limit", "3"]
    while True:
        code, output = run(*args)
        assert code == 0, output
        table, _, more = output.partition("\n\nMore cases: ")
        seen += [line.split()[0] for line in table.splitlines()[1:]]
        if not more:
            break
        assert more.startswith("flexcord cases list --limit 3 --after ")
        args = ["cases", "list", "-c", config, *more.split()[3:]]
    assert seen == every_ref


def test_show_lists_each_file_kept_with_the_case(demo: Path) -> None:
    asyncio.run(record_some_cases(demo))

    async def keep_a_screenshot() -> None:
        store = await open_store(f"sqlite:///{demo / 'flexcord.db'}")
        at = datetime(2026, 3, 4, 17, 5, tzinfo=UTC)
        async with store.transaction() as tx:
            await tx.add_attachment(
                case_ref="BUG-1", user_id=ASH, who="Ash", file=Upload("map.png", png(), "image/png"), at=at
            )
        await store.close()

    asyncio.run(keep_a_screenshot())
    code, output = run("cases", "show", "BUG-1", "-c", str(demo / "flexcord.yaml"))
    assert code == 0, output
    assert f"Files:\n  2026-03-04 17:05  map.png  image/png  {len(png())} bytes  from Ash" in output


def test_an_agents_file_is_kept_with_the_case_shown_and_erased_with_the_player(demo: Path) -> None:
    photo = Upload("tap-here.jpg", JPEG, "image/jpeg")

    async def agent_sends_a_photo() -> str:
        world = await memory_world(
            generation_from(demo / "flexcord.yaml"),
            store_url=f"sqlite:///{demo / 'flexcord.db'}",
            clock=ManualClock(datetime(2026, 3, 4, 17, 5, tzinfo=UTC)),
        )
        try:
            await world.player(ASH, "Ash").says("I want to talk to a real person")
            handoff = world.contact.handoff_of(ASH)
            await world.contact.agent_joins(handoff, "Brock")
            await world.contact.agent_says(handoff, "Tap here:", name="Brock", file=photo)
            assert world.chat.files[ASH] == [photo]  # the player has it
            conversation = await world.store.conversation(ASH)
            assert conversation is not None and conversation.case_ref
            return conversation.case_ref
        finally:
            await world.close()

    ref = asyncio.run(agent_sends_a_photo())
    config = str(demo / "flexcord.yaml")
    code, output = run("cases", "show", ref, "-c", config)
    assert code == 0, output
    assert f"Files:\n  2026-03-04 17:05  tap-here.jpg  image/jpeg  {len(JPEG)} bytes  from Brock" in output

    code, output = run("players", "forget", ASH, "-c", config)
    assert code == 0, output
    code, output = run("cases", "show", ref, "-c", config)
    assert code == 0 and "tap-here.jpg" not in output
