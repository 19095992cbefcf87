"""simcord and openapi-core come with the `sandbox` extra: without it the bot still validates and runs,
and `flexcord sandbox` says how to install what it needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WITHOUT_THE_EXTRA = """
import sys
sys.modules["simcord"] = None  # as if `pip install flexcord` had been run without [sandbox]
sys.modules["openapi_core"] = None
from engine.cli import main
main(sys.argv[1:])
"""


def flexcord_without_the_extra(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_THE_EXTRA, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_the_sandbox_without_its_extra_says_how_to_install_it() -> None:
    done = flexcord_without_the_extra("sandbox", "--no-open", "-c", "flexcord.yaml")
    assert done.returncode == 1
    assert "pip install 'flexcord[sandbox]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_validate_works_without_the_extra() -> None:
    done = flexcord_without_the_extra("validate", "-c", "flexcord.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
