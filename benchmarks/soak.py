"""Soak benchmark: does the bot's memory stay flat over 10,000 player messages?

    python benchmarks/soak.py [--messages 10000] [--players 500] [--agent-every 10]

The demo bot's runtime, wired as `engine.assembly` wires it: its SQLite store on disk (a temporary
folder), the Prometheus metrics as observer, the outbox with its retry timer. The two platforms
are replaced by ports that count what they are given and keep nothing, so that only flexcord's
own memory is measured (an emulated Discord or Flex in the same process keeps every message).

`--players` players take turns sending DMs (FAQ questions the knowledge-base bot answers); one
player in `--agent-every` asks for an agent first, and every message of theirs is answered by the
agent through `Runtime.accept_contact_event`, the webhooks' path, whose delivery runs in the
background. RSS (from /proc/self/status, after `gc.collect()`) is read after the first 1,000
messages and at the end; the soak passes when the end is within 20 MB of the first reading.
Before the end, `--burst` agent messages to one player are accepted back to back (a webhook
storm); it prints the most background delivery tasks seen at once.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.config import build  # noqa: E402
from engine.events import ContactEvent, Event, OutMessage, User  # noqa: E402
from engine.metrics import Metrics  # noqa: E402
from engine.ports import HandoffRequest, HandoffTicket  # noqa: E402
from engine.runtime import Runtime, build_generation  # noqa: E402
from engine.store import open_store  # noqa: E402

QUESTIONS = ("how do I reset my password", "my game crashes on start", "how do I trade with friends")
BUDGET_MB = 20.0


class Discord:
    """A chat side that counts and forgets."""

    def __init__(self) -> None:
        self.sent = 0
        self._ids = itertools.count(1)

    async def send_dm(self, user_id: str, message: OutMessage) -> str:
        self.sent += 1
        return str(next(self._ids))

    async def post(self, channel: str, message: OutMessage) -> str:
        self.sent += 1
        return str(next(self._ids))


class Flex:
    """A contact center that counts and forgets."""

    def __init__(self) -> None:
        self.sent = 0
        self._sids = itertools.count(1)

    async def start_handoff(self, request: HandoffRequest) -> HandoffTicket:
        return HandoffTicket(conversation_sid=f"CH{next(self._sids):032x}")

    async def send(self, conversation_sid: str, user_id: str, text: str, key: str) -> None:
        self.sent += 1

    async def notify(self, conversation_sid: str, text: str, key: str) -> None:
        self.sent += 1

    async def close(self, conversation_sid: str) -> None:
        return None


def rss_mb() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


async def soak(messages: int, players: int, agent_every: int, burst: int, folder: Path) -> dict[str, float]:
    result = build(ROOT / "flexcord.yaml", offline=True)
    assert result.config is not None, result.errors
    store = await open_store(f"sqlite:///{folder}/flexcord.db")
    clock = [datetime(2026, 3, 2, 18, 0, tzinfo=UTC)]  # a Monday during support hours
    discord, flex = Discord(), Flex()
    runtime = Runtime(
        build_generation(result.config), store, discord, flex, clock=lambda: clock[0], observer=Metrics()
    )
    await runtime.start()
    users = [User(str(10**17 + n), f"player{n}") for n in range(players)]
    with_agent: dict[str, str] = {}
    events = itertools.count(1)
    readings: dict[str, float] = {}
    most_drains = 0
    started = time.perf_counter()
    for n in range(messages):
        user = users[n % players]
        clock[0] += timedelta(seconds=7 / players)  # each player well inside 10 messages a minute
        first = n < players and n % agent_every == 0
        text = "I want to talk to a real person" if first else QUESTIONS[n % len(QUESTIONS)]
        await runtime.handle(Event("message", str(next(events)), user, "dm", clock[0], text=text))
        if first:
            conversation = await store.conversation(user.id)
            assert conversation is not None and conversation.conversation_sid is not None
            with_agent[user.id] = conversation.conversation_sid
            join = ContactEvent("agent_joined", f"join-{user.id}", with_agent[user.id], agent="Misty")
            await runtime.accept_contact_event(join)
        elif user.id in with_agent:
            reply = ContactEvent(
                "agent_message", f"m-{n}", with_agent[user.id], agent="Misty", text="Let me check that."
            )
            await runtime.accept_contact_event(reply)
        most_drains = max(most_drains, len(runtime.outbox._drains))
        if n + 1 == 1000:
            await asyncio.sleep(0.2)  # the background deliveries of the first 1,000 finish
            readings["after_1000"] = rss_mb()
    sid = next(iter(with_agent.values()))
    for n in range(burst):  # agent messages accepted back to back, as a webhook storm brings them
        said = ContactEvent("agent_message", f"burst-{n}", sid, agent="Misty", text=f"Update {n}.")
        await runtime.accept_contact_event(said)
        most_drains = max(most_drains, len(runtime.outbox._drains))
    while runtime.outbox._drains:
        await asyncio.sleep(0.05)
    readings["end"] = rss_mb()
    readings["seconds"] = time.perf_counter() - started
    readings["most_drains"] = most_drains
    readings["sent"] = discord.sent + flex.sent
    await runtime.stop()
    await store.close()
    return readings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--players", type=int, default=500)
    parser.add_argument("--agent-every", type=int, default=10)
    parser.add_argument("--burst", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(soak(args.messages, args.players, args.agent_every, args.burst, Path(folder)))
    growth = figures["end"] - figures["after_1000"]
    verdict = "PASS" if growth <= BUDGET_MB else "FAIL"
    rate = args.messages / figures["seconds"]
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"load: {args.messages} messages, {args.players} players, 1 in {args.agent_every} with an agent")
    print(f"took {figures['seconds']:.1f} s in all ({rate:.0f} messages/s), {figures['sent']:.0f} sends")
    print(f"then {args.burst} agent messages accepted back to back")
    print(f"background delivery tasks at most: {figures['most_drains']:.0f}")
    first, end = figures["after_1000"], figures["end"]
    print(f"RSS after GC: {first:.1f} MB after 1,000 messages, {end:.1f} MB at the end")
    print(f"growth: {growth:+.1f} MB (budget {BUDGET_MB:.0f} MB): {verdict}")
    if growth > BUDGET_MB:
        sys.exit(1)


if __name__ == "__main__":
    main()
