"""`flexcord validate` loads only what checking a config needs: starting it stays quick."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from engine.cli import main
try:
    main(["validate"])
except SystemExit as done:
    assert not done.code, done.code
heavy = ("aiohttp", "quart", "hypercorn", "discord", "twilio", "aiosqlite", "psycopg", "jsonschema")
heavy += ("puremagic",)  # reads file types from their bytes: only for files players send
heavy += ("asyncio",)  # a build needs no event loop (about 40 ms to import)
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith("engine.runtime"))))
"""


def test_validate_on_the_demo_imports_neither_the_runtime_nor_its_network_and_database_libraries() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
    *_, imported = done.stdout.splitlines()
    assert imported == ""
