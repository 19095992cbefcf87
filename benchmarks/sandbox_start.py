"""Sandbox start benchmark: how soon `flexcord sandbox` prints its address and answers /healthz.

    python benchmarks/sandbox_start.py [--rounds 3]

A copy of the demo bot goes to a temporary folder. Each round starts `flexcord sandbox` (the
installed command, no pip: installing is scripts/setup's business) twice on the same --data
folder: a first start (empty folder) and a second one (the records of the first), and measures,
from the moment the process is spawned, when the address is printed (the first line of output)
and when /healthz answers 200. The first start is the baseline of the same run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def one_start(config: Path, data: Path) -> tuple[float, float]:
    """(seconds to the first line of output, seconds to /healthz 200) for one start, then Ctrl+C."""
    port = free_port()
    command = [sys.executable, "-c", "from engine.cli import main; main()", "sandbox", "-c", str(config)]
    command += ["--port", str(port), "--data", str(data), "--no-open"]
    began = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "CI": "1"}
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        first_line = time.perf_counter() - began
        while not healthy(port):
            if process.poll() is not None:
                raise RuntimeError(f"the sandbox ended: {process.stdout.read()}")
            time.sleep(0.02)
        ready = time.perf_counter() - began
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return first_line, ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    firsts: list[tuple[float, float]] = []
    seconds: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for name in ("flexcord.yaml", "routes", "kb"):
            source = ROOT / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, Path(folder) / name)
        config = Path(folder) / "flexcord.yaml"
        for index in range(rounds):
            data = Path(folder) / f"data-{index}"
            firsts.append(one_start(config, data))
            seconds.append(one_start(config, data))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load:.1f}")
    print("start   | address printed, median s | /healthz 200, median s | worst s")
    for label, runs in (("first ", firsts), ("second", seconds)):
        url = statistics.median(r[0] for r in runs)
        ready = statistics.median(r[1] for r in runs)
        print(f"{label}  | {url:25.2f} | {ready:22.2f} | {max(r[1] for r in runs):.2f}")
    ratio = statistics.median(r[1] for r in seconds) / statistics.median(r[1] for r in firsts)
    print(f"second/first (healthy): {ratio:.2f}")


if __name__ == "__main__":
    main()
