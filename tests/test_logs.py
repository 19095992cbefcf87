"""`flexcord --log-format json --log-level ...`: JSON log lines, and only lines at the level or above."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.postgres import fresh_database
from tests.test_sandbox_api import demo_copy

FLEXCORD = [sys.executable, "-c", "from engine.cli import main; main()"]


def stderr_of(folder: Path, *options: str) -> list[str]:
    folder.mkdir(exist_ok=True)
    config = demo_copy(folder)
    done = subprocess.run(
        [*FLEXCORD, *options, "report", "-c", str(config)], capture_output=True, text=True, timeout=120
    )
    return done.stderr.splitlines()


def test_json_log_lines_carry_time_level_logger_and_message(tmp_path: Path) -> None:
    lines = stderr_of(tmp_path, "--log-format", "json", "--log-level", "debug")
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    assert logged, lines
    first = logged[0]
    assert set(first) == {"time", "level", "logger", "message"}
    assert (first["level"], first["logger"]) == ("debug", "asyncio")
    assert first["time"].endswith("+00:00")
    assert any("No records yet" in line for line in lines)  # the command's own error stays plain text


def test_the_log_level_hides_less_important_lines(tmp_path: Path) -> None:
    lines = stderr_of(tmp_path, "--log-level", "warning")
    assert not any("Using selector" in line for line in lines)
    lines = stderr_of(tmp_path / "again", "-v")
    assert any("DEBUG asyncio: Using selector" in line for line in lines)


async def test_an_info_log_on_postgresql_is_not_a_line_per_database_call(tmp_path: Path) -> None:
    url = await fresh_database()
    config = demo_copy(tmp_path)
    done = subprocess.run(
        [*FLEXCORD, "--log-level", "info", "report", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLEXCORD_STORAGE": url},
    )
    assert done.returncode == 0, done.stderr
    assert not [line for line in done.stderr.splitlines() if "psycopg.pool" in line], done.stderr
    debug = subprocess.run(
        [*FLEXCORD, "--log-level", "debug", "report", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLEXCORD_STORAGE": url},
    )
    assert "connection given by" in debug.stderr  # still there for whoever asks for DEBUG
