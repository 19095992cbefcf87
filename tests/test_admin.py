"""POST /admin/reload, GET /metrics and `flexcord reload`, on the real app (test client and Hypercorn)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner, Result
from prometheus_client.parser import text_string_to_metric_families
from quart import Quart

from engine.admin import admin_blueprint
from engine.cli import main
from engine.cli.admin import admin_url
from engine.server import ServerServices, create_app, start_server
from tests.conftest import ROOT
from tests.reload_fixtures import RULES, TOKEN, Bot, edit, set_ping_variant, start_bot

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def app_of(bot: Bot) -> Quart:
    return create_app(
        ServerServices(
            runtime=bot.world.runtime,
            blueprints=[admin_blueprint(bot.reloader, bot.metrics)],
            observer=bot.metrics,
        )
    )


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Bot]:
    running = await start_bot(tmp_path / "bot")
    yield running
    await running.world.close()


async def metric(app: Quart, name: str, labels: dict[str, str] | None = None) -> float | None:
    """One sample as a Prometheus scrape of /metrics reads it."""
    answer = await app.test_client().get("/metrics")
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    for family in text_string_to_metric_families(await answer.get_data(as_text=True)):
        for sample in family.samples:
            if sample.name == name and sample.labels == (labels or {}):
                return sample.value
    return None


# --- the token -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}, {"Authorization": "Bearer"}],
    ids=["none", "wrong", "not-bearer", "empty"],
)
async def test_reload_is_refused_without_the_admin_token(bot: Bot, headers: dict[str, str]) -> None:
    app = app_of(bot)
    set_ping_variant(bot.config_path, "B")
    answer = await app.test_client().post("/admin/reload", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await answer.get_json())["ok"] is False
    assert bot.reloader.last is None and bot.world.runtime.config.rules[0].name == "ping A"


async def test_without_a_configured_token_reload_over_http_is_off_and_says_how_to_turn_it_on(
    tmp_path: Path,
) -> None:
    bot = await start_bot(tmp_path / "bot", env={})
    try:
        assert not bot.world.runtime.config.server.admin_token
        answer = await app_of(bot).test_client().post("/admin/reload", headers={"Authorization": "Bearer "})
        assert answer.status_code == 401
        assert "FLEXCORD_ADMIN_TOKEN" in (await answer.get_json())["error"]
        assert bot.reloader.last is None
    finally:
        await bot.world.close()


# --- answers -------------------------------------------------------------------------------------


async def test_a_good_reload_answers_200_with_the_new_version(bot: Bot) -> None:
    app = app_of(bot)
    before = bot.version
    set_ping_variant(bot.config_path, "B")
    answer = await app.test_client().post("/admin/reload", headers=AUTH)
    body = await answer.get_json()
    assert answer.status_code == 200
    assert body["ok"] is True and body["changed"] is True
    assert body["version"] == bot.version != before and body["previous_version"] == before
    assert body["errors"] == [] and body["warnings"] == []
    assert await metric(app, "flexcord_config_reloads_total", {"result": "success"}) == 1
    assert (
        await metric(app, "flexcord_config_info", {"version": bot.version, "name": "PokeCommunity care"}) == 1
    )


async def test_a_broken_reload_answers_422_with_where_and_the_gauge_says_so(bot: Bot) -> None:
    app = app_of(bot)
    before = bot.version
    original = bot.file(RULES).read_text(encoding="utf-8")
    edit(bot.file(RULES), "- chatbot: faq", "- chatbot: faq\n      - teleport: now")

    answer = await app.test_client().post("/admin/reload", headers=AUTH)
    body = await answer.get_json()
    assert answer.status_code == 422
    assert body["ok"] is False and body["changed"] is False
    assert body["version"] == body["previous_version"] == before == bot.version
    [problem] = body["errors"]
    assert set(problem) == {"file", "line", "col", "severity", "message", "hint"}
    assert problem["file"].endswith(RULES) and problem["line"] > 1 and problem["severity"] == "error"
    assert "teleport" in problem["message"]
    assert await metric(app, "flexcord_config_last_reload_successful") == 0
    assert await metric(app, "flexcord_config_reloads_total", {"result": "failure"}) == 1

    bot.file(RULES).write_text(original, encoding="utf-8")
    answer = await app.test_client().post("/admin/reload", headers=AUTH)
    assert answer.status_code == 200 and (await answer.get_json())["changed"] is False
    assert await metric(app, "flexcord_config_last_reload_successful") == 1


async def test_traffic_shows_on_metrics(bot: Bot) -> None:
    app = app_of(bot)
    bot.metrics.message_routed("live agent")
    bot.metrics.handoff("support")
    assert await metric(app, "flexcord_messages_routed_total", {"rule": "live agent"}) == 1
    assert await metric(app, "flexcord_handoffs_total", {"queue": "support"}) == 1


# --- on real Hypercorn, and through `flexcord reload` --------------------------------------------


def reload_cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["reload", *args], env=env or {"FLEXCORD_ADMIN_TOKEN": ""})


async def test_reload_over_loopback_with_hypercorn_and_the_cli(bot: Bot) -> None:
    server = await start_server(app_of(bot))
    try:
        url = f"{server.url}/admin/reload"
        async with aiohttp.ClientSession() as http:
            async with http.post(url) as answer:
                assert answer.status == 401
            set_ping_variant(bot.config_path, "B")
            async with http.post(url, headers=AUTH) as answer:
                body: dict[str, Any] = await answer.json()
                assert answer.status == 200 and body["version"] == bot.version
            async with http.get(f"{server.url}/metrics") as answer:
                assert "flexcord_config_last_reload_successful 1.0" in await answer.text()

        set_ping_variant(bot.config_path, "C")
        done = await asyncio.to_thread(reload_cli, "--url", server.url, "--token", TOKEN)
        assert done.exit_code == 0, done.output
        assert f"now serving version {bot.version}" in done.output

        wrong = await asyncio.to_thread(reload_cli, "--url", url, "--token", "nope")
        assert wrong.exit_code == 1 and "refused" in wrong.output

        edit(bot.file("routes/commands.yaml"), "channels: [bug-report]", "channels: [bug-reports]")
        listen = f"127.0.0.1:{server.port}"
        env = {"FLEXCORD_ADMIN_TOKEN": TOKEN, "FLEXCORD_LISTEN": listen}
        broken = await asyncio.to_thread(reload_cli, "-c", str(bot.config_path), env=env)
        assert broken.exit_code == 1
        assert f"keeps serving version {bot.version}" in broken.output
        lines = (ROOT / "routes" / "commands.yaml").read_text(encoding="utf-8").splitlines()
        line = next(i for i, text in enumerate(lines, 1) if "[bug-report]" in text)
        assert f"routes/commands.yaml:{line}:16: error: channel 'bug-reports'" in broken.output
    finally:
        await server.stop()


def test_the_cli_finds_the_bot_from_server_listen(tmp_path: Path) -> None:
    from tests.reload_fixtures import copy_demo

    config = copy_demo(tmp_path / "bot")
    assert admin_url(config, {}) == "http://127.0.0.1:8080/admin/reload"
    assert admin_url(config, {"FLEXCORD_LISTEN": "0.0.0.0:9000"}) == "http://127.0.0.1:9000/admin/reload"
    assert admin_url(config, {"FLEXCORD_LISTEN": "10.0.0.5:81"}) == "http://10.0.0.5:81/admin/reload"


def test_the_cli_needs_a_token_and_says_when_the_bot_is_not_there(tmp_path: Path) -> None:
    missing = reload_cli("--url", "http://127.0.0.1:9/admin/reload")
    assert missing.exit_code == 2 and "FLEXCORD_ADMIN_TOKEN" in missing.output
    away = reload_cli("--url", "http://127.0.0.1:9/admin/reload", "--token", TOKEN)
    assert away.exit_code == 1 and "Could not reach the bot" in away.output
