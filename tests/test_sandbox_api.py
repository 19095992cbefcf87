"""`flexcord sandbox` through its JSON API: the whole demo, hot reload, and the command itself.

The sandbox runs in-process on a real Hypercorn server on a free loopback port, with a copy of
the demo bot, SimCord as Discord and the Flex emulator as Twilio; nothing is faked inside.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.sandbox import Sandbox, parse_moment

ROOT = Path(__file__).resolve().parent.parent
OPEN_HOURS = parse_moment("2026-03-02T10:00:00-08:00")  # a Monday morning: support is open
DEADLINE = 20.0

T = TypeVar("T")


def demo_copy(target: Path) -> Path:
    """A copy of the demo bot (flexcord.yaml, routes/, kb/) in `target`; returns its flexcord.yaml."""
    for name in ("flexcord.yaml", "routes", "kb"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    return target / "flexcord.yaml"


@asynccontextmanager
async def running_sandbox(
    folder: Path, prepare: Callable[[Path], object] | None = None, **options: Any
) -> AsyncIterator[Sandbox]:
    """The sandbox on a copy of the demo; `prepare` may change the copy (its flexcord.yaml) first."""
    config = demo_copy(folder)
    if prepare is not None:
        prepare(config)
    sandbox = Sandbox(config, port=0, data=folder / "data", clock=OPEN_HOURS, **options)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str, deadline: float = DEADLINE) -> T:
    """Poll `probe` until it returns something truthy, for at most `deadline` seconds."""
    end = time.monotonic() + deadline
    while True:
        found = await probe()
        if found:
            return found
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


class Api:
    """A small JSON client for /sandbox/api/."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def get(self, path: str) -> Any:
        async with self.session.get("/sandbox/api/" + path) as answer:
            assert answer.status == 200, await answer.text()
            return await answer.json()

    async def post(self, path: str, body: dict[str, Any], status: int = 200) -> Any:
        async with self.session.post("/sandbox/api/" + path, json=body) as answer:
            assert answer.status == status, await answer.text()
            return await answer.json()

    async def say(self, user: str, channel: str, text: str) -> Any:
        return await self.post("messages", {"user": user, "channel": channel, "text": text})

    async def messages(self, user: str, channel: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.get(f"messages?user={user}&channel={channel}")
        return found

    async def dm_saying(self, user: str, pattern: str) -> dict[str, Any]:
        """Wait for a bot message in the player's DM whose text matches `pattern`."""

        async def probe() -> dict[str, Any] | None:
            for message in await self.messages(user, "dm"):
                if message["bot"] and re.search(pattern, message["text"]):
                    return message
            return None

        return await eventually(probe, f"the bot to DM {user} /{pattern}/")


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    async with running_sandbox(tmp_path) as running:
        yield running


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(base_url=sandbox.url) as session:
        yield Api(session)


async def test_state_describes_the_server_people_commands_and_rules(api: Api, sandbox: Sandbox) -> None:
    state = await api.get("state")
    assert state["guild"] == "PokeCommunity"
    assert [u["name"] for u in state["users"]] == [
        "ash",
        "misty",
        "brock",
        "lucia",
        "joao",
        "mod_jenny",
        "prof_oak",
    ]
    assert {u["name"]: u["roles"] for u in state["users"]}["prof_oak"] == ["admin"]
    channels = {c["name"]: c for c in state["channels"]}
    assert set(channels) >= {"general", "announcements", "bug-report", "feature-request", "mod-log"}
    assert channels["announcements"]["can_send"] == {
        "ash": False,
        "misty": False,
        "brock": False,
        "lucia": False,
        "joao": False,
        "mod_jenny": True,
        "prof_oak": True,
    }
    assert channels["mod-log"]["can_view"]["ash"] is False
    bug = next(c for c in state["commands"] if c["name"] == "bug")
    assert bug["channels"] == ["bug-report"]
    case = next(c for c in state["commands"] if c["name"] == "case")
    assert [o["name"] for o in case["options"]] == ["ref", "status", "note"]
    assert state["config"]["version"] == sandbox.runtime.config.version
    assert state["config"]["last_reload"]["ok"] is True
    assert state["clock"]["hours"] == "open"
    async with api.session.get("/") as page:
        assert page.status == 200
        assert "Agent desk" in await page.text()
    async with api.session.get("/healthz") as health:
        assert health.status == 200
    async with api.session.get("/metrics") as metrics:
        assert "flexcord_config" in await metrics.text()


async def test_a_player_may_not_post_where_the_rules_say_only_staff_post(api: Api) -> None:
    refused = await api.post(
        "messages", {"user": "ash", "channel": "announcements", "text": "hi"}, status=403
    )
    assert "only admin, moderator" in refused["error"]
    posted = await api.say("mod_jenny", "announcements", "Raid weekend starts Friday!")
    assert posted["author"] == "mod_jenny"
    shown = await api.messages("ash", "announcements")
    assert any(m["text"] == "Raid weekend starts Friday!" for m in shown)


async def test_the_whole_demo_from_bug_report_to_rating(api: Api) -> None:
    # /bug shows the bug form; submitting it files a case the agent desk lists.
    answer = await api.post(
        "commands", {"user": "ash", "channel": "bug-report", "name": "bug", "options": {}}
    )
    form = answer["form"]
    assert [f["name"] for f in form["fields"]] == ["summary", "steps", "device", "screenshot"]
    values = {"summary": "Game crashes when I open the map", "steps": "Open the map"}
    confirmed = await api.post("forms", {"user": "ash", "form": form["id"], "values": values})
    reply = confirmed["reply"]
    assert reply["ephemeral"] is True
    bug_ref = re.search(r"BUG-\d+", reply["text"])
    assert bug_ref, reply
    cases = await api.get("cases")
    assert [c["ref"] for c in cases] == [bug_ref.group()]
    case = await api.get(f"cases/{bug_ref.group()}")
    assert case["fields"]["summary"] == "Game crashes when I open the map"
    assert case["history"] and case["status"] == "open"

    # A question in the DM gets article suggestions.
    await api.say("ash", "dm", "my game crashes on start")
    suggestions = await api.dm_saying("ash", "found")
    assert suggestions["embeds"] and suggestions["embeds"][0]["url"]
    assert {b["label"] for b in suggestions["buttons"]} >= {"Talk to an agent"}

    # "agent" opens a support case and hands the player over to Flex.
    await api.say("ash", "dm", "I want an agent")
    transfer = await api.dm_saying("ash", r"SUP-\d+.*live agent")
    support_ref = re.search(r"SUP-\d+", transfer["text"])
    assert support_ref
    task = await eventually(lambda: _task_for(api, support_ref.group()), "the task on the agent desk")
    assert task["status"] == "pending" and task["queue"] == "support"

    # The agent accepts: the player is told who joined.
    await api.post(f"agent/tasks/{task['sid']}/accept", {"agent": "Nurse Joy"})
    await api.dm_saying("ash", "Nurse Joy joined")

    # Messages both ways.
    await api.post(f"agent/tasks/{task['sid']}/messages", {"text": "Hi ash, what happened?"})
    await api.dm_saying("ash", "Nurse Joy.*Hi ash, what happened")
    await api.say("ash", "dm", "My Sparkfox vanished after the update")

    async def agent_sees_it() -> bool:
        chat = await api.get(f"agent/tasks/{task['sid']}/messages")
        return any(m["from"] == "player" and "Sparkfox vanished" in m["text"] for m in chat)

    await eventually(agent_sees_it, "the player's message on the agent desk")

    # The agent closes: the player sees it and rates the chat.
    await api.post(f"agent/tasks/{task['sid']}/close", {})
    await api.dm_saying("ash", "is closed")
    prompt = await api.dm_saying("ash", "How did we do")
    rate = next(b for b in prompt["buttons"] if b["label"] == "5")
    rated = await api.post("buttons", {"user": "ash", "message": prompt["id"], "button": rate["id"]})
    assert "5/5" in rated["reply"]["text"]
    closed = await api.get(f"cases/{support_ref.group()}")
    assert closed["status"] == "closed" and closed["rating"] == 5
    assert any("Sparkfox vanished" in line["text"] for line in closed["transcript"])
    # Both sides keep the sandbox's time, agent-side events (from the Flex emulator) included.
    assert {entry["at"][:10] for entry in closed["history"]} == {"2026-03-02"}
    assert {line["at"][:10] for line in closed["transcript"]} == {"2026-03-02"}
    # Wrap-up done: the completed task leaves the agent's list.
    await api.post(f"agent/tasks/{task['sid']}/complete", {})
    assert await _task_for(api, support_ref.group()) is None


async def _task_for(api: Api, ref: str) -> dict[str, Any] | None:
    tasks: list[dict[str, Any]] = await api.get("agent/tasks")
    return next((t for t in tasks if t["case"] == ref), None)


async def test_after_hours_the_player_is_told_when_support_is_back(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as sandbox, aiohttp.ClientSession(base_url=sandbox.url) as session:
        api = Api(session)
        await api.post("clock", {"now": "2026-03-07T20:00:00-08:00"})  # Saturday evening
        assert (await api.get("state"))["clock"]["hours"].startswith("closed")
        await api.say("misty", "dm", "can I talk to a human")
        await api.dm_saying("misty", "offline right now")
        assert await api.get("agent/tasks") == []
        late = await api.post("clock", {"now": "2026-03-01T10:00:00-08:00"}, status=409)
        assert "cannot go back in time" in late["error"]


async def test_commands_refuse_where_they_do_not_belong(api: Api) -> None:
    answer = await api.post("commands", {"user": "brock", "channel": "general", "name": "bug", "options": {}})
    assert answer["reply"]["ephemeral"] is True
    assert "bug-report" in answer["reply"]["text"]
    denied = await api.post(
        "commands", {"user": "brock", "channel": "general", "name": "case", "options": {"ref": "BUG-1"}}
    )
    assert "form" not in denied and denied["reply"]["ephemeral"] is True
    assert "admin" in denied["reply"]["text"]
    unknown = await api.post("commands", {"user": "brock", "channel": "general", "name": "nope"}, status=400)
    assert "no such command" in unknown["error"]


async def test_platform_faults_are_retried_until_delivered(api: Api, sandbox: Sandbox) -> None:
    await api.post("faults", {"target": "discord", "status": 500, "count": 1})
    await api.say("brock", "dm", "how do I trade with friends")
    await api.dm_saying("brock", "found")
    dm = f"/channels/{sandbox.guild.people['brock'].user.dm_channel.id}/messages"
    posts = [r for r in sandbox.guild.env.http_requests if r.method == "POST" and r.path == dm]
    sent = [m for m in await api.messages("brock", "dm") if m["bot"]]
    assert len(posts) == len(sent) + 1  # the failed attempt, then the delivery

    await api.post("faults", {"target": "twilio", "status": 500, "count": 1})
    await api.say("brock", "dm", "I want an agent")
    ref = re.search(r"SUP-\d+", (await api.dm_saying("brock", "live agent"))["text"])
    assert ref
    await eventually(lambda: _task_for(api, ref.group()), "the handoff after Twilio's failure")
    assert [fault.count for fault in sandbox.desk.emulator.faults] == [0]
    bad = await api.post("faults", {"target": "slack", "status": 500, "count": 1}, status=400)
    assert "target" in bad["error"]


async def test_edited_rules_apply_without_a_restart_and_a_broken_edit_keeps_the_old_ones(
    api: Api, sandbox: Sandbox
) -> None:
    commands = sandbox.config_path.parent / "routes" / "commands.yaml"
    first = sandbox.runtime.config.version
    commands.write_text(commands.read_text().replace("Check your DMs", "Look in your DMs"))

    async def reloaded() -> dict[str, Any] | None:
        state = await api.get("state")
        return state if state["config"]["version"] != first else None

    state = await eventually(reloaded, "the edit to be picked up")
    assert state["config"]["last_reload"]["ok"] is True
    helped = await api.post(
        "commands", {"user": "ash", "channel": "general", "name": "helpme", "options": {}}
    )
    assert "Look in your DMs" in helped["reply"]["text"]

    server = sandbox.config_path.parent / "routes" / "server.yaml"
    server.write_text(server.read_text() + "  trading:\n    topic: Swap items with other players\n")

    async def has_trading() -> dict[str, Any] | None:
        state = await api.get("state")
        return next((c for c in state["channels"] if c["name"] == "trading"), None)

    trading = await eventually(has_trading, "the new channel to appear")
    assert trading["topic"] == "Swap items with other players" and trading["can_send"]["ash"] is True
    await api.say("ash", "trading", "Anyone has a spare golden orb?")
    state = await api.get("state")

    rules = sandbox.config_path.parent / "routes" / "rules.yaml"
    rules.write_text(rules.read_text().replace("- chatbot: faq", "- chatbot: faqq"))

    async def refused() -> dict[str, Any] | None:
        last = (await api.get("state"))["config"]["last_reload"]
        return last if not last["ok"] else None

    last = await eventually(refused, "the broken edit to be reported")
    error = last["errors"][0]
    assert error["file"].endswith("rules.yaml") and error["line"] > 1 and "faqq" in error["message"]
    assert last["version"] == state["config"]["version"]
    helped = await api.post(
        "commands", {"user": "ash", "channel": "general", "name": "helpme", "options": {}}
    )
    assert "Look in your DMs" in helped["reply"]["text"]
    await api.say("ash", "dm", "my game crashes on start")
    await api.dm_saying("ash", "found")


def test_a_broken_config_is_reported_and_nothing_starts(tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    rules = tmp_path / "routes" / "rules.yaml"
    rules.write_text(rules.read_text().replace("- chatbot: faq", "- chatbot: faqq"))
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["sandbox", "-c", str(config), "--data", str(data), "--no-open"])
    assert result.exit_code == 1
    assert re.search(r"rules\.yaml:\d+:\d+: error: .*faqq", result.output), result.output
    assert not data.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_flexcord_sandbox_starts_serves_the_page_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    port = _free_port()
    script = Path(sys.executable).with_name("flexcord")
    command = (
        [str(script)] if script.exists() else [sys.executable, "-c", "from engine.cli import main; main()"]
    )
    command += [
        "sandbox",
        "-c",
        str(config),
        "--port",
        str(port),
        "--data",
        str(tmp_path / "data"),
        "--no-open",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "CI": "1"}
    )
    try:
        end = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()[0]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                    connection.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
                    if b"200" in connection.recv(64):
                        break
            except OSError:
                pass
            assert time.monotonic() < end, "the sandbox did not answer within 60 s"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert f"http://127.0.0.1:{port}" in output and "press Ctrl+C to stop" in output
