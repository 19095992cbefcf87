"""The agent's side, end to end: real runtime, real twilio SDK, the Flex emulator, flexcord's server.

Transfers through the interaction's invites, the agent leaving (reported by up to three
sources), the interaction channel followed after it is created, completion closing the
conversation, and the case page opened from the signed `case_url` in the task.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from engine.agentdesk.links import LINK_LIFETIME_S, case_link
from engine.flex.emulator.state import Task
from engine.runtime.outbox import MAX_ATTEMPTS, MAX_DELAY_S
from tests.flex_fixtures import AUTH_TOKEN, PUBLIC_URL, wait_for
from tests.test_flex_handoff import Bot, bot  # noqa: F401  (the fixture)


async def _with_agent(world: Bot, agent: str = "Misty") -> Task:
    """The player asks for a person and `agent` takes the task."""
    await world.player().says("I want to talk to a real person")
    task: Task = await wait_for(lambda: next(iter(world.emulator.state.tasks.values()), None))
    await world.agent("POST", f"/tasks/{task.sid}/accept", {"agent": agent})
    await wait_for(lambda: f"{agent} joined the chat." in world.dms())
    return task


def _local(world: Bot, url: str) -> str:
    """A case link as Flex would open it, sent to the test's flexcord server instead of the public URL."""
    assert url.startswith(PUBLIC_URL), url
    return world.flexcord_url + url[len(PUBLIC_URL) :]


async def _page(world: Bot, method: str, url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    async with world.http.request(method, url, data=form) as answer:
        return answer.status, await answer.text()


async def test_a_transfer_reaches_billing_with_the_case_and_tells_the_player_once(bot: Bot) -> None:  # noqa: F811
    first = await _with_agent(bot)
    case_ref = first.attributes["case"]
    status, _ = await _page(
        bot,
        "POST",
        _local(bot, first.attributes["case_url"]),
        {
            "do": "transfer",
            "queue": "billing",
            "to_agent": "Brock",
            "reason": "refund question",
            "agent": "Misty",
        },
    )
    assert status == 200
    billing: Task = await wait_for(
        lambda: next(
            (t for t in bot.emulator.state.tasks.values() if t.attributes.get("queue") == "billing"), None
        )
    )
    assert billing.status == "pending" and billing.conversation_sid == first.conversation_sid
    assert billing.attributes["case"] == case_ref and billing.attributes["case_url"]
    assert billing.attributes["transferReason"] == "refund question"
    assert billing.attributes["skills"] == ["billing"]
    assert billing.attributes["targetWorker"] == "Brock"  # for the workflow to route to that agent
    assert first.status == "wrapping"  # a cold transfer: Misty wraps up
    told = f"I'm transferring you to our billing team. Case {case_ref} goes with you."
    await wait_for(lambda: told in bot.dms())
    await bot.emulator.settle(5)  # Misty's leaving, reported three ways, has been applied
    await bot.agent("POST", f"/tasks/{billing.sid}/accept", {"agent": "Brock"})
    await wait_for(lambda: "Brock joined the chat." in bot.dms())
    assert bot.dms().count(told) == 1
    assert not any("left the chat" in text for text in bot.dms())
    history = await bot.store.case_history(case_ref)
    assert any(
        e.note and "to billing (Brock): refund question" in e.note and e.who == "Misty" for e in history
    )
    await bot.player().says("I was charged twice")  # still relayed: the conversation stays with Flex
    conversation = bot.emulator.state.conversations[first.conversation_sid]
    await wait_for(lambda: any(m.body == "I was charged twice" for m in conversation.messages))
    assert bot.emulator.violations == []


async def test_a_transfer_nobody_takes_tells_the_player_and_goes_back_to_the_queue(bot: Bot) -> None:  # noqa: F811
    first = await _with_agent(bot)
    await _page(
        bot, "POST", _local(bot, first.attributes["case_url"]), {"do": "transfer", "queue": "billing"}
    )
    billing: Task = await wait_for(
        lambda: next(
            (t for t in bot.emulator.state.tasks.values() if t.attributes.get("queue") == "billing"), None
        )
    )
    await bot.agent("POST", f"/tasks/{billing.sid}/timeout")
    back: Task = await wait_for(
        lambda: next(
            (
                t
                for t in bot.emulator.state.tasks.values()
                if t.attributes.get("queue") == "support" and t.status == "pending"
            ),
            None,
        )
    )
    assert back.attributes["case"] == first.attributes["case"]
    await wait_for(lambda: any("didn't go through" in text for text in bot.dms()))


async def test_the_agent_leaving_is_told_once_though_flex_reports_it_three_ways(bot: Bot) -> None:  # noqa: F811
    task = await _with_agent(bot)
    await bot.agent("POST", f"/tasks/{task.sid}/leave")
    await wait_for(lambda: "Misty left the chat." in bot.dms())
    assert await bot.emulator.settle(5)
    events = [d.event for d in bot.emulator.sender.log if d.delivered]
    assert {"onParticipantRemoved", "onParticipantLeft", "reservation.wrapup"} <= set(events)
    assert bot.dms().count("Misty left the chat.") == 1


async def test_a_failed_interaction_channel_is_retried_then_reported(bot: Bot) -> None:  # noqa: F811
    await bot.agent("POST", "/channel-failures", {"count": 1})
    await bot.player().says("I want to talk to a real person")
    await wait_for(lambda: any("couldn't reach our support team" in text for text in bot.dms()))
    first = next(iter(bot.emulator.state.tasks.values()))
    assert first.channel_status == "failed"
    await bot.runtime.tick(bot.clock.advance(60))  # the outbox's retry
    active: Task = await wait_for(
        lambda: next((t for t in bot.emulator.state.tasks.values() if t.channel_status == "active"), None)
    )
    assert active.attributes["case"] == first.attributes["case"]
    await wait_for(lambda: sum("connecting you to a live agent" in text for text in bot.dms()) == 2)


async def test_a_channel_that_stays_failed_warns_the_admin_channel(bot: Bot) -> None:  # noqa: F811
    await bot.agent("POST", "/channel-failures", {"count": MAX_ATTEMPTS})
    await bot.player().says("I want to talk to a real person")
    await wait_for(lambda: any("couldn't reach our support team" in text for text in bot.dms()))
    for _ in range(MAX_ATTEMPTS):  # each retry is due by then, whatever its jitter
        await bot.runtime.tick(bot.clock.advance(MAX_DELAY_S * 1.2 + 1))
    warned = await wait_for(lambda: [m.text for m in bot.chat.posts.get("mod-log", [])])
    assert "could not reach Flex" in warned[0] and "channel is failed" in warned[0]
    assert sum("couldn't reach our support team" in text for text in bot.dms()) == 1


async def test_completion_closes_the_conversation_and_the_task_leaves_the_list(bot: Bot) -> None:  # noqa: F811
    task = await _with_agent(bot)
    await bot.agent("POST", f"/tasks/{task.sid}/wrapup")
    conversation = bot.emulator.state.conversations[task.conversation_sid]
    assert conversation.state == "closed" and task.channel_status == "closed"
    await wait_for(lambda: any("is closed" in text for text in bot.dms()))
    await bot.agent("POST", f"/tasks/{task.sid}/complete")
    assert task.status == "completed"
    assert {"timers": conversation.timers} == {"timers": {"Inactive": "PT12H", "Closed": "P2D"}}


async def test_the_case_page_shows_the_case_and_changes_it(bot: Bot) -> None:  # noqa: F811
    task = await _with_agent(bot)
    case_ref = task.attributes["case"]
    url = _local(bot, task.attributes["case_url"])
    status, html = await _page(bot, "GET", url)
    assert status == 200 and case_ref in html and "real person" in html and "Misty" in html
    status, html = await _page(bot, "POST", url, {"do": "update", "status": "resolved", "note": "refunded"})
    assert status == 200 and ">resolved<" in html
    await wait_for(lambda: f"Your case {case_ref} is now **resolved**." in bot.dms())
    case = await bot.store.get_case(case_ref)
    assert case is not None and case.status == "resolved"


async def test_a_changed_or_expired_case_link_is_refused(bot: Bot) -> None:  # noqa: F811
    task = await _with_agent(bot)
    url = _local(bot, task.attributes["case_url"])
    parts = urlsplit(url)
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    other_case = url.replace(task.attributes["case"], "BUG-1")
    expired = _local(
        bot, case_link(PUBLIC_URL, AUTH_TOKEN, task.attributes["case"], time.time() - 2 * LINK_LIFETIME_S)
    )
    for bad in (tampered, other_case, expired, f"{parts.scheme}://{parts.netloc}{parts.path}"):
        for method, form in (("GET", None), ("POST", {"do": "update", "status": "resolved"})):
            status, _ = await _page(bot, method, bad, form)
            assert status == 403, (bad, method)
    case: Any = await bot.store.get_case(task.attributes["case"])
    assert case.status == "open"


async def test_a_transfer_flex_refuses_tells_the_player_and_goes_back_to_the_queue(bot: Bot) -> None:  # noqa: F811
    first = await _with_agent(bot)
    await bot.agent("POST", "/faults", {"status": 400, "count": 1, "path": "/Invites", "method": "POST"})
    await _page(
        bot, "POST", _local(bot, first.attributes["case_url"]), {"do": "transfer", "queue": "billing"}
    )
    await wait_for(lambda: any("didn't go through" in text for text in bot.dms()))
    back: Task = await wait_for(
        lambda: next((t for t in bot.emulator.state.tasks.values() if t.status == "pending"), None)
    )
    assert back.attributes["queue"] == "support" and back.attributes["case"] == first.attributes["case"]
    history = await bot.store.case_history(first.attributes["case"])
    assert any(e.note == "transfer failed; back to support" for e in history)
