"""Several replicas on one PostgreSQL: one conversation served by two replicas, and the Discord
gateway held by exactly one replica, taken over when its holder dies."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from engine.events import User
from engine.metrics import Metrics
from engine.ports import DeliveryError
from engine.replicas import LEASE, GatewayLease, SharedStore
from engine.runtime import Generation, Runtime
from engine.runtime.generation import build_generation
from engine.server import ServerServices, create_app, start_server
from engine.store import Slot, open_store, store_status
from engine.store.postgres import LEASE as CLAIM_LEASE
from tests.flex_fixtures import AUTH_TOKEN, PUBLIC_URL, demo_config, running_flex_world
from tests.postgres import fresh_database
from tests.support.twins import ManualClock, MemoryChat, MemoryContactCenter, Player, generation_from
from tests.test_flex_contact_center import REQUEST

ASH = "111"
WEDNESDAY_MORNING = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)
WEBHOOK = "/twilio/conversations"
SIGNER = RequestValidator(AUTH_TOKEN)


@pytest.fixture(scope="module")
def generation(repo_root: Path) -> Generation:
    return generation_from(repo_root / "flexcord.yaml")


@pytest.fixture
async def url() -> str:
    return await fresh_database()


async def test_webhooks_to_replica_a_then_b_reach_the_player_once_each_in_order(url: str) -> None:
    """A load balancer alternates Twilio's webhooks of one conversation between two replicas'
    webhook servers (Hypercorn on loopback, signed as Twilio signs them)."""
    generation = build_generation(demo_config())
    chat, contact, clock = MemoryChat(), MemoryContactCenter(), ManualClock(WEDNESDAY_MORNING)
    stores = [await open_store(url), await open_store(url)]
    replicas = [Runtime(generation, store, chat, contact, clock=clock) for store in stores]
    servers = []
    try:
        for replica in replicas:
            await replica.start()
            servers.append(await start_server(create_app(ServerServices(runtime=replica)), "127.0.0.1", 0))
        await Player(replicas[0], User(ASH, "Ash"), clock).says("I want an agent")
        handoff = contact.handoff_of(ASH)
        async with aiohttp.ClientSession() as http:
            for n in range(1, 7):  # odd messages to replica A, even ones to B
                said = {
                    "EventType": "onMessageAdded",
                    "ConversationSid": handoff,
                    "MessageSid": f"IM{n:032d}",
                    "Author": "misty_agent",
                    "Body": f"answer {n}",
                    "Source": "SDK",
                }
                signature = SIGNER.compute_signature(PUBLIC_URL + WEBHOOK, said)
                async with http.post(
                    servers[(n - 1) % 2].url + WEBHOOK, data=said, headers={"X-Twilio-Signature": signature}
                ) as answer:
                    assert answer.status == 200, await answer.text()
        wanted = [f"answer {n}" for n in range(1, 7)]
        await chat.wait_for(lambda: [t for t in chat.texts(ASH) if t.startswith("answer")] == wanted)
        assert [t for t in chat.texts(ASH) if t.startswith("answer")] == wanted
    finally:
        for server in servers:
            await server.stop()
        for replica in replicas:
            await replica.stop()
        for store in stores:
            await store.close()


class FakeGateway:
    """Stands for the Discord connection: says when it was started and stopped."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.stopped = False

    async def start(self) -> None:
        self.started.set()

    async def stop(self) -> None:
        self.stopped = True


Replica = tuple[GatewayLease, FakeGateway, Metrics]


@pytest.fixture
async def replicas(
    generation: Generation, url: str
) -> AsyncIterator[list[tuple[GatewayLease, FakeGateway, Metrics]]]:
    made = []
    clock = ManualClock(WEDNESDAY_MORNING)
    for version in ("v1", "v2"):
        store = await open_store(url)
        assert isinstance(store, SharedStore)
        outbox = Runtime(generation, store, MemoryChat(), MemoryContactCenter()).outbox
        metrics, gateway = Metrics(), FakeGateway()
        lease = GatewayLease(
            store, outbox, metrics, clock=clock, config_version=lambda v=version: v, lost=lambda: None
        )
        lease.inner = gateway
        made.append((lease, gateway, metrics))
    yield made
    for lease, _, _ in made:
        await lease.stop()
        await lease.store.close()  # type: ignore[attr-defined]


async def test_one_replica_holds_the_gateway_and_another_takes_over_when_it_dies(
    replicas: list[Replica], url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    (first, first_gateway, first_metrics), (second, second_gateway, second_metrics) = replicas
    await first.start()
    await second.start()
    assert first_gateway.started.is_set() and not second_gateway.started.is_set()
    assert first_metrics.gateway_leader._value.get() == 1  # type: ignore[attr-defined]
    assert second_metrics.gateway_leader._value.get() == 0  # type: ignore[attr-defined]
    assert "holds the Discord gateway" in caplog.text
    assert "the replicas run different rules (config versions v1, v2)" in caplog.text

    assert first._task is not None
    first._task.cancel()  # the holder dies: it renews no more
    first.clock.advance(LEASE.total_seconds() + 1)  # type: ignore[attr-defined]
    await asyncio.wait_for(second_gateway.started.wait(), timeout=10)
    assert second_metrics.gateway_leader._value.get() == 1  # type: ignore[attr-defined]

    status = await store_status(url)
    assert {r.config_version for r in status.replicas} == {"v1", "v2"}


async def test_a_cooldown_used_up_on_one_replica_holds_on_the_other(generation: Generation, url: str) -> None:
    chat, contact, clock = MemoryChat(), MemoryContactCenter(), ManualClock(WEDNESDAY_MORNING)
    stores = [await open_store(url), await open_store(url)]
    a, b = (Runtime(generation, store, chat, contact, clock=clock) for store in stores)
    try:
        for n, replica in enumerate((a, b)):  # cooldown: 2/10m; one report filed through each replica
            ash = Player(replica, User(ASH, "Ash"), clock)
            await ash.submits("bug", "bug-report", summary=f"bug {n}", steps="Open the map", device="")
        outcome = await Player(a, User(ASH, "Ash"), clock).uses("bug", "bug-report")
        assert [r.text for r in outcome.replies] == ["You can use /bug again in 10 min."]
    finally:
        for store in stores:
            await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """One database two stores open: a SQLite file, or a PostgreSQL database."""
    return f"sqlite:///{tmp_path / 'shared.db'}" if request.param == "sqlite" else await fresh_database()


async def test_two_replicas_at_once_cannot_both_take_a_players_last_message(shared_url: str) -> None:
    """A player allowed 5 messages a minute sends 30 at once, half through each replica: 5 get through."""
    stores = [await open_store(shared_url), await open_store(shared_url)]

    async def relay(n: int) -> bool:
        async with stores[n % 2].transaction() as tx:  # a turn of its own, as each message has
            at = WEDNESDAY_MORNING + timedelta(milliseconds=n)
            return await tx.take_slot(Slot(f"relay/{ASH}", 5, 60, at, once=f"message {n}")) is None

    try:
        passed = await asyncio.gather(*(relay(n) for n in range(30)))
        assert sum(passed) == 5
    finally:
        for store in stores:
            await store.close()


async def test_a_message_a_dead_replica_sent_is_not_sent_again_by_the_replica_that_takes_its_lane() -> None:
    """Replica B sends a player's message to Flex and dies before recording it; once B's claim on the
    lane lapses, replica A (which sent the message before it) delivers the item again: once in Flex."""
    async with running_flex_world() as world:
        now = [0.0]
        a, b = world.contact_center(clock=lambda: now[0]), world.contact_center()
        ticket = await a.start_handoff(REQUEST)
        sid = ticket.conversation_sid
        await a.send(sid, REQUEST.user_id, "my game crashes", "message-1")
        lost = {"status": 500, "count": 1, "path": "/Messages", "method": "POST", "after": True}
        await world.flex.agent("POST", "/faults", lost)  # Flex makes it; B never hears back
        with pytest.raises(DeliveryError):
            await b.send(sid, REQUEST.user_id, "on the second map", "message-2")
        now[0] += CLAIM_LEASE.total_seconds()  # B's claim lapsed: A takes the lane's head
        await a.send(sid, REQUEST.user_id, "on the second map", "message-2")
        bodies = [m.body for m in world.flex.emulator.state.conversations[sid].messages]
        assert bodies.count("my game crashes") == 1 and bodies.count("on the second map") == 1
