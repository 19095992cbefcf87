"""`flexcord validate` loads only what checking a config needs: starting it stays quick."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main as cli
from tests.fixtures.config.demo import copy_demo

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
heavy += ("jinja2",)  # texts that only fill in names are checked without parsing them (~50 ms to import)
heavy += ("difflib",)  # "did you mean", only for a config with problems
# of flexcord's own: what serving needs and checking a config does not
ours = ("engine.runtime",)
ours += ("engine.routing.router", "engine.chatbot", "engine.events")  # the compile needs only the rule index
ours += ("engine.knowledge.index", "engine.knowledge.lexical")  # validate reads the articles, searches none
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m.startswith(ours))))
"""


def test_validate_on_the_demo_imports_neither_the_runtime_nor_its_network_and_database_libraries() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )

    assert done.returncode == 0, done.stderr
    *_, imported = done.stdout.splitlines()
    assert imported == ""


FILLS = """\
commands:
  whoami:
    description: Tell me my name
    do:
      - reply: "You are {{ user._secret }}"
      - reply: "You are {{ usr }} in {{ channel }}"
      - reply: "You are {{ user.name | upper }} {{ user.nmae }}"
      - reply: "{{ user.name }} and { stray"
"""


def test_texts_the_quick_check_does_not_vouch_for_are_refused_with_the_parses_words(tmp_path: Path) -> None:
    """Texts that only fill in known names skip the template parse; anything else still gets it."""
    main = copy_demo(tmp_path)
    (tmp_path / "routes" / "fills.yaml").write_text(FILLS, encoding="utf-8")

    result = CliRunner().invoke(cli, ["validate", "-c", str(main), "--format", "json"], env={})

    assert result.exit_code == 1, result.output
    errors = [(d["line"], d["message"]) for d in json.loads(result.output) if d["severity"] == "error"]
    assert errors == [
        (5, "'_secret' is not available in texts of command 'whoami'"),
        (6, "unknown variable 'usr' in template of command 'whoami'"),
        (7, "there is no 'user.nmae' in the text of command 'whoami'"),
    ]
