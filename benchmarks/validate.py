"""How long `flexcord validate` takes on the demo bot, as a community manager runs it.

Runs `flexcord validate` on the shipped flexcord.yaml (routes/ and kb/ included) as a new process
each time, alternating with the same command from another revision (default: main) on the same
files, as the baseline measured in the same run; prints the median and best of each, in wall time
and in the CPU time the process used (user + system): on a machine shared with other jobs the
wall time mostly measures the wait for a CPU, the CPU time what validate itself costs.

    python benchmarks/validate.py                  # 15 runs of each, baseline: main
    python benchmarks/validate.py --runs 5 --baseline 6159a96
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.5
COMMAND = "import sys; from engine.cli import main; sys.argv[0] = 'flexcord'; main()"


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(code: Path) -> tuple[float, float]:
    """One `flexcord validate` of the demo, run from the engine in `code`: (wall, CPU) seconds."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", COMMAND, "validate", "-c", str(ROOT / "flexcord.yaml")],
        cwd=code,  # `python -c` looks in its working folder first: the engine measured is code's
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"validate failed with the engine in {code}:\n{done.stdout}{done.stderr}")
    return elapsed, _children_cpu() - cpu


def checkout(revision: str, folder: Path) -> Path:
    """The engine/ of `revision`, unpacked into `folder` (the repository is not touched)."""
    archive = subprocess.run(
        ["git", "archive", revision, "engine"], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", default="main", help="the revision to compare with (default: main)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = checkout(args.baseline, Path(folder))
        timed(ROOT), timed(base)  # warm the file cache and the bytecode
        now, before = [], []
        for _ in range(args.runs):
            before.append(timed(base))
            now.append(timed(ROOT))
    print(f"runs: {args.runs} of each, alternating; load average: {os.getloadavg()[0]:.2f}")
    for index, what in enumerate(("wall", "CPU")):
        mine, theirs = [run[index] for run in now], [run[index] for run in before]
        median, base_median = statistics.median(mine), statistics.median(theirs)
        print(f"{what}, this tree: median {median:.3f} s, best {min(mine):.3f} s")
        print(f"{what}, {args.baseline}: median {base_median:.3f} s, best {min(theirs):.3f} s")
        print(f"{what}, this tree / {args.baseline} (median): {median / base_median:.2f}x")
        verdict = "met" if median <= TARGET_SECONDS else "NOT met"
        print(f"target: validate on the demo <= {TARGET_SECONDS} s ({what}, median): {verdict}")


if __name__ == "__main__":
    main()
