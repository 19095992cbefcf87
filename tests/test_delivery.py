"""Nothing lost, nothing twice, end to end: the sandbox's real adapters against emulated Discord and Flex.

Each test runs the sandbox in-process (SimCord as Discord with the real discord.py bot, the Flex
emulator reached by the real twilio SDK, flexcord's webhook server on Hypercorn) and breaks one
side: a player who blocks DMs, Twilio down during a handoff, Discord down while an agent writes,
an answer lost after Discord made the message.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.sandbox import Sandbox
from engine.store import OutboxItem
from tests.test_sandbox_api import OPEN_HOURS, Api, demo_copy, eventually, running_sandbox


def no_thread_fallback(config: Path) -> None:
    """The config turns the move to a case thread off: a player who blocks DMs cannot be reached."""
    config.write_text(config.read_text().replace("dm_fallback: true", "dm_fallback: false"))


@pytest.fixture
async def sandbox(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Sandbox]:
    async with running_sandbox(tmp_path, getattr(request, "param", None)) as running:
        yield running


@pytest.fixture
async def api(sandbox: Sandbox) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession(base_url=sandbox.url) as session:
        yield Api(session)


async def with_agent(api: Api, user: str, agent: str) -> tuple[str, dict[str, Any]]:
    """The player asks for an agent, who accepts: (the case ref, the task)."""
    await api.say(user, "dm", "I want an agent")
    found = re.search(r"SUP-\d+", (await api.dm_saying(user, "live agent"))["text"])
    assert found
    ref = found.group()
    task = await eventually(lambda: task_for(api, ref), f"the task for {ref}")
    await api.post(f"agent/tasks/{task['sid']}/accept", {"agent": agent})
    await api.dm_saying(user, f"{agent} joined")
    return ref, task


async def task_for(api: Api, ref: str) -> dict[str, Any] | None:
    tasks: list[dict[str, Any]] = await api.get("agent/tasks")
    return next((t for t in tasks if t["case"] == ref), None)


async def emulator(sandbox: Sandbox, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the Flex emulator's own agent API (faults), as a test of Twilio being down would."""
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{sandbox.desk.url}/emulator{path}", json=body) as answer,
    ):
        assert answer.status < 400, await answer.text()
        return await answer.json()


def dm_posts(sandbox: Sandbox, user: str) -> int:
    """How many times the bot asked Discord to post in this player's DM."""
    path = f"/channels/{sandbox.guild.people[user].user.dm_channel.id}/messages"
    return sum(1 for r in sandbox.guild.env.http_requests if r.method == "POST" and r.path == path)


async def dm_items(sandbox: Sandbox, user: str) -> list[OutboxItem]:
    return await sandbox.store.lane_outbox(f"dm:{sandbox.guild.people[user].user.id}")


async def bot_texts(api: Api, user: str) -> list[str]:
    return [m["text"] for m in await api.messages(user, "dm") if m["bot"]]


@pytest.mark.parametrize("sandbox", [no_thread_fallback], indirect=True)
async def test_a_player_who_blocks_dms_is_marked_failed_the_agent_is_told_and_nothing_retries(
    api: Api, sandbox: Sandbox
) -> None:
    ref, task = await with_agent(api, "ash", "Nurse Joy")
    await api.post("faults", {"target": "discord", "refuse_dms": "ash"})
    await api.post(f"agent/tasks/{task['sid']}/messages", {"text": "Can you send a screenshot?"})

    async def failed() -> OutboxItem | None:
        return next((i for i in await dm_items(sandbox, "ash") if i.status == "failed"), None)

    item = await eventually(failed, "the DM to be marked failed")
    assert item.attempts == 1 and item.last_error is not None and "50007" in item.last_error

    async def told() -> list[dict[str, Any]]:
        chat: list[dict[str, Any]] = await api.get(f"agent/tasks/{task['sid']}/messages")
        return [m for m in chat if "can't receive direct messages" in m["text"]]

    (notice,) = await eventually(told, "the agent to be told")
    assert (notice["from"], notice["author"]) == ("bot", "flexcord")  # flexcord's words, not the player's

    posts = dm_posts(sandbox, "ash")
    await sandbox.runtime.tick(sandbox.clock() + timedelta(days=1))  # long past every retry
    assert dm_posts(sandbox, "ash") == posts
    assert [(i.status, i.attempts) for i in await dm_items(sandbox, "ash")][-1] == ("failed", 1)

    shown = await asyncio.to_thread(
        CliRunner().invoke,
        main,
        ["cases", "show", ref, "-c", str(sandbox.config_path)],
        env={"FLEXCORD_STORAGE": sandbox.store.url},
    )
    assert shown.exit_code == 0, shown.output
    problems = shown.output.split("Deliveries with problems:")[1]
    assert "dm to" in problems and "failed after 1 attempt(s)" in problems and "50007" in problems


async def test_twilio_down_at_the_handoff_then_back_gives_the_agent_the_whole_transcript(
    api: Api, sandbox: Sandbox
) -> None:
    await emulator(sandbox, "POST", "/faults", {"status": 500, "count": 100, "path": "/v1/Conversations"})
    await api.say("misty", "dm", "I want an agent")
    await api.dm_saying("misty", "couldn't reach our support team")
    case = await api.get("cases/SUP-1")
    assert case["status"] == "open"
    await api.say("misty", "dm", "my save file is gone")
    await api.dm_saying("misty", "(found|couldn't find)")
    await api.say("misty", "dm", "it happened after the update")
    assert await api.get("agent/tasks") == []

    await emulator(sandbox, "DELETE", "/faults")  # Twilio is back
    await sandbox.runtime.tick(sandbox.clock() + timedelta(hours=1))
    task = await eventually(lambda: task_for(api, "SUP-1"), "the handoff once Twilio is back")
    assert texts_after(await bot_texts(api, "misty"), "couldn't reach")[-1].startswith("I opened case SUP-1")

    chat = await api.get(f"agent/tasks/{task['sid']}/messages")
    from_player = [m["text"] for m in chat if m["from"] == "player"]
    assert from_player == ["I want an agent", "my save file is gone", "it happened after the update"]
    transcript = [line["text"] for line in (await api.get("cases/SUP-1"))["transcript"]]
    assert [m["text"] for m in chat] == transcript[:-1]  # every line until the handoff, in order, once
    assert transcript[-1].startswith("I opened case SUP-1")  # said once the handoff started


def texts_after(texts: list[str], marker: str) -> list[str]:
    start = next(i for i, text in enumerate(texts) if marker in text)
    return texts[start + 1 :]


async def test_discord_down_keeps_agent_messages_waiting_then_delivers_them_in_order(
    api: Api, sandbox: Sandbox
) -> None:
    _, task = await with_agent(api, "brock", "Nurse Joy")
    posts = dm_posts(sandbox, "brock")
    await api.post("faults", {"target": "discord", "status": 500, "count": 4})
    for text in ("first", "second", "third"):
        await api.post(f"agent/tasks/{task['sid']}/messages", {"text": text})
    for hours in range(1, 10):  # each due retry meets the outage until it is over
        if all(i.status == "delivered" for i in await dm_items(sandbox, "brock")):
            break
        await sandbox.runtime.tick(sandbox.clock() + timedelta(hours=hours))
    said = [text for text in await bot_texts(api, "brock") if text.startswith("**Nurse Joy:**")]
    assert said == ["**Nurse Joy:** first", "**Nurse Joy:** second", "**Nurse Joy:** third"]
    assert dm_posts(sandbox, "brock") == posts + 4 + 3  # four failed attempts, then each message once


async def test_a_message_discord_made_but_whose_answer_was_lost_shows_once(
    api: Api, sandbox: Sandbox
) -> None:
    _, task = await with_agent(api, "ash", "Nurse Joy")
    posts = dm_posts(sandbox, "ash")
    await api.post("faults", {"target": "discord", "status": "timeout", "count": 1})
    await api.post(f"agent/tasks/{task['sid']}/messages", {"text": "Are you still there?"})
    await sandbox.runtime.tick(sandbox.clock() + timedelta(hours=1))

    async def delivered() -> bool:
        return all(i.status == "delivered" for i in await dm_items(sandbox, "ash"))

    await eventually(delivered, "the retry to find the message")
    assert (await bot_texts(api, "ash")).count("**Nurse Joy:** Are you still there?") == 1
    assert dm_posts(sandbox, "ash") == posts + 1  # the retry looked, found it, and sent nothing


async def test_a_sandbox_restarted_on_its_records_keeps_its_people_and_never_reuses_a_message_id(
    tmp_path: Path,
) -> None:
    config = demo_copy(tmp_path)

    @asynccontextmanager
    async def sandbox_api() -> AsyncIterator[Api]:
        running = Sandbox(config, port=0, data=tmp_path / "data", clock=OPEN_HOURS, watch=False)
        await running.start()
        try:
            async with aiohttp.ClientSession(base_url=running.url) as session:
                yield Api(session)
        finally:
            await running.stop()

    async with sandbox_api() as api:
        await api.post("clock", {"now": "2026-03-02T10:05:00-08:00"})  # five minutes on
        said = await api.say("ash", "dm", "how do I trade with a friend?")
        await api.dm_saying("ash", "found")
        people = (await api.get("state"))["users"]
    async with sandbox_api() as api:  # started with the same --clock, five minutes before that message
        assert (await api.get("state"))["users"] == people
        assert (await api.get("state"))["clock"]["now"] > "2026-03-02T18:05:00"
        again = await api.say("ash", "dm", "how do I trade with a friend?")
        assert int(again["id"]) > int(said["id"])  # a new message is never taken for one handled before
        await api.dm_saying("ash", "found")
