"""The engine's hot path: player messages per second with many conversations, and per-event latency.

    python benchmarks/hot_path.py --old-tree /tmp/old [--quick] [--conversations 100] [--messages 20]
    scripts/with-postgres python benchmarks/hot_path.py ...   # PostgreSQL too
    scripts/with-postgres python benchmarks/hot_path.py --postgres-only --compare /tmp/main
        # PostgreSQL only: this tree against another (throughput and latency, interleaved)

1. Throughput. `--conversations` players, each already talking to an agent, each send `--messages`
   DMs one after another, all players at once, through `Runtime.handle` (the entry point the
   Discord adapter calls): routed, stored (transcript, outbox), relayed to the contact center.
   The two platforms are ports that count and forget. Messages/s = all messages / wall time.
   Each run is its own process importing the engine of one source tree: this one, and
   (`--old-tree`, a `git worktree` of an older commit) the baseline, in alternating rounds so both
   see the same machine load. SQLite (a file) for both; PostgreSQL (FLEXCORD_TEST_POSTGRES) for
   this tree only when given.
2. Latency (this tree and each `--compare` tree, each in its own process, in alternating halves;
   one event at a time). Player DM event -> first byte of the Twilio request:
   `Runtime.handle` with the real `TwilioContactCenter` (twilio SDK) sending to a raw HTTP server
   here that timestamps each request's first byte. Agent webhook -> Discord send:
   `Runtime.accept_contact_event` (what the webhook calls before answering Twilio) to the chat
   port's `send_dm` being called. Baseline in the same run, interleaved: `send()` alone.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # a Monday during support hours
ASK = "I want to talk to a real person"


class Chat:
    """A chat side that counts; `sent_at` is when the last DM was sent (perf_counter_ns)."""

    def __init__(self) -> None:
        self.sent = 0
        self.sent_at = self.sent_cpu = 0
        self.sending: asyncio.Event | None = None
        self._ids = itertools.count(1)

    async def send_dm(self, user_id: str, message: object, *args: object, **kwargs: object) -> str:
        self.sent_at, self.sent_cpu = time.perf_counter_ns(), time.thread_time_ns()
        self.sent += 1
        if self.sending is not None:
            self.sending.set()
        return str(next(self._ids))

    async def post(self, channel: str, message: object, *args: object, **kwargs: object) -> str:
        self.sent += 1
        return str(next(self._ids))


class Contact:
    """A contact center that counts; `send` goes to `real` when one is given."""

    def __init__(self, ticket: Any, real: Any = None) -> None:
        self.sent = 0
        self._ticket = ticket
        self._real = real
        self._sids = itertools.count(1)

    async def start_handoff(self, request: object) -> Any:
        return self._ticket(f"CH{next(self._sids):032x}")  # first field: the sid, by either name

    async def send(self, conversation_sid: str, user_id: str, text: str, key: str) -> None:
        self.sent += 1
        if self._real is not None:
            await self._real.send(conversation_sid, user_id, text, key)

    async def notify(self, *args: object) -> None:
        self.sent += 1

    async def close(self, *args: object) -> None:
        return None


async def bot(
    url: str, contact_real: Any = None, *, one_language: bool = False
) -> tuple[Any, Any, Chat, Contact, list[datetime]]:
    """The demo bot's runtime on the store at `url`, with the tree on sys.path (new or old API);
    `one_language`: the demo with only its default language, so no DM's language is detected."""
    import dataclasses

    from engine.config import build
    from engine.ports import HandoffTicket
    from engine.runtime import Runtime, build_generation
    from engine.store import open_store

    result = build(Path(sys.path[0]) / "flexcord.yaml", offline=True)
    config = result.config
    assert config is not None, result.errors
    if one_language:
        config = dataclasses.replace(
            config, locales=dataclasses.replace(config.locales, supported=("en-US",))
        )
    store = await open_store(url)
    clock = [START]
    chat, contact = Chat(), Contact(HandoffTicket, contact_real)
    runtime = Runtime(build_generation(config), store, chat, contact, clock=lambda: clock[-1])
    await runtime.start()
    try:  # as `flexcord run` does once it serves, where the tree has it
        from engine.heap import settle_heap
    except ImportError:
        pass
    else:
        settle_heap()
    return runtime, store, chat, contact, clock


async def with_agents(runtime: Any, store: Any, players: int, clock: list[datetime]) -> list[tuple[Any, str]]:
    """`players` players, each handed off to an agent who joined; (user, conversation sid) each."""
    from engine.events import ContactEvent, Event, User

    found = []
    for n in range(players):
        user = User(str(10**17 + n), f"player{n}")
        await runtime.handle(Event("message", f"ask-{n}", user, "dm", clock[-1], text=ASK))
        conversation = await store.conversation(user.id)
        sid = getattr(conversation, "conversation_sid", None) or conversation.handoff  # older: handoff
        await runtime.on_contact_event(ContactEvent("agent_joined", f"join-{n}", sid, agent="Misty"))
        found.append((user, sid))
    return found


async def throughput_worker(url: str, players: int, messages: int) -> None:
    from engine.events import Event

    runtime, store, _, contact, clock = await bot(url)
    users = await with_agents(runtime, store, players, clock)
    before = contact.sent

    async def converse(index: int, user: Any) -> None:
        for n in range(messages):
            at = START + timedelta(seconds=7 * (n + 1), microseconds=index)  # inside 10 a minute
            clock.append(at)
            await runtime.handle(Event("message", f"m-{index}-{n}", user, "dm", at, text=f"update {n}"))

    began, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(converse(i, user) for i, (user, _) in enumerate(users)))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    relayed = contact.sent - before
    commits = getattr(store, "commits", None)
    rates = {"rate": players * messages / elapsed, "cpu_rate": players * messages / cpu}
    print(json.dumps({**rates, "relayed": relayed, "commits": commits}))
    await runtime.stop()
    await store.close()


def run_worker(tree: Path, url: str, players: int, messages: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", str(tree), url, str(players), str(messages)]
    return dict(json.loads(worker_output(command, tree, 900)))


def worker_output(command: list[str], tree: Path, timeout: float) -> str:
    """A worker process's last line of output; its errors shown, not swallowed, when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, cwd=tree, timeout=timeout)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(
            f"the worker for {tree} failed (exit status {done.returncode}): its errors are above"
        )
    return done.stdout.strip().splitlines()[-1]


def fresh_postgres(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return server.rpartition("/")[0] + "/" + name


def throughput(
    old: Path | None,
    others: list[Path],
    players: int,
    messages: int,
    rounds: int,
    postgres_only: bool = False,
) -> dict[str, list[float]]:
    """msg/s per round for each (tree, store), the trees alternating."""
    server = os.environ.get("FLEXCORD_TEST_POSTGRES")
    runs: dict[str, list[float]] = {}
    for round_number in range(rounds):
        targets: list[tuple[str, Path, str]] = []
        if not postgres_only:
            targets.append(("this tree, SQLite", ROOT, "sqlite"))
            if old is not None:
                targets.append(("baseline tree, SQLite", old, "sqlite"))
            targets += [(f"{tree.name}, SQLite", tree, "sqlite") for tree in others]
        if server:  # the baseline has no PostgreSQL store; the other trees to compare may
            targets.append(("this tree, PostgreSQL", ROOT, "postgres"))
            targets += [(f"{tree.name}, PostgreSQL", tree, "postgres") for tree in others]
        for name, tree, store in targets if round_number % 2 == 0 else targets[::-1]:
            with tempfile.TemporaryDirectory() as folder:
                url = f"sqlite:///{folder}/flexcord.db"
                if store == "postgres" and server:
                    url = fresh_postgres(server, "flexcord_hot_path")
                figure = run_worker(tree, url, players, messages)
            assert figure["relayed"] == players * messages, figure
            runs.setdefault(name, []).append(figure["rate"])
            runs.setdefault(f"{name} (per CPU-second)", []).append(figure["cpu_rate"])
    return runs


# --- latency -----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": percentile(values, 0.5), "p99": percentile(values, 0.99), "max": max(values)}


async def latency(url: str, samples: int, *, one_language: bool = False) -> dict[str, list[float]]:
    from benchmarks.webhook import canned_contact_center
    from engine.events import ContactEvent, Event

    arrivals: list[tuple[int, int]] = []
    server, twilio = await canned_contact_center(arrivals)
    runtime, store, chat, _, clock = await bot(url, twilio, one_language=one_language)
    players = 20  # taking turns, so no player reaches the demo's 10 messages a minute to the agent
    users = await with_agents(runtime, store, players, clock)
    times: dict[str, list[float]] = {name: [] for name in LATENCIES}
    for n in range(samples + 100):  # the first 100 warm up
        user, sid = users[n % players]
        at = START + timedelta(seconds=7 * (n // players + 1), microseconds=n)
        clock.append(at)
        arrivals.clear()
        start, cpu = time.perf_counter_ns(), time.thread_time_ns()
        await runtime.handle(Event("message", f"l-{n}", user, "dm", at, text="Which device? PC."))
        times["dm"].append((arrivals[0][0] - start) / 1e6)
        times["dm_cpu"].append((arrivals[0][1] - cpu) / 1e6)
        chat.sending = asyncio.Event()
        start, cpu = time.perf_counter_ns(), time.thread_time_ns()
        said = ContactEvent("agent_message", f"a-{n}", sid, agent="Misty", text="ok")
        await runtime.accept_contact_event(said)
        await asyncio.wait_for(chat.sending.wait(), 30)  # a delivery that never comes fails the run
        times["agent"].append((chat.sent_at - start) / 1e6)
        times["agent_cpu"].append((chat.sent_cpu - cpu) / 1e6)
        arrivals.clear()
        start, cpu = time.perf_counter_ns(), time.thread_time_ns()
        await twilio.send(sid, user.id, "Which device? PC.", f"alone-{n}")
        times["alone"].append((arrivals[0][0] - start) / 1e6)
        times["alone_cpu"].append((arrivals[0][1] - cpu) / 1e6)
    await runtime.stop()
    await store.close()
    await twilio.aclose()
    server.close()
    return {name: times[name][100:] for name in LATENCIES}


LATENCIES = {
    "dm": "DM event -> Twilio request",
    "agent": "agent event -> Discord send",
    "alone": "baseline: send() alone",
    "dm_cpu": "  the same, CPU time: DM",
    "agent_cpu": "  CPU time: agent event",
    "alone_cpu": "  CPU time: send() alone",
}


def latency_worker(tree: Path, url: str, samples: int, one_language: bool) -> dict[str, list[float]]:
    """`latency()` in a process of its own importing `tree`'s engine (this file's code runs it)."""
    command = [sys.executable, __file__, "--latency-worker", str(tree), url, str(samples), str(one_language)]
    return dict(json.loads(worker_output(command, tree, 1800)))


def latencies(trees: list[Path], postgres_only: bool, samples: int) -> None:
    """Each store and demo variant: every tree, in alternating halves (this, others, others, this)."""
    stores = {"SQLite": None, "PostgreSQL": os.environ.get("FLEXCORD_TEST_POSTGRES")}
    if postgres_only:
        del stores["SQLite"]
    for (name, server), one_language in itertools.product(stores.items(), (False, True)):
        if name == "PostgreSQL" and not server:
            continue
        found: dict[Path, dict[str, list[float]]] = {tree: {} for tree in trees}
        for tree in [*trees, *trees[::-1]]:
            with tempfile.TemporaryDirectory() as folder:
                url = (
                    fresh_postgres(server, "flexcord_latency")
                    if server
                    else f"sqlite:///{folder}/flexcord.db"
                )
                half = latency_worker(tree, url, samples // 2, one_language)
            for what, values in half.items():
                found[tree].setdefault(what, []).extend(values)
        languages = "demo with only en-US (no language detection)" if one_language else "demo bot"
        for tree in trees:
            label = "this tree" if tree == ROOT else tree.name
            print(f"latency, {name}, {languages}, {label}, {samples} events each:")
            for what, values in found[tree].items():
                f = summary(values)
                shown = f"p50 {f['p50']:.3f} ms  p99 {f['p99']:.3f} ms  max {f['max']:.3f} ms"
                print(f"  {LATENCIES[what]:30s} {shown}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        tree, url, players, messages = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        sys.path.insert(0, tree)
        asyncio.run(throughput_worker(url, players, messages))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--latency-worker":
        tree, url, samples, one_language = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "True"
        sys.path.insert(0, tree)
        print(json.dumps(asyncio.run(latency(url, samples, one_language=one_language))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--old-tree", type=Path, help="a worktree of the baseline commit")
    parser.add_argument("--compare", type=Path, action="append", default=[], help="another tree to run too")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres-only", action="store_true", help="leave out the SQLite runs")
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--messages", type=int, default=20, help="DMs per player")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--samples", type=int, default=2000, help="latency samples per store")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.rounds, args.samples = 5, 2, 200
    sys.path.insert(0, str(ROOT))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at start: {os.getloadavg()}")
    runs = throughput(
        args.old_tree, args.compare, args.conversations, args.messages, args.rounds, args.postgres_only
    )
    print(f"throughput: {args.conversations} conversations x {args.messages} DMs, {args.rounds} rounds")
    for name, rates in runs.items():
        cpu = " (per CPU-second)" if "CPU" in name else ""
        base = runs.get("baseline tree, SQLite" + cpu)
        if "PostgreSQL" in name and args.compare:  # this tree's PostgreSQL store against the first other's
            base = (
                None
                if name.startswith(args.compare[0].name)
                else runs.get(f"{args.compare[0].name}, PostgreSQL{cpu}")
            )
        ratio = f"  ({statistics.median(rates) / statistics.median(base):.2f}x baseline)" if base else ""
        ratio = ratio.replace("baseline", args.compare[0].name) if "PostgreSQL" in name and base else ratio
        shown = ", ".join(f"{r:.0f}" for r in rates)
        print(f"  {name:42s} median {statistics.median(rates):6.0f} msg/s  [{shown}]{ratio}")
    latencies([ROOT, *args.compare], args.postgres_only, args.samples)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
