"""Start-up benchmark: `flexcord validate` on the demo bot against `python -c pass`, interleaved.

    python benchmarks/validate_startup.py [--rounds 20]

Each round runs both commands as fresh processes (same interpreter, same environment), one after
the other, so both see the same machine load; it prints the median wall-clock time of each and the
median of the per-round ratio validate / `python -c pass`. Both run with bytecode caching on
(PYTHONDONTWRITEBYTECODE is removed from their environment), as an installed flexcord runs: the
warm-up run writes engine's `__pycache__` folders (ignored by git).
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
VALIDATE = [sys.executable, "-c", "from engine.cli import main; main(['validate'])"]
BARE = [sys.executable, "-c", "pass"]


ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    timed(VALIDATE)  # warm the file cache and the bytecode
    validate, bare, ratios = [], [], []
    for _ in range(args.rounds):
        bare.append(timed(BARE))
        validate.append(timed(VALIDATE))
        ratios.append(validate[-1] / bare[-1])
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"python -c pass       median {statistics.median(bare) * 1000:7.1f} ms")
    print(f"flexcord validate    median {statistics.median(validate) * 1000:7.1f} ms")
    print(f"ratio (per round)    median {statistics.median(ratios):5.1f}x  min {min(ratios):.1f}x")


if __name__ == "__main__":
    main()
