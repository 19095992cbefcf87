"""Data at rest: `retention:` prunes delivered messages and old transcripts; cases stay counted."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.config.model import Retention
from tests.support.twins import generation_from, memory_world

ASH = "111"


def demo_with(tmp_path: Path, repo_root: Path, extra: str) -> Path:
    for name in ("routes", "kb"):
        shutil.copytree(repo_root / name, tmp_path / name)
    config = tmp_path / "flexcord.yaml"
    config.write_text((repo_root / "flexcord.yaml").read_text() + extra)
    return config


async def test_retention_prunes_delivered_messages_and_old_transcripts(
    tmp_path: Path, repo_root: Path
) -> None:
    generation = generation_from(
        demo_with(tmp_path, repo_root, "retention:\n  delivered: 1d\n  transcripts: 30d\n")
    )
    assert generation.config.retention == Retention(delivered_seconds=86400, transcripts_seconds=30 * 86400)
    world = await memory_world(generation)
    try:
        ash = world.player(ASH, "Ash")
        await ash.says("I want an agent")
        lane = f"dm:{ASH}"
        first = await world.store.lane_outbox(lane)
        assert [item.status for item in first] == ["delivered"]

        await world.runtime.tick(world.clock.advance(2 * 86400))
        kept = {item.id for item in await world.store.lane_outbox(lane)}
        assert not kept & {item.id for item in first}  # delivered over a day ago: gone
        assert next(m.text for m in await world.store.case_transcript("SUP-1")) == "I want an agent"

        world.clock.advance(31 * 86400)
        await world.runtime.tick(world.clock.advance(3600))
        assert await world.store.case_transcript("SUP-1") == []  # older than 30 days: gone
        assert [case.ref for case in await world.store.list_cases()] == ["SUP-1"]  # still counted
    finally:
        await world.close()
