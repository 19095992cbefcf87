"""Case threads end to end in the sandbox: SimCord's Discord, the Flex emulator, signed webhooks.

The sandbox runs the demo with support cases in a private case thread (`conversation: thread`):
the player asks for a person by DM, the conversation moves to a thread in #support, and the
agent's task in the emulated Flex carries it both ways, as a DM conversation would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.test_sandbox_api import Api, eventually, running_sandbox


def support_in_threads(config: Path) -> None:
    cases = config.parent / "routes" / "cases.yaml"
    cases.write_text(
        cases.read_text().replace("    prefix: SUP", "    prefix: SUP\n    conversation: thread")
    )


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with (
        running_sandbox(tmp_path, support_in_threads) as sandbox,
        aiohttp.ClientSession(base_url=sandbox.url) as session,
    ):
        yield Api(session)


async def case_thread(api: Api, channel: str = "support") -> dict[str, Any] | None:
    state = await api.get("state")
    threads: list[dict[str, Any]] = next(c for c in state["channels"] if c["name"] == channel)["threads"]
    return threads[-1] if threads else None


async def said_in(api: Api, user: str, where: str, pattern: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        return next((m for m in await api.messages(user, where) if re.search(pattern, m["text"])), None)

    return await eventually(probe, f"'{pattern}' in {where}")


async def test_a_case_thread_round_trips_player_agent_player_through_the_flex_emulator(api: Api) -> None:
    await api.say("ash", "dm", "I want an agent")
    thread = await eventually(lambda: case_thread(api), "the case thread")
    assert thread["kind"] == "thread" and thread["name"].startswith("SUP-1")
    # the player, and the staff role (moderator) who reads along; no other member of the server
    assert {user for user, sees in thread["can_view"].items() if sees} == {"ash", "mod_jenny"}
    assert {"misty", "brock", "prof_oak", "lucia"} <= set(thread["can_view"])
    await said_in(api, "ash", thread["key"], "connecting you to a live agent")

    tasks: list[dict[str, Any]] = await eventually(lambda: api.get("agent/tasks"), "the task")
    sid = tasks[0]["sid"]
    await api.post(f"agent/tasks/{sid}/accept", {"agent": "Nurse Joy"})
    await api.post(f"agent/tasks/{sid}/messages", {"text": "Hi ash, what happened?"})
    await said_in(api, "ash", thread["key"], "what happened")

    await api.say("ash", thread["key"], "My Sparkfox vanished after the update")

    async def agent_sees() -> list[dict[str, Any]]:
        chat: list[dict[str, Any]] = await api.get(f"agent/tasks/{sid}/messages")
        return [m for m in chat if "Sparkfox vanished" in m["text"]]

    await eventually(agent_sees, "the agent to see the player's words")
    assert not [m for m in await api.messages("ash", "dm") if "what happened" in m["text"]]  # not in the DM
    await api.post(f"agent/tasks/{sid}/close", {})
    closed = await eventually(
        lambda: _locked(api), "the case thread to be archived and locked when the case closes"
    )
    assert closed["archived"]


async def _locked(api: Api) -> dict[str, Any] | None:
    thread = await case_thread(api)
    return thread if thread is not None and thread["locked"] else None


async def test_a_player_whose_dms_are_closed_talks_to_the_agent_in_a_case_thread(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as sandbox, aiohttp.ClientSession(base_url=sandbox.url) as session:
        api = Api(session)
        await api.say("misty", "dm", "hello")
        await api.post("faults", {"target": "discord", "refuse_dms": "misty"})
        await api.say("misty", "dm", "I want an agent")
        thread = await eventually(lambda: case_thread(api), "the case thread")
        await said_in(api, "misty", thread["key"], "DMs are closed")
        tasks: list[dict[str, Any]] = await eventually(lambda: api.get("agent/tasks"), "the task")
        await api.post(f"agent/tasks/{tasks[0]['sid']}/accept", {"agent": "Nurse Joy"})
        await said_in(api, "misty", thread["key"], "Nurse Joy joined")
