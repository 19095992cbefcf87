"""Failover: three replicas on one PostgreSQL; the gateway holder is killed mid-burst, then the next one.

Five players and their agents talk in bursts through faults on both sides, as in tests/test_chaos.py
(whose helpers this test drives), but flexcord runs as three replicas sharing one database:

- each replica is its own `flexcord sandbox` process: the production assembly (engine.assembly, with
  the gateway lease of engine.replicas) on `--storage postgresql://…`, against the Flex emulator in
  a process of its own; Twilio's webhooks reach them through a load balancer in this test's
  process (`--public-url`), which sends each webhook to the next live replica (502 when none
  answers: the emulator retries, as Twilio does);
- Discord is emulated per replica (SimCord runs in the bot's process), made faithful across
  processes in the two ways a bot can tell: the gateway and the REST API. Only the replica that
  holds the gateway lease connects its emulated Discord (the others' stay off until they take
  over), and the players' messages are given to that replica only, as Discord gives gateway events
  only to the connected session; every replica builds the same server, so people and channels keep
  their ids from one replica to the next. What a replica sends goes through REST, which is one for
  every session of a bot: all three write each message they make to one receipt file, under the
  file's lock and after reading the lines the others added, so a nonce one replica used is refused
  to another within Discord's window (engine.sandbox.ledger) and a resend after a takeover does
  not show twice.

After a third of the players' messages the gateway holder is killed with SIGKILL, just after its
Discord made a message whose answer it never got (so the next holder must send it again, and
Discord's nonce, not luck, keeps it single); the test waits until another replica serves (its
/readyz says its Discord is connected), then, once that one has served two messages of each
player, kills it the same way.
Receipts are counted on disk, outside every killed process: nothing lost, nothing twice, nothing
out of order; each takeover's time (holder's death to the next holder serving) is printed
(`python -m pytest tests/test_failover.py -s`).

It takes 85 to 125 s on two busy cores (the chaos test: about 25 s), longer than most tests:
three replicas start (about 30 s there), each takeover waits for the gateway lease to lapse
(engine.replicas.LEASE, 10 s), and an outbox item a killed replica had claimed waits for its claim
to lapse (engine.store.postgres.LEASE, 30 s) before a survivor resends it; those waits are what
the test is about.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tests.postgres import fresh_database
from tests.test_bad_input import edit
from tests.test_chaos import BURST, PEOPLE, SEED, Chaos, Flexcord, flex_emulator, free_port, read_lines
from tests.test_sandbox_api import demo_copy, eventually

pytestmark = pytest.mark.chaos

NAMES = ("a", "b", "c")
TAKEOVER_WITHIN = 60.0  # seconds before the test gives up waiting for a new gateway holder
HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding"}


class Replicas:
    """The three replica processes, which the players meet as one bot: `url` is the gateway holder's."""

    def __init__(self, members: list[Flexcord]) -> None:
        self.members = members
        self.holder = members[0]
        self.up = asyncio.Event()  # a replica holds the gateway and serves
        self.takeovers: list[float] = []  # seconds from a holder's death to the next holder serving
        self._turn = itertools.count()

    @property
    def url(self) -> str:
        return self.holder.url

    def alive(self) -> list[Flexcord]:
        return [m for m in self.members if m.process is not None and m.process.poll() is None]

    async def find_holder(self, http: aiohttp.ClientSession) -> None:
        """Wait until one live replica says its Discord is connected: it holds the gateway."""

        async def serving() -> Flexcord | None:
            for member in self.alive():
                try:
                    async with http.get(f"{member.url}/readyz") as answer:
                        checks = (await answer.json())["checks"]
                except (aiohttp.ClientError, ValueError):
                    continue
                discord = next(c for c in checks if c["name"] == "discord")
                if discord["ok"] and discord["detail"].startswith("connected"):
                    return member
            return None

        self.holder = await eventually(serving, "a replica to hold the Discord gateway", TAKEOVER_WITHIN)
        self.up.set()

    async def kill_holder(self, http: aiohttp.ClientSession, receipts: Path) -> None:
        """SIGKILL the gateway holder just after Discord made a message whose answer it never got
        (so the next holder sends it again, with the same nonce); returns once another replica
        serves, timing the takeover."""
        made = len(read_lines(receipts))
        lose = {"target": "discord", "status": "timeout", "count": 1}
        async with http.post(f"{self.holder.url}/sandbox/api/faults", json=lose) as answer:
            assert answer.status == 200, await answer.text()
        await eventually(lambda: _more(receipts, made), "the holder to make a message", TAKEOVER_WITHIN)
        self.holder.kill()
        died = time.monotonic()
        self.up.clear()
        await self.find_holder(http)
        self.takeovers.append(time.monotonic() - died)

    async def forward(self, request: web.Request) -> web.StreamResponse:
        """The load balancer: the request to the next live replica; 502 when none answers."""
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        live = self.alive()
        start = next(self._turn)
        for offset in range(len(live)):
            member = live[(start + offset) % len(live)]
            try:
                async with self.http.request(
                    request.method, member.url + request.path_qs, data=body, headers=headers
                ) as answer:
                    body = await answer.read()
                    return web.Response(status=answer.status, body=body, content_type=answer.content_type)
            except aiohttp.ClientError:
                continue
        return web.Response(status=502, text="no replica answered")

    @asynccontextmanager
    async def balancer(self, http: aiohttp.ClientSession, port: int) -> AsyncIterator[None]:
        self.http = http
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.forward)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield
        finally:
            await runner.cleanup()


async def _more(receipts: Path, than: int) -> bool:
    return len(read_lines(receipts)) > than


class Failover(Chaos):
    """The chaos test's drive and count; the kill is of the gateway holder, twice."""

    replicas: Replicas

    async def kill_halfway(self, total: int) -> None:
        """Kill the holder after a third of the players' messages, and the next holder once it has
        served two messages of each player (so the waits for the two killed replicas' claims overlap)."""
        for mark in (total // 3, total // 3 + 2 * len(PEOPLE)):
            async with self.progress:
                await self.progress.wait_for(lambda m=mark: self.attempted >= m)
            await self.replicas.kill_holder(self.http, self.folder / "discord.jsonl")


def always_open(config: Path) -> None:
    """Replicas run on real time (one clock for all, as in production): support open at any hour."""
    edit(config, 'mon-fri: "09:00-18:00"', 'mon-sun: "00:00-24:00"')
    edit(config, '    sat: "10:00-14:00"\n', "")
    edit(config, "  closed_on: [2026-12-25, 2027-01-01]\n", "")
    edit(config, "player_messages: 10/1m", "player_messages: 1000/1m")  # the burst is not abuse


@asynccontextmanager
async def failover_world(folder: Path, storage: str) -> AsyncIterator[Failover]:
    config = demo_copy(folder)
    always_open(config)
    balancer = free_port()
    async with flex_emulator(folder) as flex_url:
        options = ("--storage", storage, "--public-url", f"http://127.0.0.1:{balancer}")
        members = []
        for name in NAMES:
            (folder / name).mkdir()
            members.append(
                Flexcord(
                    folder / name,
                    config,
                    flex_url,
                    name=name,
                    receipts=folder / "discord.jsonl",
                    clock="now",
                    options=options,
                )
            )
        replicas = Replicas(members)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http, replicas.balancer(http, balancer):
            try:
                await asyncio.gather(*(member.start(http) for member in members))
                await replicas.find_holder(http)
                failover = Failover(http, replicas, flex_url, folder)
                failover.replicas = replicas
                yield failover
            finally:
                for member in members:
                    member.stop()


async def test_failover_three_replicas_lose_two_gateway_holders_and_nothing_else(tmp_path: Path) -> None:
    began = time.monotonic()
    async with failover_world(tmp_path, await fresh_database()) as failover:
        await failover.connect_everyone()
        await failover.burst()
        await failover.settle()
        players, agents = failover.summary(failover.players), failover.summary(failover.agents)
        takeovers = ", ".join(f"{took:.1f} s" for took in failover.replicas.takeovers)
        print(
            f"\nfailover: {len(NAMES)} replicas, {len(PEOPLE)} conversations, seed {SEED}, "
            f"takeovers {takeovers}, faults {dict(sorted(failover.faults.items()))}, "
            f"{time.monotonic() - began:.0f} s in all\n"
            f"  players -> agents: {players}\n"
            f"  agents -> players: {agents}"
        )
        lost = (
            {c: t.lost for c, t in failover.players.items() if t.lost},
            {c: t.lost for c, t in failover.agents.items() if t.lost},
        )
        for figures in (players, agents):
            assert (figures["lost"], figures["duplicated"], figures["out_of_order"]) == (0, 0, 0), (
                players,
                agents,
                lost,
            )
        assert agents["accepted"] == len(PEOPLE) * BURST
        assert players["accepted"] >= len(PEOPLE) * BURST // 2  # most got through despite the kills
        assert len(failover.replicas.takeovers) == 2 and len(failover.replicas.alive()) == 1
