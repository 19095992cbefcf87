"""Helpers for the Flex adapter tests: the emulator on real Hypercorn, a demo Config, a recording runtime.

A test module makes its fixture from `running_flex_world()` (tests/conftest.py belongs to the suite).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from engine.config import build
from engine.config.model import Config
from engine.events import ContactEvent
from engine.flex.contact_center import TwilioContactCenter
from engine.flex.emulator import Emulator, create_emulator, emulator_of
from engine.flex.webhooks import WebhookObserver
from engine.server import RunningServer, ServerServices, create_app, start_server

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_SID = "AC" + "a1" * 16
AUTH_TOKEN = "flexcord-test-token"
WORKSPACE_SID = "WS" + "b2" * 16
WORKFLOW_SID = "WW" + "c3" * 16
PUBLIC_URL = "https://care.example.com"
ENV = {
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_WORKSPACE_SID": WORKSPACE_SID,
    "TWILIO_WORKFLOW_SID": WORKFLOW_SID,
    "FLEXCORD_PUBLIC_URL": PUBLIC_URL,
    "DISCORD_TOKEN": "discord-test-token",
}


def demo_config(**server: Any) -> Config:
    """The shipped demo bot (flexcord.yaml) with test credentials; `server` overrides ServerSettings."""
    result = build(ROOT / "flexcord.yaml", env=ENV)
    assert result.config is not None, result.errors
    config = result.config
    if server:
        config = dataclasses.replace(config, server=dataclasses.replace(config.server, **server))
    return config


async def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.01)


class RecordingRuntime:
    """Stands in for the runtime at the server's boundary: keeps every ContactEvent it is given."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self.events: list[ContactEvent] = []

    @property
    def config(self) -> Config:
        return self._config

    async def on_contact_event(self, event: ContactEvent) -> None:
        self.events.append(event)


@dataclass
class EmulatorHandle:
    """A running emulator: its base URL, its state, and a JSON client for the agent API."""

    server: RunningServer
    emulator: Emulator
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.server.url

    async def agent(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.http.request(method, f"{self.url}/emulator{path}", json=body) as answer:
            assert answer.status < 400, await answer.text()
            return await answer.json()

    async def tasks(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.agent("GET", "/tasks")
        return result


@dataclass
class FlexWorld:
    """flexcord's webhook server (with a recording runtime) and the emulator delivering to it."""

    flex: EmulatorHandle
    flexcord: RunningServer
    runtime: RecordingRuntime
    config: Config
    opened: list[TwilioContactCenter] = dataclasses.field(default_factory=list)

    def contact_center(self, **options: Any) -> TwilioContactCenter:
        """A TwilioContactCenter pointed at the emulator (closed when the test ends)."""
        contact = TwilioContactCenter(
            self.config.flex, self.config.server.public_url, base_url=self.flex.url, **options
        )
        self.opened.append(contact)
        return contact


class DurableRuntime(RecordingRuntime):
    """A recording runtime that records events durably, as the real one does; the first `fail` fail."""

    def __init__(self, config: Config, fail: int = 0) -> None:
        super().__init__(config)
        self.fail = fail

    async def accept_contact_event(self, event: ContactEvent) -> None:
        if self.fail > 0:
            self.fail -= 1
            raise RuntimeError("the store is busy")
        self.events.append(event)


@asynccontextmanager
async def running_flex_world(
    observer: WebhookObserver | None = None, runtime: RecordingRuntime | None = None
) -> AsyncIterator[FlexWorld]:
    """Both sides on loopback: webhooks are signed for PUBLIC_URL and delivered to flexcord's port."""
    config = demo_config(public_url=PUBLIC_URL)
    runtime = runtime or RecordingRuntime(config)
    flexcord = await start_server(create_app(ServerServices(runtime=runtime, observer=observer)))
    app = create_emulator(
        ACCOUNT_SID, AUTH_TOKEN, spec_check=True, webhook_delivery_url_override=flexcord.url
    )
    emulator = await start_server(app)
    async with aiohttp.ClientSession() as http:
        world = FlexWorld(EmulatorHandle(emulator, emulator_of(app), http), flexcord, runtime, config)
        yield world
        for contact in world.opened:
            await contact.aclose()
    await emulator.stop()
    await flexcord.stop()
