"""Build time and memory as the rule count grows: 10,000 rules against 100,000.

    python benchmarks/build_scale.py [--rounds 3] [--sizes 10000 100000] [--baseline DIR]

Each size is the routing benchmark's generated bot (`benchmarks/routing.py`), built by
`engine.config.build` in a fresh process, alternating sizes round by round so both see the same
load. The config budget (10,000 rules, 8 MiB) is raised in that process only: past it, flexcord
refuses the config, so 100,000 rules is a stress size, not a supported one. Per size it prints the
median build time, the resident memory the built Config keeps (the marked YAML dropped, after a
full collection) over the same process before the build, per rule, the peak during the build
per rule, and (one more run, under tracemalloc) the Python objects the Config keeps alive per rule:
the automaton's and RE2's own memory is not in that last figure, and Python's allocator does not
give the build's peak back to the system, which is why the resident figure stays near the peak.
The ratio is the median build time of the largest size over the smallest. "serving process" is
the same build as a serving process makes it (`engine.config.builder.build_isolated`: built in the
helper process, the result shipped back): its resident memory kept is what the Config costs a
serving process, and the helper's own resident size is printed beside it. `--baseline DIR` builds
with another checkout's engine too (a temporary `git worktree` of main), in the same rounds;
`--serving` measures only the serving process, of both trees.
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

RAISED = "import engine.config.budget as budget; budget.MAX_RULES = budget.MAX_TOTAL_BYTES = 10**9; "
PROBE = (
    f"RAISED = {RAISED!r}\n"
    + """
import gc, json, resource, sys, time, logging
logging.disable(logging.WARNING)
exec(RAISED)
from engine.config import build

def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096

if sys.argv[3] == "isolated":  # as a serving process builds: in the helper process
    from engine.config import builder
    helper = RAISED + "from engine.config.builder import main; main()"
    builder._Helper.command = (sys.executable, "-c", helper)
    builder.build_isolated(sys.argv[2])  # start the helper (its imports, the demo)
    gc.collect()
    before = rss()
    began = time.perf_counter()
    result = builder.build_isolated(sys.argv[1])
    took = time.perf_counter() - began
    assert result.config is not None, [str(d) for d in result.errors][:3]
    config = result.config
    del result
    gc.collect()
    with open(f"/proc/{builder.helper_pid()}/statm") as statm:
        helper_rss = int(statm.read().split()[1]) * 4096
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    kept = rss() - before
    for compiled in config.index.rules:  # every regex reached once: RE2 compiles them on first use
        if compiled.regex is not None:
            compiled.regex.search("")
    every = rss() - before
    figures = {"build_s": took, "kept": kept, "peak": peak - before, "helper": helper_rss, "every": every}
    print(json.dumps(figures))
    sys.exit()
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
)


def measure(path: Path, how: str = "timed", tree: Path = ROOT) -> dict[str, float]:
    """One build of the bot at `path` by the engine of `tree` (this checkout by default)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), str(ROOT / "flexcord.yaml"), how],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def report(label: str, runs: dict[int, list[dict[str, float]]], live: dict[int, float]) -> None:
    """Per size: median build, resident kept and peak per rule, live objects per rule; the ratio."""
    for size, figures in runs.items():
        build_s = statistics.median(run["build_s"] for run in figures)
        kept = statistics.median(run["kept"] for run in figures) / size
        peak = statistics.median(run["peak"] for run in figures) / size
        objects = f"{live[size] / size:6.0f} B/rule" if size in live else "(not traced)"
        helper = [run["helper"] for run in figures if "helper" in run]
        every = [run["every"] for run in figures if "every" in run]
        print(
            f"{label}: {size:>8,} rules  build {build_s:6.2f} s  resident kept {kept:6.0f} B/rule  "
            f"peak {peak:6.0f} B/rule  live Python objects {objects}"
            + (f"  helper process {statistics.median(helper) / 2**20:.0f} MB" if helper else "")
            + (f"  every regex compiled {statistics.median(every) / size:6.0f} B/rule" if every else "")
        )
    smallest, largest = min(runs), max(runs)
    ratio = statistics.median(r["build_s"] for r in runs[largest]) / statistics.median(
        r["build_s"] for r in runs[smallest]
    )
    print(f"{label}: build {largest:,} / {smallest:,}: {ratio:.1f}x (rules x{largest // smallest})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument(
        "--baseline", type=Path, help="another checkout (a `git worktree`), measured in the same rounds"
    )
    parser.add_argument("--no-traced", action="store_true", help="leave out the (slow) tracemalloc runs")
    parser.add_argument("--serving", action="store_true", help="only the serving process, both trees")
    args = parser.parse_args()
    kinds = {"this tree": (ROOT, "timed"), "serving process": (ROOT, "isolated")}
    if args.serving:
        del kinds["this tree"]
    if args.baseline:
        kinds["baseline"] = (args.baseline.resolve(), "timed")
        if args.serving:
            kinds["baseline, serving process"] = kinds.pop("baseline")[0], "isolated"
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        bots = {}
        for size in args.sizes:
            folder = Path(tmp) / str(size)
            folder.mkdir()
            bots[size] = write_bot(folder, generate_rules(size, random.Random(7)))
        runs: dict[str, dict[int, list[dict[str, float]]]] = {
            label: {size: [] for size in args.sizes} for label in kinds
        }
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        for _ in range(args.rounds):  # sizes and trees alternate, so each sees the same load
            for size in args.sizes:
                for label, (tree, how) in kinds.items():
                    runs[label][size].append(measure(bots[size], how, tree))
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        live = {
            label: {size: measure(bots[size], "traced", tree)["live"] for size in args.sizes}
            for label, (tree, how) in kinds.items()
            if how == "timed" and not args.no_traced
        }
    for label in kinds:
        report(label, runs[label], live.get(label, {}))


if __name__ == "__main__":
    main()
