"""Messages per second through the whole path, SQLite x 1 process against PostgreSQL x 1, 2, 3 replicas.

    scripts/with-postgres python benchmarks/replicas.py [--players 12] [--rounds 25]

Each replica is its own process running the demo bot's runtime (as `engine.assembly` wires it) on
the shared store; the two platforms are ports that count and forget, so only flexcord and its
database are measured. The players are split between the replicas; each first asks for an agent
(a handoff starts), then every round is one player DM to Flex (`Runtime.handle`) and one agent
message to the player (`Runtime.on_contact_event`, the webhook's path, delivered before it returns).
All replicas start their rounds together; messages/s = every replica's messages / the wall time
from the common start to the last replica's end. PostgreSQL: the throw-away server of
scripts/with-postgres (FLEXCORD_TEST_POSTGRES), a fresh database per run.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.soak import Discord, Flex  # noqa: E402
from engine.config import build  # noqa: E402
from engine.events import ContactEvent, Event, User  # noqa: E402
from engine.runtime import Runtime, build_generation  # noqa: E402
from engine.store import open_store  # noqa: E402

START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # a Monday during support hours


async def worker(url: str, index: int, players: int, rounds: int) -> None:
    result = build(ROOT / "flexcord.yaml", offline=True)
    assert result.config is not None, result.errors
    store = await open_store(url)
    clock = [START]
    runtime = Runtime(build_generation(result.config), store, Discord(), Flex(), clock=lambda: clock[0])
    await runtime.start()
    users = [User(str(10**17 + index * 1000 + n), f"player{index}-{n}") for n in range(players)]
    ids = itertools.count(1)
    sids: dict[str, str] = {}
    for user in users:
        ask = Event(
            "message", f"{index}-{next(ids)}", user, "dm", clock[0], text="I want to talk to a real person"
        )
        await runtime.handle(ask)
        conversation = await store.conversation(user.id)
        assert conversation is not None and conversation.conversation_sid is not None
        sids[user.id] = conversation.conversation_sid
        await runtime.on_contact_event(
            ContactEvent("agent_joined", f"j-{user.id}", sids[user.id], agent="Misty")
        )
    print("ready", flush=True)
    sys.stdin.readline()  # every replica starts its rounds together
    began = time.time()

    async def converse(user: User) -> None:
        for n in range(rounds):
            clock[0] += timedelta(seconds=1)
            said = Event("message", f"{index}-{next(ids)}", user, "dm", clock[0], text=f"update {n}")
            await runtime.handle(said)
            answer = ContactEvent(
                "agent_message", f"a-{user.id}-{n}", sids[user.id], agent="Misty", text="ok"
            )
            await runtime.on_contact_event(answer)

    await asyncio.gather(*(converse(user) for user in users))
    print(json.dumps({"began": began, "ended": time.time(), "messages": 2 * rounds * players}), flush=True)
    await runtime.stop()
    await store.close()


def run(url: str, replicas: int, players: int, rounds: int) -> float:
    """Messages per second of `replicas` worker processes sharing the store at `url`."""
    command = [sys.executable, __file__, "--worker", url]
    share = players // replicas
    procs = [
        subprocess.Popen(
            [*command, str(i), str(share), str(rounds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(replicas)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    figures = []
    for proc in procs:
        assert proc.stdout is not None
        figures.append(json.loads(proc.stdout.readline()))
        proc.wait()
    wall = max(f["ended"] for f in figures) - min(f["began"] for f in figures)
    return sum(f["messages"] for f in figures) / wall


def fresh_postgres(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return server.rpartition("/")[0] + "/" + name


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, index, players, rounds = sys.argv[2], *map(int, sys.argv[3:6])
        asyncio.run(worker(url, index, players, rounds))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=12, help="players in all (split between replicas)")
    parser.add_argument("--rounds", type=int, default=25, help="DM + agent answer per player")
    args = parser.parse_args()
    server = os.environ.get("FLEXCORD_TEST_POSTGRES")
    if not server:
        sys.exit("no PostgreSQL: run through scripts/with-postgres (it sets FLEXCORD_TEST_POSTGRES)")
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite x1"] = run(f"sqlite:///{folder}/flexcord.db", 1, args.players, args.rounds)
    for replicas in (1, 2, 3):
        url = fresh_postgres(server, f"flexcord_bench_{replicas}")
        results[f"postgresql x{replicas}"] = run(url, replicas, args.players, args.rounds)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load: {args.players} players, {args.rounds} rounds (a DM to Flex and an agent answer each)")
    base = results["sqlite x1"]
    for name, rate in results.items():
        print(f"{name:15s} {rate:7.0f} messages/s  ({rate / base:.2f} x SQLite)")


if __name__ == "__main__":
    main()
