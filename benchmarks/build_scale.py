"""Build time and memory as the rule count grows: 10,000 rules against 100,000.

    python benchmarks/build_scale.py [--rounds 3] [--sizes 10000 100000]

Each size is the routing benchmark's generated bot (`benchmarks/routing.py`), built by
`engine.config.build` in a fresh process, alternating sizes round by round so both see the same
load. The config budget (10,000 rules, 8 MiB) is raised in that process only: past it, flexcord
refuses the config, so 100,000 rules is a stress size, not a supported one. Per size it prints the
median build time, the resident memory the built Config keeps (the marked YAML dropped, after a
full collection) over the same process before the build, per rule, the peak during the build
per rule, and (one more run, under tracemalloc) the Python objects the Config keeps alive per rule:
the automaton's and RE2's own memory is not in that last figure, and Python's allocator does not
give the build's peak back to the system, which is why the resident figure stays near the peak.
The ratio is the median build time of the largest size over the smallest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from routing import generate_rules, write_bot  # noqa: E402

PROBE = """
import gc, json, resource, sys, time, logging
logging.disable(logging.WARNING)
import engine.config.budget as budget
budget.MAX_RULES = budget.MAX_TOTAL_BYTES = 10**9
from engine.config import build

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096

build(sys.argv[2])  # warm the imports and the caches on the demo
gc.collect()
if sys.argv[3] == "traced":
    import tracemalloc
    tracemalloc.start()
    config = build(sys.argv[1]).config
    gc.collect()
    print(json.dumps({"live": tracemalloc.get_traced_memory()[0]}))
    sys.exit()
before = rss()
began = time.perf_counter()
result = build(sys.argv[1])
took = time.perf_counter() - began
assert result.config is not None, [str(d) for d in result.errors][:3]
config = result.config
del result
gc.collect()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"build_s": took, "kept": rss() - before, "peak": peak - before}))
"""


def measure(path: Path, how: str = "timed") -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), str(ROOT / "flexcord.yaml"), how],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        bots = {}
        for size in args.sizes:
            folder = Path(tmp) / str(size)
            folder.mkdir()
            bots[size] = write_bot(folder, generate_rules(size, random.Random(7)))
        runs: dict[int, list[dict[str, float]]] = {size: [] for size in args.sizes}
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        for _ in range(args.rounds):
            for size in args.sizes:
                runs[size].append(measure(bots[size]))
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        live = {size: measure(bots[size], "traced")["live"] for size in args.sizes}
    for size in args.sizes:
        build_s = statistics.median(run["build_s"] for run in runs[size])
        kept = statistics.median(run["kept"] for run in runs[size]) / size
        peak = statistics.median(run["peak"] for run in runs[size]) / size
        print(
            f"{size:>8,} rules  build {build_s:6.2f} s  resident kept {kept:6.0f} B/rule  "
            f"peak {peak:6.0f} B/rule  live Python objects {live[size] / size:6.0f} B/rule"
        )
    smallest, largest = min(args.sizes), max(args.sizes)
    ratio = statistics.median(r["build_s"] for r in runs[largest]) / statistics.median(
        r["build_s"] for r in runs[smallest]
    )
    print(f"build {largest:,} / {smallest:,}: {ratio:.1f}x (rules x{largest // smallest})")


if __name__ == "__main__":
    main()
