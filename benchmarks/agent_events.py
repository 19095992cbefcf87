"""CPU per agent's message through the webhook's way in, without the HTTP layer, for this tree and others.

    scripts/with-postgres python benchmarks/agent_events.py [--compare /tmp/main] [--rounds 3] [--bursts 100]

The demo bot's runtime (as in benchmarks/hot_path.py: ports that count) with 64 players already
talking to an agent. Agents' messages arrive in bursts of 32 at once, each applied and committed by
`Runtime.accept_contact_event` (what `/twilio/conversations` calls before its 200) and delivered to
the player in the background; the figure is this process's CPU per message, from the first of
`--bursts` bursts until every message has been sent to Discord. It is what the store and the
runtime cost a webhook request, the part `webhook.py --production` adds to the signed endpoint.
Each tree runs in a process of its own, alternating, on SQLite and (under scripts/with-postgres)
PostgreSQL; the figures are the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.hot_path import fresh_postgres, worker_output  # noqa: E402

PLAYERS, BURST = 64, 32


async def measure(url: str, bursts: int) -> float:
    """CPU milliseconds per agent's message, `bursts` bursts after five to warm up."""
    from benchmarks.hot_path import bot, with_agents
    from engine.events import ContactEvent

    runtime, store, chat, _, clock = await bot(url)
    users = await with_agents(runtime, store, PLAYERS, clock)

    async def burst(number: int) -> None:
        await asyncio.gather(
            *(
                runtime.accept_contact_event(
                    ContactEvent(
                        "agent_message", f"a-{number}-{n}", users[n % PLAYERS][1], agent="Misty", text="ok"
                    )
                )
                for n in range(BURST)
            )
        )

    async def sent(count: int) -> None:
        while chat.sent < count:
            await asyncio.sleep(0.001)

    for number in range(5):
        await burst(number)
    await sent(5 * BURST)
    start, before = time.process_time(), chat.sent
    for number in range(5, 5 + bursts):
        await burst(number)
    await sent(before + bursts * BURST)
    cpu = time.process_time() - start
    await runtime.stop()
    await store.close()
    return cpu * 1000 / (bursts * BURST)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        where, url, bursts = sys.argv[2], sys.argv[3], int(sys.argv[4])
        sys.path.insert(0, where)
        print(json.dumps(asyncio.run(measure(url, bursts))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--compare", type=Path, action="append", default=[], help="another tree to measure too"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each tree on each store, alternating")
    parser.add_argument("--bursts", type=int, default=100, help="bursts of 32 messages measured per run")
    args = parser.parse_args()
    trees = [ROOT, *args.compare]
    server = os.environ.get("FLEXCORD_TEST_POSTGRES")
    print(f"machine: {os.cpu_count()} cores, load average at start: {os.getloadavg()}")
    for store in ("SQLite", "PostgreSQL"):
        if store == "PostgreSQL" and not server:
            print("PostgreSQL: not measured (run through scripts/with-postgres)")
            continue
        found: dict[Path, list[float]] = {tree: [] for tree in trees}
        for _ in range(args.rounds):
            for tree in trees:
                with tempfile.TemporaryDirectory() as folder:
                    url = (
                        fresh_postgres(server, "flexcord_agent_events")
                        if server and store == "PostgreSQL"
                        else ""
                    )
                    url = url or f"sqlite:///{folder}/flexcord.db"
                    command = [sys.executable, __file__, "--worker", str(tree), url, str(args.bursts)]
                    found[tree].append(float(worker_output(command, tree, 600)))
        base = statistics.median(found[trees[-1]]) if len(trees) > 1 else None
        for tree, figures in found.items():
            median = statistics.median(figures)
            ratio = f"  ({median / base:.2f}x {trees[-1].name})" if base else ""
            runs = ", ".join(f"{f:.3f}" for f in figures)
            print(
                f"{store:<10} {tree.name:<12} CPU per agent message  median {median:.3f} ms  [{runs}]{ratio}"
            )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
