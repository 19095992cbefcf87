"""Cases as a player and an agent meet them in the sandbox: cooldowns, ratings, posts and transcripts.

Played through the sandbox's JSON API: the real Discord adapter on SimCord, the real Flex
adapter on the Flex emulator.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.test_sandbox_api import Api, _task_for, eventually, running_sandbox
from tests.test_sandbox_start import file_a_bug

BUG = {"user": "ash", "channel": "bug-report", "name": "bug", "options": {}}


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with running_sandbox(tmp_path) as sandbox, aiohttp.ClientSession(base_url=sandbox.url) as session:
        yield Api(session)


async def closed_support_chat(api: Api, user: str, says: str) -> tuple[str, dict[str, Any]]:
    """A support chat with an agent, closed by the agent; returns its case ref and the rating prompt."""
    await api.say(user, "dm", "I want an agent")
    transfer = await api.dm_saying(user, r"SUP-\d+.*live agent")
    found = re.search(r"SUP-\d+", transfer["text"])
    assert found
    ref = found.group()
    task = await eventually(lambda: _task_for(api, ref), "the task on the agent desk")
    await api.post(f"agent/tasks/{task['sid']}/accept", {"agent": "Nurse Joy"})
    await api.dm_saying(user, "Nurse Joy joined")
    await api.say(user, "dm", says)

    async def agent_sees_it() -> bool:
        chat = await api.get(f"agent/tasks/{task['sid']}/messages")
        return any(m["from"] == "player" and says in m["text"] for m in chat)

    await eventually(agent_sees_it, "the player's message on the agent desk")
    await api.post(f"agent/tasks/{task['sid']}/close", {})
    return ref, await api.dm_saying(user, "How did we do")


async def test_a_form_opened_and_dismissed_does_not_count_toward_the_cooldown(api: Api) -> None:
    for _ in range(3):  # /bug has cooldown 2/10m: opening the form and closing it is not a report
        assert "form" in await api.post("commands", BUG)
    assert await file_a_bug(api, "ash", "Map freezes") == "BUG-1"
    assert await file_a_bug(api, "ash", "Shop is empty") == "BUG-2"
    refused = await api.post("commands", BUG)
    assert "form" not in refused and "You can use /bug again in" in refused["reply"]["text"]
    assert "form" in await api.post("commands", {**BUG, "user": "misty"})  # per player


async def test_a_chat_is_rated_once(api: Api) -> None:
    ref, prompt = await closed_support_chat(api, "ash", "My Sparkfox vanished")
    four = next(b for b in prompt["buttons"] if b["label"] == "4")
    rated = await api.post("buttons", {"user": "ash", "message": prompt["id"], "button": four["id"]})
    assert "4/5" in rated["reply"]["text"]
    shown = next(m for m in await api.messages("ash", "dm") if m["id"] == prompt["id"])
    assert shown["buttons"] and all(b["disabled"] for b in shown["buttons"])
    again = await api.post("buttons", {"user": "ash", "message": prompt["id"], "button": "1"}, status=400)
    assert again["error"]
    await api.say("ash", "dm", "1")
    await api.dm_saying("ash", "already rated this chat 4/5")
    assert (await api.get(f"cases/{ref}"))["rating"] == 4


async def test_transcripts_read_well_and_keep_to_their_conversation(api: Api) -> None:
    earlier = await file_a_bug(api, "ash", "Map freezes")  # in #bug-report, not in the DM
    await api.say("ash", "dm", "my game crashes on start")
    await api.dm_saying("ash", "found")
    await api.post("clock", {"now": "2026-03-02T10:20:00-08:00"})  # twenty minutes later
    ref, _ = await closed_support_chat(api, "ash", "My Sparkfox vanished")
    task = await _task_for(api, ref)
    assert task is not None
    copied = [m for m in await api.get(f"agent/tasks/{task['sid']}/messages") if m["from"] == "bot"]
    first = next(m for m in copied if "found" in m["text"])
    # the bot's earlier answer keeps its own time on the agent's side, before the handoff
    assert first["at"].startswith("2026-03-02T18:0"), first
    assert any(m["at"].startswith("2026-03-02T18:2") for m in copied)
    chat = " ".join(m["text"] for m in await api.get(f"agent/tasks/{task['sid']}/messages"))
    assert earlier not in chat and "bug form" not in chat  # the agent sees the DM only

    bug = await file_a_bug(api, "ash", "Shop is empty")  # after the chat closed, in #bug-report
    await api.post("commands", {**BUG, "name": "new_feature", "channel": "feature-request"})
    support = await api.get(f"cases/{ref}")
    said = [line["text"] for line in support["transcript"]]
    assert any("Sparkfox vanished" in text for text in said)
    assert not any("bug" in text.lower() or "feature" in text.lower() for text in said), said
    report = await api.get(f"cases/{bug}")
    texts = " ".join(line["text"] for line in report["transcript"])
    assert "@ash" in texts and "<@" not in texts


async def test_users_a_player_mentions_are_named_in_the_transcript_and_for_the_agent(api: Api) -> None:
    state = await api.get("state")
    misty = next(user["id"] for user in state["users"] if user["name"] == "misty")
    await api.say("ash", "dm", "I want an agent")
    task = await eventually(lambda: _task_for(api, "SUP-1"), "the task on the agent desk")
    await api.post(f"agent/tasks/{task['sid']}/accept", {"agent": "Nurse Joy"})
    await api.say("ash", "dm", f"<@{misty}> has the same crash")

    async def agent_chat() -> str | None:
        chat = " ".join(m["text"] for m in await api.get(f"agent/tasks/{task['sid']}/messages"))
        return chat if "same crash" in chat else None

    chat = await eventually(agent_chat, "the player's message on the agent desk")
    assert "@misty has the same crash" in chat and "<@" not in chat
    said = " ".join(line["text"] for line in (await api.get("cases/SUP-1"))["transcript"])
    assert "@misty has the same crash" in said and "<@" not in said


async def test_the_public_post_of_a_report_follows_its_status(api: Api) -> None:
    ref = await file_a_bug(api, "ash", "Map freezes")

    async def in_the_forum() -> list[dict[str, Any]]:
        """The messages of the report's posts in the #bug-report forum (a post of its own each)."""
        state = await api.get("state")
        forum = next(c for c in state["channels"] if c["name"] == "bug-report")
        return [m for t in forum["threads"] for m in await api.messages("misty", t["key"])]

    async def post_saying(status: str) -> dict[str, Any] | None:
        for message in await in_the_forum():
            for embed in message["embeds"]:
                if embed["title"].startswith(ref) and f"status {status}" in (embed["footer"] or ""):
                    return message
        return None

    first = await eventually(lambda: post_saying("open"), "the report in #bug-report")
    change = {"ref": ref, "status": "fixed", "note": "Patched in 1.2.4"}
    await api.post("commands", {"user": "mod_jenny", "channel": "mod-log", "name": "case", "options": change})
    edited = await eventually(lambda: post_saying("fixed"), "the report to show its new status")
    assert edited["id"] == first["id"]  # the same post, edited: not a second one
    assert len([m for m in await in_the_forum() if m["embeds"]]) == 1


async def test_the_case_list_comes_a_page_at_a_time_and_the_link_leads_to_the_rest(api: Api) -> None:
    filed = {await file_a_bug(api, player, "Map freezes") for player in ("ash", "misty", "brock")}
    pages: list[list[str]] = []
    link: str | None = "/sandbox/api/cases?limit=2"
    while link is not None:
        async with api.session.get(link) as answer:
            assert answer.status == 200, await answer.text()
            pages.append([case["ref"] for case in await answer.json()])
            found = re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers.get("Link", ""))
            link = found.group(1) if found else None
    assert [len(page) for page in pages] == [2, 1]  # no case twice, none left out
    assert {ref for page in pages for ref in page} == filed
    async with api.session.get("/sandbox/api/cases?after=BUG-99") as answer:
        assert answer.status == 404 and "There is no case BUG-99." in await answer.text()
    async with api.session.get("/sandbox/api/cases?limit=0") as answer:
        assert answer.status == 400
