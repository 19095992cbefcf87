"""Chaos: five players and their agents talk in bursts through faults on both sides and a hard kill.

What it does (under a minute; `python -m pytest tests/test_chaos.py -s` prints the figures):

1. Starts the Flex emulator in its own process (`python -m engine.flex.emulator --receipts
   twilio.jsonl`) and flexcord in another (`flexcord sandbox --flex-url ... --discord-receipts
   discord.jsonl`): SimCord as Discord with the real bot, in flexcord's process. The emulated
   Discord writes a receipt line per message it makes, and the emulator one per message flexcord
   posts, each on disk before the sender gets its answer, so what each side received is counted
   outside the process that is killed.
2. Each of the five people of the sandbox asks for an agent; an agent accepts each task.
3. Bursts both ways, numbered per conversation ("c2 p07" from the player, "c2 a07" from the
   agent): players through the sandbox API (accepted = it answered 200, i.e. the bot recorded the
   message), agents through the emulator's agent API (accepted = it answered 201). Meanwhile
   random faults (seeded) hit both sides: Discord 429, 500 and lost answers; Twilio 429, 500 and
   500-after-doing-it. Halfway, flexcord is killed with SIGKILL and started again on the same
   data folder and port; the emulator keeps retrying its webhooks meanwhile.
4. Waits (bounded, polling) until both receipt logs hold every accepted message and stay still,
   then prints one summary line and asserts: nothing lost, nothing twice, nothing out of order.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.test_bad_input import edit
from tests.test_sandbox_api import demo_copy, eventually

pytestmark = pytest.mark.chaos

SEED = 20260302
PEOPLE = ("ash", "misty", "brock", "mod_jenny", "prof_oak")
BURST = 20  # messages each way per conversation
FAULT_EVERY = 3  # one fault (on a random side) per this many messages attempted
OPEN_HOURS = "2026-03-02T10:00:00-08:00"  # a Monday morning: support is open
START_WITHIN = 60.0
SETTLE_WITHIN = 60.0
QUIET = 2.0  # the receipt logs must not grow for this long before counting
PLAYER_LINE = re.compile(r"^c(\d+) p(\d+)$")
AGENT_LINE = re.compile(r"c(\d+) a(\d+)$")


def flexcord_command() -> list[str]:
    script = Path(sys.executable).with_name("flexcord")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from engine.cli import main; main()"]


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The complete JSON lines of a receipt log (a line being written is left for the next read)."""
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


@dataclass
class Tally:
    """What one direction of one conversation sent (accepted or not) and what arrived, in order."""

    accepted: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)

    @property
    def lost(self) -> list[int]:
        return sorted(set(self.accepted) - set(self.delivered))

    @property
    def duplicated(self) -> int:
        return len(self.delivered) - len(set(self.delivered))

    @property
    def out_of_order(self) -> int:
        """Messages that arrived after a later one of the same conversation."""
        highest, late = 0, 0
        for number in self.delivered:
            if number < highest:
                late += 1
            highest = max(highest, number)
        return late

    @property
    def unacknowledged(self) -> int:
        """Delivered although the sender never heard it was accepted (its answer was cut by the kill)."""
        return len(set(self.delivered) - set(self.accepted))


class Flexcord:
    """The flexcord process (the sandbox with an external Flex emulator) that the test kills."""

    def __init__(
        self,
        folder: Path,
        config: Path,
        flex_url: str,
        *,
        name: str = "flexcord",
        receipts: Path | None = None,
        clock: str = OPEN_HOURS,
        options: tuple[str, ...] = (),
    ) -> None:
        """`receipts` (default: discord.jsonl in `folder`), `clock` and `options` are for replicas."""
        self.folder, self.name = folder, name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            *flexcord_command(),
            "sandbox",
            "-c",
            str(config),
            "--port",
            str(self.port),
            "--data",
            str(folder / "data"),
            "--no-open",
            "--flex-url",
            flex_url,
            "--discord-receipts",
            str(receipts or folder / "discord.jsonl"),
            "--clock",
            clock,
            *options,
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.up = asyncio.Event()

    async def start(self, http: aiohttp.ClientSession) -> float:
        """Start it and wait until it answers; returns how long that took."""
        began = time.monotonic()
        self.runs += 1
        with (self.folder / f"{self.name}-{self.runs}.log").open("wb") as log:
            self.process = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "CI": "1"}
            )

        async def healthy() -> bool:
            assert self.process is not None and self.process.poll() is None, "flexcord exited"
            try:
                async with http.get(f"{self.url}/healthz") as answer:
                    return answer.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(healthy, "flexcord to answer", START_WITHIN)
        self.up.set()
        return time.monotonic() - began

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine loses the process."""
        self.up.clear()
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@asynccontextmanager
async def flex_emulator(folder: Path) -> AsyncIterator[str]:
    """The Flex emulator in its own process; yields its URL."""
    with (folder / "emulator.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "engine.flex.emulator",
                "--port",
                "0",
                "--receipts",
                str(folder / "twilio.jsonl"),
                "--no-spec-check",
            ],
            stdout=subprocess.PIPE,
            stderr=log,
        )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), START_WITHIN)
        url = first.decode().strip()  # its first line is its URL
        assert url.startswith("http://"), (folder / "emulator.log").read_text()
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Chaos:
    """Drives both sides, injects faults, kills flexcord once, and counts."""

    def __init__(self, http: aiohttp.ClientSession, flexcord: Flexcord, flex_url: str, folder: Path) -> None:
        self.http = http
        self.flexcord = flexcord
        self.flex_url = flex_url
        self.folder = folder
        self.random = random.Random(SEED)
        self.tasks: dict[int, str] = {}  # conversation -> task sid
        self.players: dict[int, Tally] = defaultdict(Tally)
        self.agents: dict[int, Tally] = defaultdict(Tally)
        self.attempted = 0
        self.progress = asyncio.Condition()
        self.sent_by_player: dict[int, int] = defaultdict(int)
        self.faults: dict[str, int] = defaultdict(int)
        self.killed_after: int | None = None
        self.restart_took = 0.0

    async def _json(self, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        async with self.http.request(method, url, json=body) as answer:
            return answer.status, await answer.json(content_type=None)

    async def _moved(self, conversation: int) -> None:
        async with self.progress:
            self.attempted += 1
            self.sent_by_player[conversation] += 1
            self.progress.notify_all()

    # --- set-up: every player with an agent --------------------------------------------------

    async def connect_everyone(self) -> None:
        for person in PEOPLE:
            status, answer = await self._json(
                "POST",
                f"{self.flexcord.url}/sandbox/api/messages",
                {"user": person, "channel": "dm", "text": "I want an agent"},
            )
            assert status == 200, answer

        async def all_tasks() -> list[dict[str, Any]] | None:
            _, tasks = await self._json("GET", f"{self.flex_url}/emulator/tasks")
            return tasks if len(tasks) == len(PEOPLE) else None

        for task in await eventually(all_tasks, "a task for every player", 30):
            conversation = PEOPLE.index(task["attributes"]["customerName"])
            self.tasks[conversation] = task["sid"]
            agent = {"agent": f"Agent {conversation}"}
            status, answer = await self._json(
                "POST", f"{self.flex_url}/emulator/tasks/{task['sid']}/accept", agent
            )
            assert status == 200, answer

        async def all_joined() -> bool:
            lines = read_lines(self.folder / "discord.jsonl")
            joined = {line["to_name"] for line in lines if "joined the chat" in line["content"]}
            return joined >= set(PEOPLE)

        await eventually(all_joined, "every player to hear their agent joined", 30)

    # --- the bursts ----------------------------------------------------------------------------

    async def player(self, conversation: int) -> None:
        """Numbered messages from one player, in order; a refused one is not sent again."""
        for number in range(1, BURST + 1):
            await self.flexcord.up.wait()
            body = {"user": PEOPLE[conversation], "channel": "dm", "text": f"c{conversation} p{number:02d}"}
            try:
                status, _ = await self._json("POST", f"{self.flexcord.url}/sandbox/api/messages", body)
            except (aiohttp.ClientError, TimeoutError):
                status = 0  # flexcord went down during the call: its answer is unknown
            tally = self.players[conversation]
            (tally.accepted if status == 200 else tally.refused).append(number)
            await self._moved(conversation)

    async def agent(self, conversation: int) -> None:
        """Numbered messages from one agent, each after the player's message of the same number."""
        sid = self.tasks[conversation]
        for number in range(1, BURST + 1):
            async with self.progress:
                await self.progress.wait_for(lambda n=number: self.sent_by_player[conversation] >= n)
            status, answer = await self._json(
                "POST",
                f"{self.flex_url}/emulator/tasks/{sid}/messages",
                {"text": f"c{conversation} a{number:02d}"},
            )
            assert status == 201, answer
            self.agents[conversation].accepted.append(number)

    async def inject_faults(self, total: int) -> None:
        """One random fault every FAULT_EVERY messages attempted, on either side."""
        for mark in range(FAULT_EVERY, total, FAULT_EVERY):
            async with self.progress:
                await self.progress.wait_for(lambda m=mark: self.attempted >= m)
            if self.random.random() < 0.5:
                await self._discord_fault(self.random.choice([429, 500, "timeout"]))
            else:
                await self._twilio_fault(self.random.choice([429, 500]), self.random.random() < 0.4)

    async def _discord_fault(self, status: int | str) -> None:
        if not self.flexcord.up.is_set():
            return
        try:
            code, _ = await self._json(
                "POST", f"{self.flexcord.url}/sandbox/api/faults", {"target": "discord", "status": status}
            )
        except aiohttp.ClientError:
            return
        if code == 200:
            self.faults[f"discord {status}"] += 1

    async def _twilio_fault(self, status: int, after: bool) -> None:
        fault = {"status": status, "count": 1, "path": "/Messages", "method": "POST", "after": after}
        if status == 429:
            fault["retry_after"] = 0.5
        code, _ = await self._json("POST", f"{self.flex_url}/emulator/faults", fault)
        assert code == 201
        self.faults[f"twilio {status}{' after the work' if after else ''}"] += 1

    async def kill_halfway(self, total: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: self.attempted >= total // 2)
        self.killed_after = self.attempted
        self.flexcord.kill()
        self.restart_took = await self.flexcord.start(self.http)

    async def burst(self) -> None:
        total = len(PEOPLE) * BURST
        await asyncio.gather(
            *(self.player(c) for c in range(len(PEOPLE))),
            *(self.agent(c) for c in range(len(PEOPLE))),
            self.inject_faults(total),
            self.kill_halfway(total),
        )
        await self._json("DELETE", f"{self.flex_url}/emulator/faults")  # Twilio is healthy again

    # --- counting --------------------------------------------------------------------------------

    def count(self) -> None:
        """Read both receipt logs into the tallies (from scratch each time)."""
        for tally in (*self.players.values(), *self.agents.values()):
            tally.delivered = []
        for line in read_lines(self.folder / "twilio.jsonl"):
            found = PLAYER_LINE.match(str(line.get("body", "")))
            if found:
                self.players[int(found[1])].delivered.append(int(found[2]))
        for line in read_lines(self.folder / "discord.jsonl"):
            found = AGENT_LINE.search(str(line.get("content", "")))
            if found and line.get("dm"):
                self.agents[int(found[1])].delivered.append(int(found[2]))

    async def settle(self) -> None:
        """Wait until every accepted message arrived and both logs stayed still for QUIET seconds."""
        sizes: tuple[int, int] = (-1, -1)
        still_since = time.monotonic()

        async def settled() -> bool:
            nonlocal sizes, still_since
            self.count()
            now = (
                len(read_lines(self.folder / "twilio.jsonl")),
                len(read_lines(self.folder / "discord.jsonl")),
            )
            if now != sizes:
                sizes, still_since = now, time.monotonic()
            complete = not any(t.lost for t in (*self.players.values(), *self.agents.values()))
            return complete and time.monotonic() - still_since >= QUIET

        try:
            await eventually(settled, "every accepted message to arrive", SETTLE_WITHIN)
        except AssertionError:
            self.count()  # the assertions below say what is missing

    @staticmethod
    def summary(tallies: dict[int, Tally]) -> dict[str, int]:
        values = list(tallies.values())
        return {
            "accepted": sum(len(t.accepted) for t in values),
            "refused": sum(len(t.refused) for t in values),
            "delivered": sum(len(set(t.delivered)) for t in values),
            "lost": sum(len(t.lost) for t in values),
            "duplicated": sum(t.duplicated for t in values),
            "out_of_order": sum(t.out_of_order for t in values),
            "unacknowledged": sum(t.unacknowledged for t in values),
        }


@asynccontextmanager
async def chaos_world(folder: Path) -> AsyncIterator[Chaos]:
    config = demo_copy(folder)
    edit(config, "player_messages: 10/1m", "player_messages: 1000/1m")  # the burst is not abuse
    async with flex_emulator(folder) as flex_url:
        flexcord = Flexcord(folder, config, flex_url)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            try:
                await flexcord.start(http)
                yield Chaos(http, flexcord, flex_url, folder)
            finally:
                flexcord.stop()


async def test_chaos_nothing_lost_nothing_twice_nothing_out_of_order(tmp_path: Path) -> None:
    began = time.monotonic()
    async with chaos_world(tmp_path) as chaos:
        await chaos.connect_everyone()
        await chaos.burst()
        await chaos.settle()
        players, agents = chaos.summary(chaos.players), chaos.summary(chaos.agents)
        print(
            f"\nchaos: {len(PEOPLE)} conversations, seed {SEED}, "
            f"killed after {chaos.killed_after} player messages, back in {chaos.restart_took:.1f} s, "
            f"faults {dict(sorted(chaos.faults.items()))}, {time.monotonic() - began:.0f} s in all\n"
            f"  players -> agents: {players}\n"
            f"  agents -> players: {agents}"
        )
        for figures in (players, agents):
            assert (figures["lost"], figures["duplicated"], figures["out_of_order"]) == (0, 0, 0), (
                players,
                agents,
                {c: t.lost for c, t in chaos.players.items() if t.lost},
                {c: t.lost for c, t in chaos.agents.items() if t.lost},
            )
        assert agents["accepted"] == len(PEOPLE) * BURST
        assert players["accepted"] >= len(PEOPLE) * BURST // 2  # most got through despite the kill
        assert chaos.flexcord.runs == 2 and sum(chaos.faults.values()) > 0
