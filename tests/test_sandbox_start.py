"""A newcomer's first hour with the sandbox: starting, restarting, the clock, the admin's tools.

Each test plays the sandbox through its JSON API (or the `flexcord` command), as the README
tells a community manager to.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from queue import Empty, Queue
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.sandbox import Sandbox
from tests.test_sandbox_api import OPEN_HOURS, ROOT, Api, _free_port, _task_for, demo_copy, eventually

ZONE = "Europe/Paris"
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def closed_for_days(folder: Path) -> Path:
    """A demo copy whose support opens only three days from now, for one hour (Paris time)."""
    config = demo_copy(folder)
    day = datetime.now(ZoneInfo(ZONE)) + timedelta(days=3)
    text = config.read_text()
    start, end = text.index("hours:"), text.index("limits:")
    hours = f'hours:\n  timezone: {ZONE}\n  open:\n    {DAY_NAMES[day.weekday()]}: "09:00-10:00"\n\n'
    config.write_text(text[:start] + hours + text[end:])
    return config


async def file_a_bug(api: Api, user: str, summary: str) -> str:
    answer = await api.post("commands", {"user": user, "channel": "bug-report", "name": "bug", "options": {}})
    values = {"summary": summary, "steps": "Open the map"}
    confirmed = await api.post("forms", {"user": user, "form": answer["form"]["id"], "values": values})
    found = re.search(r"BUG-\d+", confirmed["reply"]["text"])
    assert found, confirmed
    return found.group()


async def test_a_restart_on_the_same_data_keeps_the_cases_and_the_commands_work(tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    data = tmp_path / "data"
    for round_, summary in enumerate(("Map freezes", "Shop is empty")):
        sandbox = Sandbox(config, port=0, data=data, clock=OPEN_HOURS, watch=False)
        await sandbox.start()
        try:
            async with aiohttp.ClientSession(base_url=sandbox.url) as session:
                api = Api(session)
                ref = await file_a_bug(api, "ash", summary)
                kept = await api.get("cases/BUG-1")  # filed before the restart, transcript and all
                assert any("Map freezes" in line["text"] for line in kept["transcript"])
                state = await api.get("state")
                if round_ == 0:
                    assert state.get("notice") is None
                else:  # the page says plainly why the earlier chats are not shown
                    assert "starts empty" in state["notice"] and "cases" in state["notice"]
                cases = {c["ref"]: c for c in await api.get("cases")}
        finally:
            await sandbox.stop()
    assert ref == "BUG-2" and set(cases) == {"BUG-1", "BUG-2"}
    assert cases["BUG-1"]["fields"]["summary"] == "Map freezes"


def test_flexcord_cases_reads_the_sandbox_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = demo_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / ".flexcord" / "sandbox"  # where `flexcord sandbox` keeps them by default

    async def play() -> None:
        sandbox = Sandbox(config, port=0, data=data, clock=OPEN_HOURS, watch=False)
        await sandbox.start()
        try:
            async with aiohttp.ClientSession(base_url=sandbox.url) as session:
                await file_a_bug(Api(session), "misty", "Trading screen is blank")
        finally:
            await sandbox.stop()

    asyncio.run(play())
    runner = CliRunner()
    env = {"FLEXCORD_STORAGE": None}
    listed = runner.invoke(main, ["cases", "list", "--data", str(data)], env=env)
    assert listed.exit_code == 0, listed.output
    assert "BUG-1" in listed.output and "Trading screen is blank" in listed.output
    shown = runner.invoke(main, ["cases", "show", "BUG-1", "--data", str(data)], env=env)
    assert shown.exit_code == 0 and "Reported by misty" in shown.output, shown.output
    # As the README writes it, with no option: the bot's own database does not exist yet.
    plain = runner.invoke(main, ["cases", "list"], env=env)
    assert plain.exit_code == 0 and "BUG-1" in plain.output, plain.output
    assert "sandbox" in plain.output


async def test_the_sandbox_opens_in_business_hours_unless_told_real_time(tmp_path: Path) -> None:
    config = closed_for_days(tmp_path)
    sandbox = Sandbox(config, port=0, data=tmp_path / "data", watch=False)
    await sandbox.start()
    try:
        async with aiohttp.ClientSession(base_url=sandbox.url) as session:
            api = Api(session)
            clock = (await api.get("state"))["clock"]
            assert clock["hours"] == "open" and clock["shifted"] is True
            assert (
                "next opening" in clock["note"] and ZONE in clock["note"] and "--clock now" in clock["note"]
            )
            await api.say("ash", "dm", "I want an agent")
            transfer = await api.dm_saying("ash", r"SUP-\d+.*live agent")
            ref = re.search(r"SUP-\d+", transfer["text"])
            assert ref
            await eventually(lambda: _task_for(api, ref.group()), "the task on the agent desk")
    finally:
        await sandbox.stop()

    real = Sandbox(config, port=0, data=tmp_path / "real", real_time=True, watch=False)
    await real.start()
    try:
        async with aiohttp.ClientSession(base_url=real.url) as session:
            api = Api(session)
            clock = (await api.get("state"))["clock"]
            assert clock["hours"].startswith("closed") and clock["note"] is None
            await api.say("misty", "dm", "can I talk to a human")
            offline = await api.dm_saying("misty", "offline right now")
            assert f"at 09:00 ({ZONE})" in offline["text"]
    finally:
        await real.stop()


async def test_the_admin_reloads_from_discord_and_a_refused_reload_is_posted_in_mod_log(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(demo_copy(tmp_path), port=0, data=tmp_path / "data", clock=OPEN_HOURS, watch=False)
    await sandbox.start()
    try:
        async with aiohttp.ClientSession(base_url=sandbox.url) as session:
            api = Api(session)
            commands = {c["name"]: c for c in (await api.get("state"))["commands"]}
            assert commands["flexcord reload"]["roles"] == ["admin"]
            rules = sandbox.config_path.parent / "routes" / "rules.yaml"
            rules.write_text(rules.read_text().replace("- chatbot: faq", "- chatbot: faqq"))
            body = {"user": "prof_oak", "channel": "general", "name": "flexcord reload", "options": {}}
            answer = await api.post("commands", body)
            assert "refused" in answer["reply"]["text"]
            assert re.search(r"rules\.yaml:\d+:\d+", answer["reply"]["text"])

            async def posted() -> dict[str, Any] | None:
                for message in await api.messages("prof_oak", "mod-log"):
                    if message["bot"] and re.search(r"rules\.yaml:\d+:\d+.*faqq", message["text"]):
                        return message
                return None

            await eventually(posted, "the refused reload in #mod-log")
            player = await api.post("commands", {**body, "user": "ash"})
            assert "Only members with the admin role" in player["reply"]["text"]
    finally:
        await sandbox.stop()


def readme_curl() -> tuple[str, dict[str, str], str]:
    """The README's announcement example: its path, headers and body, as written."""
    text = (ROOT / "README.md").read_text()
    command = re.search(r"curl -X POST (\S+) \\\n(.*?)\n```", text, re.S)
    assert command, "the README shows no curl example for announcements"
    path = command.group(1).split("8080", 1)[1]
    headers = dict(h.split(": ", 1) for h in re.findall(r"-H '([^']+)'", command.group(2)))
    body = re.search(r"-d '([^']+)'", command.group(2))
    assert body
    return path, headers, body.group(1)


async def test_announcements_work_out_of_the_box_as_the_readme_shows(tmp_path: Path) -> None:
    sandbox = Sandbox(demo_copy(tmp_path), port=0, data=tmp_path / "data", clock=OPEN_HOURS, watch=False)
    await sandbox.start()
    try:
        path, headers, body = readme_curl()
        assert headers["Authorization"] == f"Bearer {sandbox.announce_tokens()['announcements']}"
        async with aiohttp.ClientSession(base_url=sandbox.url) as session:
            for _ in range(2):  # the same Idempotency-Key posts once
                async with session.post(path, data=body, headers=headers) as answer:
                    assert answer.status == 201, await answer.text()
            shown = await Api(session).messages("ash", "announcements")
        titles = [e["title"] for m in shown for e in m["embeds"]]
        assert titles.count(json.loads(body)["title"]) == 1
    finally:
        await sandbox.stop()


async def test_readyz_says_which_part_is_not_ready(tmp_path: Path) -> None:
    sandbox = Sandbox(demo_copy(tmp_path), port=0, data=tmp_path / "data", clock=OPEN_HOURS, watch=False)
    await sandbox.start()
    try:
        async with aiohttp.ClientSession(base_url=sandbox.url) as session:
            async with session.get("/readyz") as answer:
                assert answer.status == 200
                checks = {c["name"]: c for c in (await answer.json())["checks"]}
            assert set(checks) == {"config", "store", "discord"}
            assert sandbox.runtime.config.version in checks["config"]["detail"]
            await sandbox.store.close()  # the database goes away under the bot
            async with session.get("/readyz") as answer:
                assert answer.status == 503
                body = await answer.json()
            failing = [c["name"] for c in body["checks"] if not c["ok"]]
            assert body["status"] == "not ready" and failing == ["store"]
    finally:
        await sandbox.stop()


async def test_another_website_cannot_drive_the_sandbox_api(tmp_path: Path) -> None:
    sandbox = Sandbox(demo_copy(tmp_path), port=0, data=tmp_path / "data", clock=OPEN_HOURS, watch=False)
    await sandbox.start()
    body = '{"user": "ash", "channel": "dm", "text": "I want an agent"}'
    try:
        async with aiohttp.ClientSession(base_url=sandbox.url) as session:

            async def post(headers: dict[str, str]) -> tuple[int, Any]:
                async with session.post("/sandbox/api/messages", data=body, headers=headers) as answer:
                    return answer.status, await answer.json()

            json_type = {"Content-Type": "application/json"}
            status, answer = await post({"Content-Type": "text/plain"})
            assert status == 415 and "application/json" in answer["error"]
            status, answer = await post({**json_type, "Origin": "http://evil.example"})
            assert status == 403 and "evil.example" in answer["error"]
            status, _ = await post({**json_type, "Origin": "null"})
            assert status == 403
            status, _ = await post({**json_type, "Host": "evil.example"})  # a rebound DNS name
            assert status == 403
            for path in ("/sandbox/api/faults", "/sandbox/api/reload"):
                headers = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
                async with session.post(path, data="{}", headers=headers) as answer:
                    assert answer.status == 403
            assert await Api(session).messages("ash", "dm") == []  # nothing got through
            status, answer = await post({**json_type, "Origin": sandbox.url})
            assert status == 200 and answer["author"] == "ash"
    finally:
        await sandbox.stop()


def test_listening_beyond_loopback_prints_a_warning(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sandbox", "--host", "0.0.0.0", "-c", str(tmp_path / "none.yaml")])
    assert "warning: the sandbox listens on 0.0.0.0" in result.output
    quiet = CliRunner().invoke(main, ["sandbox", "-c", str(tmp_path / "none.yaml")])
    assert "warning" not in quiet.output


def test_flexcord_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"flexcord {importlib.metadata.version('flexcord')}"


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Queue[str], int]]:
    """`flexcord sandbox` in its own process on a free port, its output read line by line."""
    config = closed_for_days(tmp_path)
    port = _free_port()
    command = [sys.executable, "-c", "from engine.cli import main; main()", "sandbox", "-c", str(config)]
    command += ["--port", str(port), "--data", str(tmp_path / "data"), "--no-open"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: Queue[str] = Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        yield process, lines, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def _until(lines: Queue[str], pattern: str, seen: list[str]) -> str:
    """Read output lines until one matches `pattern` (the process ending fails the test)."""
    while True:
        try:
            line = lines.get(timeout=60)
        except Empty:
            raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(seen)}") from None
        seen.append(line)
        if re.search(pattern, line):
            return line


def test_the_terminal_shows_the_url_first_and_sighup_reloads(
    sandbox_process: tuple[subprocess.Popen[str], Queue[str], int],
) -> None:
    process, lines, port = sandbox_process
    seen: list[str] = []
    first = _until(lines, r".", seen)
    assert f"http://127.0.0.1:{port}" in first
    _until(lines, "press Ctrl\\+C to stop", seen)
    banner = "".join(seen)
    assert "next opening" in banner and ZONE in banner  # support was closed: it says so
    assert "/hooks/announce/announcements -H 'Authorization: Bearer try-announcements'" in banner
    process.send_signal(signal.SIGHUP)
    _until(lines, r"Config (reloaded|unchanged) \(SIGHUP\)", seen)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as health:
        assert health.status == 200
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
