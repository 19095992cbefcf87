"""A lane's head claimed by the transaction that queued it, as it commits (engine.runtime.early):
the send that follows the commit makes no claim of its own, and no item is ever sent twice for it,
whatever delivery of the same lane runs in between. On both stores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from engine.deliveries import SendToAgent
from engine.runtime import Generation
from engine.runtime.wire import contact_lane
from engine.store import Store
from tests.postgres import fresh_database
from tests.support.trips import counted_world, with_agent
from tests.support.twins import MemoryContactCenter, World, memory_world

ASH = "111"
LANE = contact_lane(ASH)


class CountingContact(MemoryContactCenter):
    """Counts every send (the memory twin drops a repeated key, as Twilio would: this sees it), and
    can hold a send until released."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.gate: asyncio.Event | None = None
        self.entered = asyncio.Event()

    async def send(self, handoff: str, user_id: str, text: str, key: str) -> None:
        self.calls.append(text)
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        await super().send(handoff, user_id, text, key)


@pytest.fixture(params=["sqlite", "postgresql"])
async def world(request: pytest.FixtureRequest, generation: Generation) -> AsyncIterator[World]:
    url = "sqlite:///:memory:" if request.param == "sqlite" else await fresh_database()
    opened = await memory_world(generation, store_url=url)
    contact = CountingContact()
    contact.runtime = opened.runtime
    opened.runtime.outbox.contact = contact
    opened.contact = contact
    yield opened
    await opened.close()


async def queue_for_agent(store: Store, world: World, handoff: str, text: str, key: str) -> None:
    async with store.transaction() as tx:
        await tx.queue(lane=LANE, delivery=SendToAgent(ASH, text, handoff), key=key, at=world.clock())


def contact(world: World) -> CountingContact:
    assert isinstance(world.contact, CountingContact)
    return world.contact


async def test_a_players_words_reach_the_agent_once_each_and_in_order(world: World) -> None:
    handoff = await with_agent(world)
    ash = world.player(ASH, "Ash")
    for n in range(5):
        await ash.says(f"detail {n}")
    assert world.contact.sent[handoff] == [f"detail {n}" for n in range(5)]
    assert contact(world).calls == [f"detail {n}" for n in range(5)]


async def test_a_delivery_of_the_lane_after_the_early_claim_voids_it(world: World) -> None:
    handoff = await with_agent(world)
    outbox = world.runtime.outbox
    async with world.store.transaction() as tx:
        await tx.queue(lane=LANE, delivery=SendToAgent(ASH, "one", handoff), key="k1", at=world.clock())
        early = await outbox.claim_early(tx, [LANE])
    assert early is not None
    await outbox.deliver([LANE])  # another delivery of the lane gets there first and sends it
    await queue_for_agent(world.store, world, handoff, "two", "k2")
    await outbox.deliver([LANE], early=early)  # the early claim names "one": sent already
    assert contact(world).calls == ["one", "two"]
    assert world.contact.sent[handoff] == ["one", "two"]


async def test_no_early_claim_while_a_delivery_holds_the_lane(world: World) -> None:
    handoff = await with_agent(world)
    outbox, counting = world.runtime.outbox, contact(world)
    await queue_for_agent(world.store, world, handoff, "one", "k1")
    counting.gate, counting.entered = asyncio.Event(), asyncio.Event()
    sending = asyncio.create_task(outbox.deliver([LANE]))
    await counting.entered.wait()  # "one" is being sent, not yet recorded as sent
    async with world.store.transaction() as tx:
        await tx.queue(lane=LANE, delivery=SendToAgent(ASH, "two", handoff), key="k2", at=world.clock())
        early = await outbox.claim_early(tx, [LANE])
    assert early is None  # it would have named "one", which is on its way
    counting.gate.set()
    await sending
    await outbox.deliver([LANE], early=early)
    assert counting.calls == ["one", "two"]


async def test_a_players_dm_reaches_the_agent_with_no_trip_between_its_commit_and_the_request(
    generation: Generation,
) -> None:
    """On PostgreSQL: the player's state, the event with its limit, the COMMIT (with the claim),
    then the request; the outcome after it."""
    async with counted_world(generation) as counted:
        world = counted.world
        handoff = await with_agent(world)
        counted.mark()
        await world.player(ASH, "Ash").says("It crashes at the loading screen.")
        assert world.contact.sent[handoff] == ["It crashes at the loading screen."]
        assert counted.at_send == [3]


async def test_a_lane_of_several_items_makes_one_trip_per_item(generation: Generation) -> None:
    """On PostgreSQL: each delivery's outcome claims the lane's next item in its own trip."""
    async with counted_world(generation) as counted:
        world = counted.world
        handoff = await with_agent(world)
        async with world.store.transaction() as tx:
            for n in range(3):
                delivery = SendToAgent(ASH, f"part {n}", handoff)
                await tx.queue(lane=LANE, delivery=delivery, key=f"k{n}", at=world.clock())
        before = counted.wire.trips
        await world.runtime.outbox.deliver([LANE])
        assert world.contact.sent[handoff] == ["part 0", "part 1", "part 2"]
        assert counted.wire.trips - before == 1 + 3  # the first claim; then each outcome, with the next claim
