"""Reload benchmark: how long a hot reload takes (build + prepare + swap), and how long the loop stalls.

    python benchmarks/reload.py [--quick] [--rounds 10] [--rules 10000] [--baseline DIR [--blocks 3]]

Two bots, each copied to a temporary folder and served by the real runtime (in-memory SQLite,
in-memory chat and contact center): the demo bot (flexcord.yaml, routes/, kb/) and a generated
bot with `--rules` rules (the routing benchmark's generator). Each round edits the bot's name in
flexcord.yaml, so the content hash changes and the reload does all its work, then calls
`Reloader.request`. It prints the median and worst of: the whole reload, each step (build: load,
schema, checks, compile in a worker thread; prepare: templates and knowledge base in a worker
thread; swap), an unchanged reload (same content: build only), and the longest event-loop stall
seen by a 1 ms ticker while reloads run (the work is off the loop, so this stays small).

`--baseline DIR` measures another checkout's engine (a temporary `git worktree` of main) on the
same generated bot: each tree runs in its own process, `--blocks` times, alternating (this tree,
the baseline, this tree, ...), so both see the same load; the demo bot is left out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def demo_bot(folder: Path) -> Path:
    shutil.copy(ROOT / "flexcord.yaml", folder / "flexcord.yaml")
    shutil.copytree(ROOT / "routes", folder / "routes")
    shutil.copytree(ROOT / "kb", folder / "kb")
    return folder / "flexcord.yaml"


def generated_bot(folder: Path, rules: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from routing import generate_rules, write_bot  # imports this tree's engine

    return write_bot(folder, generate_rules(rules, random.Random(7)))


@dataclass
class Figures:
    total: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=dict)
    unchanged: list[float] = field(default_factory=list)
    stall: float = 0.0
    idle_stall: float = 0.0  # the baseline: the same ticker on the same loop, no reload running
    rss_mb: list[float] = field(default_factory=list)  # resident memory after each round
    round_stalls: list[float] = field(default_factory=list)  # the longest stall of each reload
    round_own: list[float] = field(default_factory=list)  # and of it, the process's own (StallMeter)
    idle_own: float = 0.0

    def add(self, result: Any) -> None:
        assert result.ok and result.changed, [str(d) for d in result.errors]
        self.total.append(result.duration_s)
        for step, seconds in result.timings.items():
            self.steps.setdefault(step, []).append(seconds)


class StallMeter:
    """The longest gap between ticks of a 1 ms ticker: how long the event loop was blocked.

    `own` is the longest stall this process caused: of each gap, only as much as the CPU time the
    process (all its threads) used meanwhile. A gap in which the machine ran other processes (on a
    busy machine the loop waits for a core too, sometimes 100 ms or more) counts in `longest` only;
    a gap in which a worker thread held the interpreter lock, or the loop ran a long step, in both."""

    def __init__(self) -> None:
        self.longest = self.own = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        last, used = time.perf_counter(), time.process_time()
        while True:
            await asyncio.sleep(0.001)
            now, cpu = time.perf_counter(), time.process_time()
            gap = now - last - 0.001
            self.longest = max(self.longest, gap)
            self.own = max(self.own, min(gap, cpu - used))
            last, used = now, cpu

    def __enter__(self) -> StallMeter:
        self._task = asyncio.ensure_future(self._tick())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def measure(config_path: Path, rounds: int) -> Figures:
    import engine

    print(f"engine from {Path(engine.__file__).parent}", file=sys.stderr)
    try:  # as `flexcord run` starts: in the builder process, where there is one
        from engine.config.builder import build_isolated as build
    except ImportError:
        from engine.config import build
    from engine.reload import Reloader
    from engine.runtime import build_generation
    from tests.support.twins import memory_world

    built = build(config_path)
    assert built.config is not None, [str(d) for d in built.errors]
    world = await memory_world(build_generation(built.config))
    try:  # as `flexcord run` does once it serves, where the tree has it
        from engine.heap import settle_heap
    except ImportError:
        pass
    else:
        settle_heap()
    reloader = Reloader(config_path, world.runtime)
    figures = Figures()
    main = config_path.read_text(encoding="utf-8")
    try:
        await asyncio.sleep(0.5)  # the first collection after the start-up build is not a reload's
        idle_stalls, idle_own = [], []
        for _ in range(5):
            with StallMeter() as idle:
                await asyncio.sleep(1.0)
            idle_stalls.append(idle.longest)
            idle_own.append(idle.own)
        figures.idle_stall = statistics.median(idle_stalls)
        figures.idle_own = statistics.median(idle_own)
        with StallMeter() as meter:
            for number in range(rounds):
                config_path.write_text(main.replace("name: ", f"name: round {number} ", 1), encoding="utf-8")
                with StallMeter() as this_round:
                    figures.add(await reloader.request(f"round {number}"))
                    await reloader.settled()  # the replaced generation freed
                figures.round_stalls.append(this_round.longest)
                figures.round_own.append(this_round.own)
                same = await reloader.request("unchanged")
                assert same.ok and not same.changed
                figures.unchanged.append(same.duration_s)
                figures.rss_mb.append(rss_mb())
        figures.stall = meter.longest
    finally:
        await world.close()
    return figures


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def ms(values: list[float]) -> str:
    if not values:
        return f"{'-':>8} {'-':>8}"
    return f"{statistics.median(values) * 1000:8.1f} {max(values) * 1000:8.1f}"


def report(name: str, figures: Figures) -> None:
    print(f"\n{name}: {len(figures.total)} reloads (median / worst, ms)")
    print(f"  reload (build+prepare+swap+listeners) {ms(figures.total)}")
    for step in ("build", "prepare", "swap"):
        print(f"    {step:<34} {ms(figures.steps[step])}")
    print(f"  unchanged reload (files' bytes)       {ms(figures.unchanged[1:])}")
    print(f"  longest event-loop stall per reload   {ms(figures.round_stalls)}")
    print(f"  longest event-loop stall, all rounds  {figures.stall * 1000:8.1f}")
    print(f"  the process's own stall per reload    {ms(figures.round_own)}")
    print(f"  baseline: longest stall per idle 1 s  {figures.idle_stall * 1000:8.1f} (median of 5)")
    print(f"  baseline: own stall per idle 1 s      {figures.idle_own * 1000:8.1f} (median of 5)")
    print(f"  load average                          {os.getloadavg()[0]:8.1f}")
    grown = (figures.rss_mb[-1] - figures.rss_mb[0]) / max(1, len(figures.rss_mb) - 1)
    print(f"  resident memory MB, first / last round {figures.rss_mb[0]:7.0f} {figures.rss_mb[-1]:7.0f}")
    print(f"  growth per reload after the first, MB {grown:8.1f}")


def merged(runs: list[dict[str, Any]]) -> Figures:
    """The figures of several processes' runs as one."""
    figures = Figures()
    for run in runs:
        figures.total += run["total"]
        for step, seconds in run["steps"].items():
            figures.steps.setdefault(step, []).extend(seconds)
        figures.unchanged += run["unchanged"][1:]
        figures.round_stalls += run["round_stalls"]
        figures.round_own += run["round_own"]
        figures.stall = max(figures.stall, run["stall"])
        figures.rss_mb += run["rss_mb"]
    figures.unchanged.insert(0, 0.0)  # report() leaves out the first unchanged reload of a run
    figures.idle_stall = statistics.median(run["idle_stall"] for run in runs)
    figures.idle_own = statistics.median(run["idle_own"] for run in runs)
    return figures


def interleaved(baseline: Path, rules: int, rounds: int, blocks: int) -> None:
    """This tree and `baseline`, each in its own process, alternating `blocks` times."""
    trees = {"this tree": ROOT, "baseline": baseline.resolve()}
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        bot = generated_bot(Path(tmp), rules).parent
        for _ in range(blocks):
            for label, tree in trees.items():
                command = [sys.executable, __file__, "--tree", str(tree), "--bot", str(bot)]
                done = subprocess.run(
                    [*command, "--rounds", str(rounds), "--json"], capture_output=True, text=True, check=True
                )
                runs[label].append(json.loads(done.stdout.splitlines()[-1]))
                loads.append(os.getloadavg()[0])
                print(label, *(line for line in done.stderr.splitlines() if line.startswith("engine from")))
    print(f"load average during the runs: {min(loads):.1f} to {max(loads):.1f}")
    for label, tree in trees.items():
        report(f"{label} ({tree}), generated bot, {rules:,} rules", merged(runs[label]))


async def one_tree(bot: Path, rounds: int) -> None:
    """A copy of the bot in `bot`, figures as JSON (one process of an interleaved run)."""
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(bot, Path(tmp) / "bot")
        figures = await measure(Path(tmp) / "bot" / "flexcord.yaml", rounds)
    print(json.dumps(asdict(figures)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds and 1,000 generated rules")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--baseline", type=Path, help="another checkout, measured in the same run")
    parser.add_argument("--blocks", type=int, default=3, help="with --baseline: processes per tree")
    parser.add_argument("--tree", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--bot", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path[:0] = [str(args.tree)]  # its engine, and tests.support: the in-memory twins
    if args.json:
        await one_tree(args.bot, args.rounds)
        return
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    if args.baseline:
        interleaved(args.baseline, args.rules, args.rounds, args.blocks)
        return
    logging.disable(logging.WARNING)  # the generated bot has many "can never match" warnings
    rounds, rules = (3, 1000) if args.quick else (args.rounds, args.rules)
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        demo.mkdir()
        report("demo bot", await measure(demo_bot(demo), rounds))
        big = Path(tmp) / "generated"
        big.mkdir()
        report(
            f"generated bot, {rules:,} rules", await measure(generated_bot(big, rules), max(3, rounds // 2))
        )


if __name__ == "__main__":
    asyncio.run(main())
