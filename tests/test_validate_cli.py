"""`flexcord validate` and engine.config.build / load_config, end to end on real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from engine.cli import main as cli
from engine.config import BuildResult, ConfigError, build, load_config
from engine.config.loader import load
from tests.fixtures.config.demo import ROOT, col_of, copy_demo, edit, line_of

SECRETS = {
    "DISCORD_TOKEN": "token",
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "secret",
    "TWILIO_WORKSPACE_SID": "WS00000000000000000000000000000000",
    "TWILIO_WORKFLOW_SID": "WW00000000000000000000000000000000",
}


def validate(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["validate", *args], env=env)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return copy_demo(tmp_path)


@pytest.fixture
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*SECRETS, "FLEXCORD_CONFIG"]:
        monkeypatch.delenv(name, raising=False)


# --- the command ---------------------------------------------------------------------------------


def test_the_shipped_config_is_valid(monkeypatch: pytest.MonkeyPatch, no_secrets: None) -> None:
    monkeypatch.chdir(ROOT)
    result = validate()
    assert result.exit_code == 0, result.output
    assert (
        result.output == "flexcord.yaml and 5 route files are valid: 4 commands, 5 rules, 3 case templates\n"
    )


def test_the_installed_command_validates_the_shipped_config(no_secrets: None) -> None:
    executable = shutil.which("flexcord", path=os.path.dirname(sys.executable)) or "flexcord"
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    done = subprocess.run(
        [executable, "validate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("are valid: 4 commands, 5 rules, 3 case templates")


ADAPTERS = ("aiosqlite", "aiohttp", "discord", "twilio", "quart", "hypercorn", "simcord", "openapi_core")
LOADED = """
import sys
{code}
print(sorted(name for name in sys.modules
             if name.split(".")[0] in {adapters!r} or name.startswith("engine.runtime")))
"""


def _loaded_after(code: str) -> str:
    """The adapter and runtime modules a fresh interpreter holds after running `code`."""
    script = LOADED.format(code=code, adapters=set(ADAPTERS))
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("package", ["engine.config", "engine.routing"])
def test_config_and_routing_load_no_adapter_nor_the_runtime(package: str) -> None:
    assert _loaded_after(f"import {package}") == "[]"


def test_validate_loads_no_adapter_nor_the_runtime(no_secrets: None) -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from engine.cli import main\n"
        "assert CliRunner().invoke(main, ['validate']).exit_code == 0"
    )
    assert _loaded_after(code) == "[]"


def test_errors_are_printed_one_per_line_with_a_summary_and_exit_1(demo: Path, no_secrets: None) -> None:
    commands = demo.parent / "routes" / "commands.yaml"
    rules = demo.parent / "routes" / "rules.yaml"
    edit(commands, "channels: [bug-report]", "channels: [bug-reports]")
    edit(demo, "storage:", "storge:")
    edit(
        rules,
        "  - name: billing\n",
        "  - name: again\n    when: {where: dm, says: agent}\n    do: [close]\n\n  - name: billing\n",
    )
    result = validate("-c", str(demo))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    storge, bug, again, live = (
        line_of(demo, "storge"),
        line_of(commands, "bug-reports"),
        line_of(rules, "name: again"),
        line_of(rules, "name: live agent"),
    )
    assert lines == [
        f"{demo}:{storge}:1: error: unknown key 'storge' in flexcord.yaml (did you mean 'storage'?)",
        f"{commands}:{bug}:16: error: channel 'bug-reports' used by command 'bug' "
        "is not declared (did you mean 'bug-report'?)",
        f"{rules}:{again}:5: warning: rule 'again' can never match: rule 'live agent' "
        f"({rules}:{live}) always matches first "
        "(move 'again' above 'live agent', or narrow 'live agent')",
        "2 errors, 1 warning",
    ]


def test_warnings_alone_exit_0(demo: Path, no_secrets: None) -> None:
    server = demo.parent / "routes" / "server.yaml"
    edit(server, "Use /bug to file an official report.", "Use /bug in #bug-report")
    result = validate("-c", str(demo))
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        f"{server}:{line_of(server, '#bug-report')}:{col_of(server, '#bug-report')}: warning: "
        "everything from ' #' on is a comment, so the value is only 'Found a bug? Use /bug in' "
        "(if the # is part of the text, put the whole value in quotes: "
        '"Found a bug? Use /bug in #bug-report")'
    )
    assert result.output.splitlines()[-1] == (
        "flexcord.yaml and 5 route files are valid: 4 commands, 5 rules, 3 case templates (1 warning)"
    )


def test_json_output_is_a_list_of_problems(demo: Path, no_secrets: None) -> None:
    edit(demo, "storage:", "storge:")
    result = validate("-c", str(demo), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output) == [
        {
            "file": str(demo),
            "line": line_of(demo, "storge"),
            "col": 1,
            "severity": "error",
            "message": "unknown key 'storge' in flexcord.yaml",
            "hint": "did you mean 'storage'?",
        }
    ]
    clean = validate("-c", str(ROOT / "flexcord.yaml"), "--format", "json")
    assert (clean.exit_code, json.loads(clean.output)) == (0, [])


def test_online_requires_every_variable(demo: Path, no_secrets: None) -> None:
    missing = validate("-c", str(demo), "--online")
    assert missing.exit_code == 1
    assert (
        f"{demo}:{line_of(demo, 'DISCORD_TOKEN')}:10: error: environment variable DISCORD_TOKEN is not set"
        in (missing.output)
    )
    assert missing.output.splitlines()[-1] == "5 errors"
    assert validate("-c", str(demo), "--online", env=SECRETS).exit_code == 0


def test_the_config_can_be_named_by_flexcord_config(demo: Path, tmp_path: Path, no_secrets: None) -> None:
    result = validate(env={"FLEXCORD_CONFIG": str(demo)})
    assert result.exit_code == 0, result.output
    missing = validate("-c", str(tmp_path / "nowhere.yaml"))
    assert missing.exit_code == 1
    assert (
        missing.output.splitlines()[0] == f"{tmp_path / 'nowhere.yaml'}:1:1: error: file not found "
        "(check the path, or the folder you run flexcord from)"
    )


# --- build and load_config -----------------------------------------------------------------------


def test_build_compiles_the_demo_versioned_by_its_content(demo: Path) -> None:
    result = build(demo)
    assert isinstance(result, BuildResult) and result.ok and result.diagnostics == ()
    assert result.config is not None
    assert result.version == load(demo).content_hash[:12] == result.config.version
    assert result.config.root == str(demo.parent)
    assert set(result.config.commands) == {"bug", "new_feature", "helpme", "case"}
    assert build(demo).version == result.version
    edit(demo.parent / "routes" / "messages.yaml", "joined the chat.", "is here.")
    assert build(demo).version != result.version


def test_the_version_does_not_change_with_a_secret(demo: Path) -> None:
    first = build(demo, env=SECRETS, offline=False)
    rotated = build(demo, env={**SECRETS, "TWILIO_AUTH_TOKEN": "rotated"}, offline=False)
    unset = build(demo, env={})
    assert first.ok and rotated.ok and unset.ok
    assert first.version == rotated.version == unset.version
    assert first.config is not None and first.config.version == first.version


SECRET = "hunter2-Very-Secret-Token-0123456789abcdef-0123456789"


def test_validate_never_prints_the_value_of_a_variable(demo: Path, no_secrets: None) -> None:
    edit(demo, "max_body_bytes: 65536", "max_body_bytes: ${TWILIO_AUTH_TOKEN}")
    edit(demo, "listen: ${FLEXCORD_LISTEN:-127.0.0.1:8080}", "listen: ${TWILIO_AUTH_TOKEN}")
    edit(demo, "timezone: America/Los_Angeles", "timezone: ${TWILIO_AUTH_TOKEN}")
    env = {**SECRETS, "TWILIO_AUTH_TOKEN": SECRET}
    for output in ("text", "json"):
        result = validate("-c", str(demo), "--format", output, env=env)
        assert result.exit_code == 1
        assert result.output.count("${TWILIO_AUTH_TOKEN}") >= 3, result.output
        for shown in (SECRET, SECRET.lower(), SECRET[:40], SECRET[:12]):
            assert shown not in result.output


def test_build_collects_every_problem_and_compiles_nothing(demo: Path) -> None:
    edit(demo, "version: 1", "version: 2")
    edit(demo.parent / "routes" / "commands.yaml", "channels: [bug-report]", "channels: [bug-reports]")
    result = build(demo)
    assert not result.ok and result.config is None
    assert [d.message.split(" ")[0] for d in result.errors] == ["'version'", "channel"]


def test_a_broken_route_file_does_not_make_its_names_look_undeclared(demo: Path) -> None:
    edit(demo.parent / "routes" / "server.yaml", "roles: [admin, moderator]", "roles: [admin, moderator")
    result = build(demo)
    assert [d.file for d in result.errors] == [str(demo.parent / "routes" / "server.yaml")]


def test_load_config_returns_the_config_or_raises_with_every_problem(demo: Path) -> None:
    assert load_config(demo).name == "PokeCommunity care"
    edit(demo, "version: 1", "version: 2")
    with pytest.raises(ConfigError) as raised:
        load_config(demo)
    assert [d.line for d in raised.value.diagnostics] == [line_of(demo, "version: 2")]


def test_a_value_the_compiler_refuses_becomes_a_diagnostic(demo: Path) -> None:
    edit(demo, '    mon-fri: "09:00-18:00"', '    mon-fri: "09:00-09:00"')
    result = build(demo)
    assert result.config is None
    (problem,) = result.errors
    assert problem.file == str(demo) and problem.line > 1


def test_build_can_run_in_worker_threads_at_once(demo: Path) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: build(demo), range(8)))
    assert {(r.ok, r.version, r.diagnostics) for r in results} == {(True, results[0].version, ())}


def test_a_section_of_the_wrong_shape_does_not_make_its_names_look_undeclared(demo: Path) -> None:
    server = demo.parent / "routes" / "server.yaml"
    edit(server, "roles: [admin, moderator]", "roles: admin")
    edit(demo.parent / "routes" / "messages.yaml", "messages:", "mesages:")
    result = build(demo)
    assert [(Path(d.file).name, d.line, d.message) for d in result.diagnostics] == [
        ("messages.yaml", 3, "unknown key 'mesages' in this route file"),
        (
            "server.yaml",
            line_of(server, "roles: admin"),
            "'roles' should be a list of names, not the single word 'admin'",
        ),
    ]


def test_offline_is_the_default_and_online_requires_the_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    config = str(ROOT / "flexcord.yaml")
    assert CliRunner().invoke(cli, ["validate", "-c", config, "--offline"]).exit_code == 0
    online = CliRunner().invoke(cli, ["validate", "-c", config, "--online"])
    assert online.exit_code == 1
    assert "flexcord.yaml:8:" in online.output and "DISCORD_TOKEN" in online.output
