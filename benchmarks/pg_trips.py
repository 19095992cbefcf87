"""Trips to PostgreSQL per event, counted on the wire, for this tree and others.

    scripts/with-postgres python benchmarks/pg_trips.py [--compare /tmp/main] [--events 5] [--cpu-events 300]

The demo bot's runtime (as in benchmarks/hot_path.py: two players already with an agent, ports
that count) talks to the database through a loopback relay that counts the client's trips: each
simple query, or extended-protocol sync, after which the server answers (the relay of
tests/test_postgres_trips.py). Per event: a player's DM (`Runtime.handle`, relayed to the contact
center) and an agent's message (`Runtime.accept_contact_event`), each until its delivery is done,
so the outbox's trips are counted too (SETTLE_S after each event). Each tree runs in a process of
its own. Then `--cpu-events` more pairs back to back (as hot_path.py's latency loop), and the CPU per
pair of this process and, with the server on this machine (scripts/with-postgres), of the
database: the backends serving the store's connections, read from /proc (no worker of the
server's own, such as autovacuum).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SETTLE_S = 0.5  # after each event: its delivery and the delivery's outcome are done well within it


def _this_trees_relay() -> Any:
    """tests/pgwire.py of this tree, whichever tree's engine runs."""
    spec = importlib.util.spec_from_file_location("pgwire", ROOT / "tests" / "pgwire.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pgwire"] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


async def count(url: str, events: int, cpu_events: int) -> dict[str, list[float]]:
    from benchmarks.hot_path import START, bot, with_agents
    from engine.events import ContactEvent, Event

    pgwire = _this_trees_relay()
    wire = pgwire.Wire()
    through, relay = await pgwire.counted_url(url, wire)
    runtime, store, chat, _, clock = await bot(through)
    (user, sid), _ = await with_agents(runtime, store, 2, clock)
    found: dict[str, list[float]] = {"dm": [], "agent": []}

    async def pair(n: int, settle: float) -> None:
        """A DM, then an agent message until it is sent to Discord; `settle`: wait for deliveries."""
        clock.append(START + timedelta(seconds=7 * (n + 1)))
        before = wire.trips
        await runtime.handle(Event("message", f"t-{n}", user, "dm", clock[-1], text="Which device? PC."))
        await asyncio.sleep(settle)  # its delivery, in the background, and its outcome
        found["dm"].append(wire.trips - before)
        before = wire.trips
        chat.sending = asyncio.Event()
        said = ContactEvent("agent_message", f"a-{n}", sid, agent="Misty", text="ok")
        await runtime.accept_contact_event(said)
        await asyncio.wait_for(chat.sending.wait(), 30)
        await asyncio.sleep(settle)
        found["agent"].append(wire.trips - before)

    for n in range(events):
        await pair(n, SETTLE_S)
    trips = {name: found[name][:] for name in found}
    where = urlsplit(url)
    backends = (where.port or 5432, where.username or "", where.path.strip("/"))
    server, process = server_cpu_s(*backends), time.process_time()
    for n in range(events, events + cpu_events):  # back to back, as hot_path.py's latency loop
        await pair(n, 0)
    server, process = server_cpu_s(*backends) - server, time.process_time() - process
    await runtime.stop()
    await store.close()
    relay.close()
    per_pair = {
        "server_cpu_ms": [server * 1000 / cpu_events],
        "process_cpu_ms": [process * 1000 / cpu_events],
    }
    return {**trips, **per_pair}


def server_cpu_s(port: int, user: str, database: str) -> float:
    """CPU seconds used so far by the backends of the PostgreSQL server on this machine listening on
    `port` that serve `user` on `database` (the store's connections; no worker of the server's own)."""
    pids = [pid for pid in os.listdir("/proc") if pid.isdigit()]
    commands = {}
    for pid in pids:
        try:
            commands[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
    masters = [pid for pid, c in commands.items() if c[0].endswith(b"postgres") and str(port).encode() in c]
    if not masters:
        return float("nan")  # not on this machine
    ticks = 0
    backend = f"postgres: {user} {database} ".encode()
    for pid, command in commands.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] in masters and command[0].startswith(backend):
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        tree, url, events, cpu_events = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        sys.path.insert(0, tree)
        print(json.dumps(asyncio.run(count(url, events, cpu_events))))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--compare", type=Path, action="append", default=[], help="another tree to count too")
    parser.add_argument("--events", type=int, default=5, help="event pairs whose trips are counted")
    parser.add_argument("--cpu-events", type=int, default=300, help="event pairs whose CPU is measured")
    args = parser.parse_args()
    server = os.environ.get("FLEXCORD_TEST_POSTGRES")
    if not server:
        sys.exit("no PostgreSQL: run through scripts/with-postgres")
    sys.path.insert(0, str(ROOT))
    from benchmarks.hot_path import fresh_postgres, worker_output

    for n, tree in enumerate([ROOT, *args.compare]):
        url = fresh_postgres(server, f"flexcord_trips_{n}")
        command = [
            sys.executable,
            __file__,
            "--worker",
            str(tree),
            url,
            str(args.events),
            str(args.cpu_events),
        ]
        found = json.loads(worker_output(command, tree, 600))
        label = "this tree" if tree == ROOT else tree.name
        print(f"{label}: trips per player DM {found['dm']}, per agent message {found['agent']}")
        print(
            f"  CPU per DM and agent message, back to back: the database's "
            f"{found['server_cpu_ms'][0]:.2f} ms, this process's {found['process_cpu_ms'][0]:.2f} ms"
        )


if __name__ == "__main__":
    main()
