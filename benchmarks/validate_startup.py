"""Start-up benchmark: `flexcord validate` on the demo bot against `python -c pass`, interleaved.

    python benchmarks/validate_startup.py [--rounds 20] [--baseline /tmp/startup-main]

Each round runs the commands as fresh processes (same interpreter, same environment), one after
the other, so they see the same machine load; it prints the median wall-clock time of each and the
median of the per-round ratio validate / `python -c pass`. Both run with bytecode caching on
(PYTHONDONTWRITEBYTECODE is removed from their environment), as an installed flexcord runs: the
warm-up run writes engine's `__pycache__` folders (ignored by git).

With `--baseline TREE` (another checkout, e.g. `git worktree add /tmp/startup-main main`), each
round also runs the same validate of the same files with TREE's engine (run from TREE's folder,
which `python -c` looks in first), right after this tree's, in alternating order; the figures of
both and the ratio of this tree to TREE are printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE = [sys.executable, "-c", "pass"]


ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def validate_command(config: Path) -> list[str]:
    return [sys.executable, "-c", f"from engine.cli import main; main(['validate', '-c', {str(config)!r}])"]


def timed(command: list[str], tree: Path = ROOT) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=tree, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def _engine_of(tree: Path) -> None:
    """Fail early if `python -c` run from `tree` would not import `tree`'s engine."""
    code = "import engine, pathlib; print(pathlib.Path(engine.__file__).resolve().parent.parent)"
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=ENV, capture_output=True, text=True)
    if Path(done.stdout.strip()) != tree.resolve():
        raise SystemExit(f"from {tree}, python imports the engine in {done.stdout.strip()}")


def _line(what: str, times: list[float], ratios: list[float]) -> str:
    return (
        f"{what:<28} median {statistics.median(times) * 1000:7.1f} ms   "
        f"per-round ratio to python -c pass: median {statistics.median(ratios):5.1f}x  min {min(ratios):.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--baseline", type=Path, help="another checkout, run in the same rounds")
    args = parser.parse_args()
    trees = [ROOT] + ([args.baseline.resolve()] if args.baseline else [])
    for tree in trees:
        _engine_of(tree)
    command = validate_command(ROOT / "flexcord.yaml")  # the same files for every tree
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    for tree in trees:
        timed(command, tree)  # warm the file cache and the bytecode
    bare: list[float] = []
    runs: dict[Path, list[float]] = {tree: [] for tree in trees}
    for round_ in range(args.rounds):
        bare.append(timed(BARE))
        for tree in trees if round_ % 2 == 0 else trees[::-1]:
            runs[tree].append(timed(command, tree))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"{'python -c pass':<28} median {statistics.median(bare) * 1000:7.1f} ms")
    for tree in trees:
        ratios = [run / base for run, base in zip(runs[tree], bare, strict=True)]
        print(_line(f"validate ({tree.name})", runs[tree], ratios))
    if args.baseline:
        mine, theirs = runs[ROOT], runs[trees[1]]
        per_round = [a / b for a, b in zip(mine, theirs, strict=True)]
        print(f"this tree / baseline (per round): median {statistics.median(per_round):.2f}x")


if __name__ == "__main__":
    main()
