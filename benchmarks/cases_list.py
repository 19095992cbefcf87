"""`flexcord cases list` as the number of cases grows: the first page at 1,000 and at 100,000 cases.

    python benchmarks/cases_list.py [--rounds 10] [--small 1000] [--large 100000]

Two sandbox-style folders (`--data`, holding flexcord.db) are filled with cases: the database is
created and migrated by the store itself, then the cases are inserted in one transaction with the
store's own INSERT statement (one a minute, a third of them updated later). Each round runs, as
fresh processes, one after the other so they see the same machine load: the first page at the
small size, the first page at the large size, and, as a baseline, every case at the large size
(`--limit` past the count: what `cases list` printed before it had pages). It prints medians and
the median per-round ratio large / small.
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
from engine.store.records import to_text

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 1, tzinfo=UTC)


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
        rows.append(
            (f"BUG-{number}", "bug", "BUG", number, f"Crash number {number}", "open", f"{number}",
             f"Player{number}", "bug-report", fields, None, None, to_text(created), to_text(updated))
        )  # fmt: skip
    with sqlite3.connect(database) as db:
        db.executemany(sql.INSERT_CASE, rows)


def timed(folder: Path, *extra: str) -> float:
    command = ["cases", "list", "--data", str(folder), *extra]
    code = f"from engine.cli import main; main({command!r})"
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small", Path(tmp) / "large"
        fill(asyncio.run(create(small)), args.small)
        fill(asyncio.run(create(large)), args.large)
        everything = str(args.large + 1)
        timed(small), timed(large)  # warm the file cache and the bytecode
        first_small, first_large, all_large, ratios = [], [], [], []
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        for _ in range(args.rounds):
            first_small.append(timed(small))
            first_large.append(timed(large))
            all_large.append(timed(large, "--limit", everything))
            ratios.append(first_large[-1] / first_small[-1])
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"first page, {args.small:,} cases      median {statistics.median(first_small) * 1000:7.1f} ms")
    print(f"first page, {args.large:,} cases    median {statistics.median(first_large) * 1000:7.1f} ms")
    print(f"every case, {args.large:,} cases    median {statistics.median(all_large) * 1000:7.1f} ms")
    print(f"first page {args.large:,} / {args.small:,} (per round) median {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
