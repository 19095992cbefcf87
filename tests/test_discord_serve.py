"""`flexcord run`, `plan` and `apply`: what they need, and the permission report they print."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from click.testing import CliRunner

from engine.cli import main
from engine.cli.serve import permissions_report
from tests.discord_fixtures import ROOT, demo_config, open_server

CONFIG = str(ROOT / "flexcord.yaml")
SECRETS = (
    "DISCORD_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_WORKSPACE_SID",
    "TWILIO_WORKFLOW_SID",
)


def invoke(*args: str, **env: str | None) -> tuple[int, str]:
    unset: dict[str, str | None] = dict.fromkeys(SECRETS)
    result = CliRunner().invoke(main, list(args), env={**unset, **env})
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_the_commands_are_registered() -> None:
    code, text = invoke("--help")
    assert code == 0 and all(f" {name} " in text for name in ("run", "plan", "apply"))


def test_run_without_a_token_says_what_to_set_and_exits_2() -> None:
    code, text = invoke("run", "-c", CONFIG)
    assert code == 2
    for name in ("DISCORD_TOKEN", "TWILIO_ACCOUNT_SID", "FLEXCORD_PUBLIC_URL", "flexcord sandbox"):
        assert name in text


def test_run_with_only_a_token_names_the_missing_twilio_secrets() -> None:
    code, text = invoke("run", "-c", CONFIG, DISCORD_TOKEN="abc")
    assert code == 2
    assert "environment variable TWILIO_AUTH_TOKEN is not set" in text and "flexcord sandbox" in text


def test_plan_and_apply_need_a_token_too() -> None:
    assert invoke("plan", "-c", CONFIG)[0] == 2
    assert invoke("apply", "-c", CONFIG)[0] == 2


def test_a_broken_config_exits_1_with_where_it_is(tmp_path: Path) -> None:
    broken = tmp_path / "flexcord.yaml"
    broken.write_text("version: 1\ndiscord: {token: x, guild: [not, a, name]}\n", encoding="utf-8")
    code, text = invoke("plan", "-c", str(broken))
    assert code == 1 and "flexcord.yaml:2" in text


async def test_the_permission_report_plans_applies_and_then_has_nothing_to_do() -> None:
    config = demo_config()
    async with open_server() as server:
        planned = await permissions_report(server.client, config, apply=False, exit_code=True)
        assert (
            planned.code == 2 and "#announcements: @everyone send_messages: inherit -> deny" in planned.text
        )
        applied = await permissions_report(server.client, config, apply=True, exit_code=False)
        assert applied.code == 0 and "overwrite(s) written" in applied.text
        await server.env.settle()
        again = await permissions_report(server.client, config, apply=False, exit_code=True)
        assert again.code == 0 and "No changes" in again.text

        elsewhere = dataclasses.replace(
            config, discord=dataclasses.replace(config.discord, guild="Another server")
        )
        missing = await permissions_report(server.client, elsewhere, apply=False, exit_code=False)
        assert missing.code == 1 and "Another server" in missing.text
