"""The webhook server on real Hypercorn: health, readiness, body limits, errors, contributed blueprints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from quart import Blueprint

from engine.config.model import Config
from engine.flex import webhooks
from engine.server import App, ServerServices, create_app, start_server
from tests.flex_fixtures import RecordingRuntime, demo_config


async def store_ok() -> tuple[str, bool, str]:
    return "store", True, "sqlite reachable"


async def discord_down() -> tuple[str, bool, str]:
    return "discord", False, "not connected"


async def config_broken() -> tuple[str, bool, str]:
    raise RuntimeError("config not loaded")


def extra() -> Blueprint:
    blueprint = Blueprint("extra", __name__)

    @blueprint.get("/extra")
    async def hello() -> str:
        return "hello"

    return blueprint


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_health_and_contributed_blueprints(http: aiohttp.ClientSession) -> None:
    runtime = RecordingRuntime(demo_config())
    server = await start_server(create_app(ServerServices(runtime, [store_ok], [extra()])))
    try:
        assert server.port > 0 and server.url.startswith("http://127.0.0.1:")
        async with http.get(f"{server.url}/healthz") as answer:
            assert answer.status == 200 and await answer.json() == {"status": "ok"}
        async with http.get(f"{server.url}/readyz") as answer:
            assert answer.status == 200
            body = await answer.json()
            assert body["status"] == "ready"
            assert body["checks"] == [{"name": "store", "ok": True, "detail": "sqlite reachable"}]
        async with http.get(f"{server.url}/extra") as answer:
            assert answer.status == 200 and await answer.text() == "hello"
    finally:
        await server.stop()


async def test_readyz_is_503_when_any_check_fails(http: aiohttp.ClientSession) -> None:
    runtime = RecordingRuntime(demo_config())
    services = ServerServices(runtime, [store_ok, discord_down, config_broken])
    server = await start_server(create_app(services))
    try:
        async with http.get(f"{server.url}/readyz") as answer:
            assert answer.status == 503
            checks = {c["name"]: c for c in (await answer.json())["checks"]}
        assert checks["store"]["ok"] and not checks["discord"]["ok"]
        assert checks["config_broken"] == {
            "ok": False,
            "name": "config_broken",
            "detail": "RuntimeError: config not loaded",
        }
    finally:
        await server.stop()


class Timings:
    """An observer that is told how long each webhook answer took."""

    def __init__(self) -> None:
        self.took: list[str] = []

    def webhook(self, endpoint: str, result: str) -> None:
        pass

    def webhook_took(self, endpoint: str, seconds: float) -> None:
        assert seconds >= 0
        self.took.append(endpoint)


async def test_bad_input_never_gives_a_500(http: aiohttp.ClientSession) -> None:
    runtime = RecordingRuntime(demo_config(max_body_bytes=1000))
    timings = Timings()
    server = await start_server(create_app(ServerServices(runtime, observer=timings)))
    url = f"{server.url}/twilio/conversations"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        async with http.post(url, data=b"a=" + b"x" * 5000, headers=form) as answer:
            assert answer.status == 413

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the body is cut while it streams
            for _ in range(10):
                yield b"x" * 500

        async with http.post(url, data=chunks(), headers=form) as answer:
            assert answer.status == 413
        async with http.post(url, data=b"\xff\xfe=\x00", headers=form) as answer:
            assert answer.status == 400
        async with http.post(
            url, data=b'{"EventType": "onMessageAdded"}', headers={"Content-Type": "application/json"}
        ) as answer:
            assert answer.status == 400
        async with http.get(f"{server.url}/nowhere") as answer:
            assert answer.status == 404 and (await answer.json())["status"] == 404
        async with http.get(url) as answer:
            assert answer.status == 405 and answer.headers["Allow"] == "POST"
    finally:
        await server.stop()
    assert runtime.events == []
    assert timings.took == ["conversations"] * 5  # every webhook answer timed, refusals included


async def _raw(server_url: str, request: bytes) -> bytes:
    """Send `request` as is over a fresh connection; the answer's first bytes."""
    host, port = server_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(4096), 30)
    finally:
        writer.close()


async def test_a_webhook_body_that_stops_arriving_gets_408_and_the_server_goes_on(
    http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "BODY_WITHIN", 0.5)
    runtime = RecordingRuntime(demo_config())
    server = await start_server(create_app(ServerServices(runtime)))
    try:
        head = (
            b"POST /twilio/conversations HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nEventType="
        )
        answer = await _raw(server.url, head)  # 10 of the 100 bytes promised, then nothing
        assert answer.startswith(b"HTTP/1.1 408")
        async with http.get(f"{server.url}/healthz") as health:
            assert health.status == 200
    finally:
        await server.stop()
    assert runtime.events == []


class BrokenRuntime(RecordingRuntime):
    """A runtime whose config cannot be read: an error of flexcord's, not of the caller's."""

    @property
    def config(self) -> Config:
        raise RuntimeError("no config")


async def test_an_error_of_flexcords_in_a_webhook_is_a_500_with_no_detail(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(ServerServices(RecordingRuntime(demo_config())))
    server = await start_server(app)
    broken = BrokenRuntime(demo_config())
    assert isinstance(app, App) and app.webhooks is not None
    app.webhooks.sink = broken
    form = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"}
    try:
        async with http.post(f"{server.url}/twilio/taskrouter", data=b"EventType=x", headers=form) as answer:
            assert answer.status == 500
            assert await answer.json() == {"error": "internal error", "status": 500}
        async with http.get(f"{server.url}/healthz") as health:
            assert health.status == 200
    finally:
        await server.stop()
    assert "the taskrouter webhook failed" in caplog.text
