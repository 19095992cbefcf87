"""`flexcord cases list` as the number of cases grows: the first page at 1,000 and at 100,000 cases.

    python benchmarks/cases_list.py [--rounds 10] [--small 1000] [--large 100000]

Two sandbox-style folders (`--data`, holding flexcord.db) are filled with cases: the database is
created and migrated by the store itself, then the cases are inserted in one transaction with the
store's own INSERT statement (one a minute, a third of them updated later). Each round runs, as
fresh processes, one after the other so they see the same machine load: the first page at the
small size, the first page at the large size, and, as a baseline, every case at the large size
(`--limit` past the count: what `cases list` printed before it had pages). It prints medians and
the median per-round ratio large / small.

Then, in this process, a player's cases as `/mycases` and the agent's case page read them
(`list_cases(reporter=...)`, by the reporter's index; every player has CASES_EACH cases at either
size), at both sizes, against reading every case and keeping the player's (how both read them
before the index).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.store import open_store, sql
from engine.timestamps import to_text

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 1, tzinfo=UTC)
CASES_EACH = 10  # cases per player, at any size


async def create(folder: Path) -> Path:
    folder.mkdir()
    store = await open_store("sqlite:///" + str(folder / "flexcord.db"))
    await store.close()
    return folder / "flexcord.db"


def fill(database: Path, count: int) -> None:
    rows = []
    for number in range(1, count + 1):
        created = START + timedelta(minutes=number)
        updated = created + timedelta(days=number % 3)
        fields = json.dumps({"summary": f"Crash number {number}", "steps": "Open the map"})
        player = number % max(1, count // CASES_EACH)
        rows.append(
            (f"BUG-{number}", "bug", "BUG", number, f"Crash number {number}", "open", f"{player}",
             f"Player{player}", "bug-report", fields, None, None, to_text(created), to_text(updated))
        )  # fmt: skip
    with sqlite3.connect(database) as db:
        db.executemany(sql.INSERT_CASE, rows)


def timed(folder: Path, *extra: str) -> float:
    command = ["cases", "list", "--data", str(folder), *extra]
    code = f"from engine.cli import main; main({command!r})"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


async def player_reads(database: Path, player: str, rounds: int) -> tuple[float, float]:
    """Median seconds to read one player's cases: by the index, and by reading every case."""
    store = await open_store("sqlite:///" + str(database))
    try:
        await store.list_cases(reporter=player)  # warm the page cache
        indexed, scanned = [], []
        for _ in range(rounds):
            began = time.perf_counter()
            await store.list_cases(reporter=player)
            indexed.append(time.perf_counter() - began)
            began = time.perf_counter()
            [case for case in await store.list_cases() if case.reporter_id == player]
            scanned.append(time.perf_counter() - began)
        return statistics.median(indexed), statistics.median(scanned)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small", Path(tmp) / "large"
        databases = {args.small: asyncio.run(create(small)), args.large: asyncio.run(create(large))}
        fill(databases[args.small], args.small)
        fill(databases[args.large], args.large)
        everything = str(args.large + 1)
        timed(small), timed(large)  # warm the file cache and the bytecode
        first_small, first_large, all_large, ratios = [], [], [], []
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        for _ in range(args.rounds):
            first_small.append(timed(small))
            first_large.append(timed(large))
            all_large.append(timed(large, "--limit", everything))
            ratios.append(first_large[-1] / first_small[-1])
        reads = {size: asyncio.run(player_reads(db, "7", args.rounds)) for size, db in databases.items()}
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"first page, {args.small:,} cases      median {statistics.median(first_small) * 1000:7.1f} ms")
    print(f"first page, {args.large:,} cases    median {statistics.median(first_large) * 1000:7.1f} ms")
    print(f"every case, {args.large:,} cases    median {statistics.median(all_large) * 1000:7.1f} ms")
    print(f"first page {args.large:,} / {args.small:,} (per round) median {statistics.median(ratios):.2f}x")
    for size, (indexed, scanned) in reads.items():
        print(
            f"a player's cases, {size:,} cases: by the index {indexed * 1000:7.2f} ms, "
            f"every case read and kept if theirs {scanned * 1000:8.1f} ms"
        )
    ratio = reads[args.large][0] / reads[args.small][0]
    print(f"a player's cases by the index, {args.large:,} / {args.small:,}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
