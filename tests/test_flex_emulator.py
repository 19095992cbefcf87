"""The Flex emulator itself: Twilio's auth and error shapes, the contract check, paging, receipts, its CLI."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from twilio.rest import Client

from engine.flex.emulator import create_emulator, emulator_of
from engine.flex.emulator.delivery import WebhookSender
from engine.flex.emulator.specs import SpecsMissing, find_specs
from engine.flex.transport import TwilioTransport
from engine.server import RunningServer, start_server
from tests.flex_fixtures import ACCOUNT_SID, AUTH_TOKEN, ROOT, wait_for

BASIC = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
async def flex(tmp_path: Path) -> AsyncIterator[RunningServer]:
    app = create_emulator(ACCOUNT_SID, AUTH_TOKEN, spec_check=True, receipts=tmp_path / "receipts.jsonl")
    server = await start_server(app)
    yield server
    await server.stop()


async def call(
    base: str, method: str, path: str, form: dict[str, str] | None = None, **headers: str
) -> tuple[int, Any]:
    """One form request to the emulator at `base`; returns the status and the JSON answer."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            method,
            base + path,
            data=urlencode(form or {}, doseq=True),
            headers={**FORM, **headers},
        ) as answer,
    ):
        return answer.status, await answer.json(content_type=None)


async def test_auth_and_twilio_error_shapes(flex: RunningServer) -> None:
    status, body = await call(flex.url, "POST", "/v1/Conversations", {"FriendlyName": "x"})
    assert status == 401 and body["code"] == 20003
    wrong = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:nope".encode()).decode()
    assert (await call(flex.url, "POST", "/v1/Conversations", {}, Authorization=wrong))[0] == 401
    status, body = await call(flex.url, "GET", "/v1/Conversations/CH" + "0" * 32, Authorization=BASIC)
    assert status == 404
    assert set(body) == {"code", "message", "more_info", "status"} and body["code"] == 20404
    status, body = await call(
        flex.url, "POST", "/v1/Conversations", {"Attributes": "{not json"}, Authorization=BASIC
    )
    assert status == 400


async def test_requests_twilio_would_refuse_are_recorded(flex: RunningServer) -> None:
    status, created = await call(
        flex.url, "POST", "/v1/Conversations", {"FriendlyName": "ok"}, Authorization=BASIC
    )
    assert status == 201 and str(created["sid"]).startswith("CH")
    hooks = f"/v1/Conversations/{created['sid']}/Webhooks"
    bad_method = {"Target": "webhook", "Configuration.Url": "https://x", "Configuration.Method": "POST"}
    assert (await call(flex.url, "POST", hooks, bad_method, Authorization=BASIC))[0] == 400
    assert (await call(flex.url, "POST", "/v1/Conversations", {"Frendlyname": "typo"}, Authorization=BASIC))[
        0
    ] == 400
    assert (
        await call(
            flex.url, "GET", "/v1/ParticipantConversations?Identity=a&PageSize=500", Authorization=BASIC
        )
    )[0] == 400
    _, violations = await call(flex.url, "GET", "/emulator/violations")
    assert isinstance(violations, list) and len(violations) == 3
    errors = " ".join(" ".join(v["errors"]) for v in violations)
    assert "'POST' is not one of ['get', 'post']" in errors
    assert "'Frendlyname' is not a parameter" in errors
    assert "greater than the maximum of 50" in errors


async def test_the_sdk_pages_through_long_lists_and_receipts_are_written(
    flex: RunningServer, tmp_path: Path
) -> None:
    transport = TwilioTransport()
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=transport)
    client.conversations.base_url = flex.url
    try:
        conversation = await client.conversations.v1.conversations.create_async(friendly_name="paging")
        messages = client.conversations.v1.conversations(conversation.sid).messages
        for number in range(60):
            await messages.create_async(
                author="discord_1", body=f"m{number}", attributes=json.dumps({"key": f"k{number}"})
            )
        listed = await messages.list_async(page_size=50)
        assert [m.body for m in listed] == [f"m{n}" for n in range(60)]
        newest = await messages.list_async(order="desc", limit=3)
        assert [m.body for m in newest] == ["m59", "m58", "m57"]
    finally:
        await transport.close()
    lines = [json.loads(line) for line in (tmp_path / "receipts.jsonl").read_text().splitlines()]
    assert len(lines) == 60 and lines[0]["key"] == "k0" and lines[0]["conversation"] == conversation.sid
    _, violations = await call(flex.url, "GET", "/emulator/violations")
    assert violations == []


async def test_faults_fail_the_next_matching_requests(flex: RunningServer) -> None:
    async with aiohttp.ClientSession() as http:
        fault = {"status": 429, "count": 2, "retry_after": 7, "path": "/v1/Conversations", "method": "POST"}
        async with http.post(f"{flex.url}/emulator/faults", json=fault) as answer:
            assert answer.status == 201
        for _ in range(2):
            async with http.post(
                f"{flex.url}/v1/Conversations", data="", headers={**FORM, "Authorization": BASIC}
            ) as a:
                assert a.status == 429 and a.headers["Retry-After"] == "7"
        async with http.post(
            f"{flex.url}/v1/Conversations", data="", headers={**FORM, "Authorization": BASIC}
        ) as a:
            assert a.status == 201


def test_specs_are_found_and_an_override_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLEXCORD_TWILIO_SPECS", raising=False)
    found = find_specs()
    assert (found / "twilio_conversations_v1.json").is_file()
    monkeypatch.setenv("FLEXCORD_TWILIO_SPECS", str(tmp_path))
    with pytest.raises(SpecsMissing, match="FLEXCORD_TWILIO_SPECS"):
        find_specs()


def test_the_specs_folder_comes_from_the_option_or_the_environment_and_nothing_is_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = find_specs()  # where this run's specs are
    copy = tmp_path / "specs"
    shutil.copytree(shared, copy)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # no ../shared here, and an empty cache: nothing to find
    empty_cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm to run, were anything to try
    assert find_specs(copy, env=empty_cache) == copy
    assert find_specs(env={**empty_cache, "FLEXCORD_TWILIO_SPECS": str(copy)}) == copy
    with pytest.raises(SpecsMissing, match="--fetch-specs"):
        find_specs(env=empty_cache)
    with pytest.raises(SpecsMissing, match="the specs folder"):
        find_specs(tmp_path / "cache", env=empty_cache)
    assert create_emulator(ACCOUNT_SID, AUTH_TOKEN, spec_check=True, specs=copy) is not None


async def test_runs_on_its_own_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "engine.flex.emulator", "--port", "0", "--no-spec-check",
        "--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN, "--receipts", str(tmp_path / "r.jsonl"),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        status, created = await call(url, "POST", "/v1/Conversations", {}, Authorization=BASIC)
        assert status == 201
        await call(
            url, "POST", f"/v1/Conversations/{created['sid']}/Messages", {"Body": "hi"}, Authorization=BASIC
        )
        await wait_for(lambda: (tmp_path / "r.jsonl").exists())
        assert json.loads((tmp_path / "r.jsonl").read_text())["body"] == "hi"
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 30) == 0


def test_emulator_of_gives_the_state() -> None:
    app = create_emulator(ACCOUNT_SID, AUTH_TOKEN, spec_check=False)
    assert emulator_of(app).state.account_sid == ACCOUNT_SID


async def test_the_delivery_log_keeps_only_the_latest_deliveries() -> None:
    closed = socket.socket()  # a port nobody listens on: each delivery fails at once
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/twilio/conversations"
    closed.close()
    sender = WebhookSender(AUTH_TOKEN, retry_delays=(), keep=3)
    try:
        for number in range(5):
            await sender.send("onMessageAdded", f"CH{number}", url, "post", {"Index": str(number)})
    finally:
        await sender.aclose()
    assert [delivery.conversation for delivery in sender.log] == ["CH2", "CH3", "CH4"]
