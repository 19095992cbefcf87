"""The bot as `flexcord run` assembles it, driven end to end with emulated Discord and Flex.

The config is the demo bot loaded the way `flexcord run` loads it (secrets from the environment),
and the assembly is the one `run` uses; only the ends differ: SimCord plays Discord (instead of
logging in with the token) and the Flex emulator plays Twilio, reached by the real twilio SDK.
Twilio signs its webhooks for the public https address and a proxy would forward them to
flexcord's port: the emulator delivers them to the loopback port directly.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import simcord
from simcord import UserHandle

from engine.assembly import Bot, assemble
from engine.cli.serve import load
from engine.discord import FlexcordClient
from engine.flex.emulator import Emulator, create_emulator, emulator_of
from engine.hours import is_open
from engine.server import RunningServer, start_server
from tests.discord_fixtures import CHANNELS, GUILD, SimClock, no_news
from tests.flex_fixtures import ACCOUNT_SID, AUTH_TOKEN, ENV, PUBLIC_URL, wait_for
from tests.test_sandbox_api import demo_copy

ADMIN_TOKEN = "admin-token-for-tests"


class SimcordDiscord:
    """Discord as SimCord emulates it, in the demo server's shape; the server exists before the bot joins."""

    def __init__(self, client: FlexcordClient, clock: SimClock) -> None:
        self.env = clock.env = simcord.Env(client)
        guild = self.env.create_guild(GUILD)
        self.channels = {name: guild.create_text_channel(name) for name in CHANNELS}
        roles = {name: guild.create_role(name) for name in ("admin", "moderator")}
        self.player: UserHandle = self.env.create_user("ash")
        self.member = guild.add_member(self.player)  # the player in the server (slash commands, forms)
        guild.add_member(self.env.create_user("jenny"), roles=[roles["moderator"]])
        guild.add_member(self.env.create_user("oak"), roles=[roles["admin"]])

    async def start(self) -> None:
        await self.env.start()

    async def stop(self) -> None:
        await self.env.shutdown()

    def dm_texts(self) -> list[str]:
        """What the bot said in the player's DM, oldest first."""
        return [m.content for m in self.player.dm_channel.history() if m.author.bot]


@dataclass
class Running:
    """The assembled bot under emulated Discord, and the emulated Flex it hands players to."""

    bot: Bot
    discord: SimcordDiscord
    flex: RunningServer
    emulator: Emulator
    url: str
    http: aiohttp.ClientSession

    async def agent(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.http.request(method, f"{self.flex.url}/emulator{path}", json=body) as answer:
            assert answer.status < 400, await answer.text()
            return await answer.json()


@pytest.fixture
async def running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Running]:
    async with assembled(tmp_path, monkeypatch) as bot:
        yield bot


@asynccontextmanager
async def assembled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prepare: Callable[[Path], object] | None = None
) -> AsyncIterator[Running]:
    """The demo bot as `flexcord run` assembles it; `prepare` may change the demo's copy first."""
    listening = socket.socket()  # flexcord's port, open before anything needs its number
    listening.bind(("127.0.0.1", 0))
    listening.listen(128)
    flexcord_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    for name, value in {
        **ENV,
        "FLEXCORD_PUBLIC_URL": PUBLIC_URL,
        "FLEXCORD_LISTEN": flexcord_url.removeprefix("http://"),
        "FLEXCORD_STORAGE": f"sqlite:///{tmp_path / 'flexcord.db'}",
        "FLEXCORD_ADMIN_TOKEN": ADMIN_TOKEN,
    }.items():
        monkeypatch.setenv(name, value)
    config_path = demo_copy(tmp_path)
    if prepare is not None:
        prepare(config_path)
    config = load(config_path, "run", secrets=True)

    app = create_emulator(
        ACCOUNT_SID, AUTH_TOKEN, spec_check=True, webhook_delivery_url_override=flexcord_url
    )
    flex = await start_server(app)
    clock = SimClock()
    bot = await assemble(
        config_path, config, offline=False, contact_base_url=flex.url, clock=clock, fetch_feed=no_news
    )
    discord = SimcordDiscord(bot.client, clock)
    try:
        await bot.start(discord, listen=listening)
        async with aiohttp.ClientSession() as http:
            yield Running(bot, discord, flex, emulator_of(app), flexcord_url, http)
    finally:
        await bot.stop()
        await flex.stop()
        listening.close()
    discord.env.raise_errors()  # an error the bot raised and swallowed fails the test


async def test_a_player_reaches_an_agent_and_the_admin_routes_answer(running: Running) -> None:
    bot, discord = running.bot, running.discord
    hours = bot.runtime.config.hours
    assert hours is not None and is_open(hours, discord.env.now())  # the premise: support is open

    await discord.player.send_dm("I want to talk to a real person")
    (task,) = await wait_for(lambda: list(running.emulator.state.tasks.values()))
    case_ref = task.attributes["case"]
    assert case_ref.startswith("SUP-") and task.attributes["queue"] == "support"
    assert (await running.agent("GET", f"/tasks/{task.sid}"))["attributes"]["case"] == case_ref
    await wait_for(lambda: any(case_ref in text for text in discord.dm_texts()))

    await running.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Misty"})
    await running.agent("POST", f"/tasks/{task.sid}/messages", {"text": "Which device are you on?"})
    await wait_for(lambda: "**Misty:** Which device are you on?" in discord.dm_texts())
    texts = discord.dm_texts()
    assert texts.index("Misty joined the chat.") < texts.index("**Misty:** Which device are you on?")
    assert running.emulator.violations == []

    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with running.http.post(f"{running.url}/admin/reload", headers=bearer) as answer:
        assert answer.status == 200, await answer.text()
        assert (await answer.json())["ok"] is True
    async with running.http.post(f"{running.url}/admin/reload") as answer:
        assert answer.status == 401

    async with running.http.get(f"{running.url}/metrics") as answer:
        assert answer.status == 200
        metrics = await answer.text()
    assert 'flexcord_messages_routed_total{rule="live agent"} 1.0' in metrics
    assert 'flexcord_handoffs_total{queue="support"} 1.0' in metrics

    async with running.http.get(f"{running.url}/readyz") as answer:
        assert answer.status == 200
        checks = (await answer.json())["checks"]
    assert [(c["name"], c["ok"]) for c in checks] == [("config", True), ("store", True), ("discord", True)]
    assert checks[2]["detail"] == f"connected to {GUILD}"
    assert checks[1]["detail"] == "sqlite writable"


async def ready_store(running: Running) -> tuple[int, dict[str, Any]]:
    async with running.http.get(f"{running.url}/readyz") as answer:
        checks = {check["name"]: check for check in (await answer.json())["checks"]}
        return answer.status, checks["store"]


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_readyz_fails_when_the_database_is_deleted_or_replaced(
    running: Running, tmp_path: Path, how: str
) -> None:
    database = tmp_path / "flexcord.db"
    assert await ready_store(running) == (200, {"name": "store", "ok": True, "detail": "sqlite writable"})
    database.unlink()
    if how == "replaced":
        database.write_bytes(b"")
    status, store = await ready_store(running)
    assert status == 503 and not store["ok"]
    assert store["detail"] == f"{database} " + (
        "is missing" if how == "deleted" else "was replaced by another file"
    )


async def test_the_database_and_its_folder_are_private(running: Running, tmp_path: Path) -> None:
    await running.discord.player.send_dm("hello")
    await wait_for(lambda: bool(running.discord.dm_texts()))
    for path in tmp_path.glob("flexcord.db*"):
        assert path.stat().st_mode & 0o777 == 0o600, path
