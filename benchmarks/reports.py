"""Reports benchmark: how long `flexcord report` (and /reports/data.json) takes as the history grows.

    python benchmarks/reports.py [--quick] [--rounds 5]

For 30, 180 and 365 days of demo history (`engine.reports.demo.seed_week`, about 12 players a day:
FAQ answers, support chats with handoffs, joins, closes and ratings, bug and feature reports) in a
SQLite file, it times `build_report` for the last 7 days and for the whole history (the read-only
queries plus the pure figures), next to a baseline measured in the same run on the same store:
`Store.list_cases()`, which reads every case once. It prints the median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.config import build  # noqa: E402
from engine.reports import build_report  # noqa: E402
from engine.reports.demo import seed_week  # noqa: E402
from engine.store import open_store  # noqa: E402

NOW = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


async def timed(work: object, rounds: int) -> float:
    """Median milliseconds of `rounds` runs of the coroutine function `work`."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await work()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def one_size(days: int, rounds: int, folder: Path) -> tuple[int, int, float, float, float]:
    config = build(ROOT / "flexcord.yaml", offline=True).config
    assert config is not None
    store = await open_store(f"sqlite:///{folder / f'history-{days}.db'}")
    try:
        await seed_week(store, config, NOW, days=days)
        cases = len(await store.list_cases())
        report = await build_report(store, config, NOW, timedelta(days=days))
        week = await timed(lambda: build_report(store, config, NOW), rounds)
        whole = await timed(lambda: build_report(store, config, NOW, timedelta(days=days)), rounds)
        baseline = await timed(store.list_cases, rounds)
        return cases, report.faq.answers, week, whole, baseline
    finally:
        await store.close()


async def main(sizes: list[int], rounds: int) -> None:
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(
        "| days | cases | FAQ answers | report, last 7 days ms | report, whole history ms | "
        "list_cases ms (baseline) | whole / baseline |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for days in sizes:
            cases, answers, week, whole, baseline = await one_size(days, rounds, Path(folder))
            print(
                f"| {days} | {cases:,} | {answers:,} | {week:.1f} | {whole:.1f} | {baseline:.1f} | "
                f"{whole / baseline:.1f}× |"
            )
    print(f"load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size, 2 rounds")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main([30] if args.quick else [30, 180, 365], 2 if args.quick else args.rounds))
