"""Storage faults on real SQLite: a full disk or a read-only database loses no player message."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

import aiohttp
import pytest

from engine.metrics import Metrics
from engine.runtime import Generation
from engine.store import StorageError
from engine.store.sqlite import SqliteStore
from tests.support.twins import World, memory_world
from tests.test_sandbox_api import Api, running_sandbox

ASH = "111"
Fault = Literal["full", "read_only"]


@pytest.fixture
async def on_disk(generation: Generation, tmp_path: Path) -> AsyncIterator[tuple[World, Metrics, list[str]]]:
    metrics, alerts = Metrics(), []

    async def alert(text: str) -> None:
        alerts.append(text)

    world = await memory_world(
        generation, store_url=f"sqlite:///{tmp_path}/data/flexcord.db", observer=metrics, alert=alert
    )
    yield world, metrics, alerts
    await world.close()


async def simulate(world: World, fault: Fault | None) -> None:
    assert isinstance(world.store, SqliteStore)
    await world.store.simulate(fault)


async def with_agent(world: World) -> str:
    ash = world.player(ASH, "Ash")
    await ash.says("I want an agent")
    handoff = world.contact.handoff_of(ASH)
    await world.contact.agent_joins(handoff, "Misty")
    return handoff


@pytest.mark.parametrize("fault", ["full", "read_only"])
async def test_messages_refused_by_the_database_reach_the_agent_once_it_takes_writes_again(
    on_disk: tuple[World, Metrics, list[str]], fault: Fault
) -> None:
    world, metrics, alerts = on_disk
    handoff = await with_agent(world)
    ash = world.player(ASH, "Ash")
    await simulate(world, fault)
    said = [f"message {n}: my save file is gone again" for n in range(30)]
    refused = 0
    for text in said:
        world.clock.advance(7)  # within the demo's 10 messages a minute to the agent
        try:
            await ash.says(text)
        except StorageError:
            refused += 1
    assert refused and world.runtime.waiting_to_store == refused
    before = world.contact.sent[handoff]
    assert before == said[: len(before)] and len(before) <= len(said) - refused  # only saved ones went on
    assert metrics.value("flexcord_store_write_failures_total") == refused
    assert metrics.value("flexcord_messages_waiting_for_storage") == refused
    assert len(alerts) == 1 and "cannot save to its database" in alerts[0]
    health = await world.store.health()
    assert not health.ok and "refused a write" in health.detail  # what /readyz reports

    await simulate(world, None)
    await world.runtime.tick(world.clock.advance(1))
    assert world.contact.sent[handoff] == said  # every one, in order, once
    assert world.runtime.waiting_to_store == 0
    assert metrics.value("flexcord_messages_waiting_for_storage") == 0
    assert "saves to its database again" in alerts[-1]
    assert (await world.store.health()).ok
    conversation = await world.store.conversation(ASH)
    assert conversation is not None
    async with world.store.view() as view:
        lines = await view.recent_messages(conversation.id, limit=200)
    assert [m.text for m in lines if m.direction == "in"][-len(said) :] == said


async def test_a_later_message_is_never_saved_before_one_that_waits(
    on_disk: tuple[World, Metrics, list[str]],
) -> None:
    world, _, _ = on_disk
    handoff = await with_agent(world)
    ash = world.player(ASH, "Ash")
    await simulate(world, "read_only")
    with pytest.raises(StorageError):
        await ash.says("first")
    await simulate(world, None)
    await ash.says("second")  # the waiting one goes first
    assert world.contact.sent[handoff] == ["first", "second"]


async def test_the_sandbox_api_answers_503_for_a_message_it_could_not_save(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as sandbox, aiohttp.ClientSession(base_url=sandbox.url) as session:
        api = Api(session)
        await api.say("ash", "dm", "hello")
        assert isinstance(sandbox.store, SqliteStore)
        await sandbox.store.simulate("read_only")
        refused = await api.post("messages", {"user": "ash", "channel": "dm", "text": "my save is gone"}, 503)
        assert "could not save this message" in refused["error"]
        async with session.get("/readyz") as answer:
            assert answer.status == 503

        await sandbox.store.simulate(None)
        await sandbox.runtime.tick()
        await api.dm_saying("ash", "(found|couldn't find)")  # the waiting message was handled
        async with session.get("/metrics") as answer:
            assert "flexcord_store_write_failures_total 1.0" in await answer.text()
