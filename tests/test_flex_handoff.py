"""The demo bot handing a player to a Flex agent: real runtime, real twilio SDK, emulator, webhook server.

Everything talks over loopback HTTP: the runtime's outbox calls TwilioContactCenter, which calls
the emulator; the emulated agent's actions come back as signed webhooks to flexcord's server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from engine.agentdesk.blueprint import agent_pages
from engine.events import User
from engine.flex.contact_center import TwilioContactCenter
from engine.flex.emulator import Emulator, create_emulator, emulator_of
from engine.runtime import Runtime, build_generation
from engine.runtime.desk import AgentDesk
from engine.server import RunningServer, ServerServices, create_app, start_server
from engine.store import Store, open_store
from tests.flex_fixtures import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, demo_config, wait_for
from tests.support.twins import ManualClock, MemoryChat, Player

PLAYER = User("80351110224678912", "Ash")


@dataclass
class Bot:
    runtime: Runtime
    store: Store
    chat: MemoryChat
    contact: TwilioContactCenter
    clock: ManualClock
    emulator: Emulator
    emulator_url: str
    http: aiohttp.ClientSession
    flexcord_url: str = ""

    def player(self) -> Player:
        return Player(self.runtime, PLAYER, self.clock)

    def dms(self) -> list[str]:
        return self.chat.texts(PLAYER.id)

    async def agent(self, method: str, path: str, body: dict[str, object] | None = None) -> object:
        async with self.http.request(method, f"{self.emulator_url}/emulator{path}", json=body) as answer:
            assert answer.status < 400, await answer.text()
            return await answer.json()


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    config = demo_config(public_url=PUBLIC_URL)
    store = await open_store("sqlite:///:memory:")
    chat, clock = MemoryChat(), ManualClock()  # Wednesday 09:00 in Los Angeles: open hours
    app = create_emulator(ACCOUNT_SID, AUTH_TOKEN, spec_check=True)
    flex: RunningServer = await start_server(app)
    contact = TwilioContactCenter(config.flex, config.server.public_url, base_url=flex.url)
    runtime = Runtime(build_generation(config), store, chat, contact, clock=clock)
    await runtime.start()
    pages = agent_pages(AgentDesk(runtime), lambda: AUTH_TOKEN)
    flexcord = await start_server(create_app(ServerServices(runtime=runtime, blueprints=[pages])))
    emulator = emulator_of(app)
    emulator.sender.delivery_base = flexcord.url  # Twilio reaches flexcord's public URL through a proxy
    async with aiohttp.ClientSession() as http:
        yield Bot(runtime, store, chat, contact, clock, emulator, flex.url, http, flexcord.url)
    await runtime.stop()
    await flex.stop()  # first, so webhooks still in flight reach flexcord
    await flexcord.stop()
    await contact.aclose()
    await store.close()


async def test_player_reaches_an_agent_and_back(bot: Bot) -> None:
    player = bot.player()
    await player.says("I want to talk to a real person")

    tasks = await wait_for(lambda: list(bot.emulator.state.tasks.values()))
    task = tasks[0]
    case_ref = task.attributes["case"]
    assert case_ref.startswith("SUP-") and task.attributes["queue"] == "support"
    conversation = bot.emulator.state.conversations[task.conversation_sid]
    assert json.loads(conversation.attributes)["case"] == case_ref
    assert [p.identity for p in conversation.participants.values()] == [f"discord_{PLAYER.id}"]
    assert len(conversation.webhooks) == 1
    assert any("real person" in m.body for m in conversation.messages)  # the transcript so far
    await wait_for(lambda: any(case_ref in text and "live agent" in text for text in bot.dms()))

    await bot.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Misty"})
    await wait_for(lambda: "Misty joined the chat." in bot.dms())

    await player.says("My game crashes on startup")
    await bot.agent("POST", f"/tasks/{task.sid}/messages", {"text": "Which device are you on?"})
    await wait_for(lambda: any(m.text == "Which device are you on?" for m in bot.chat.dms[PLAYER.id]))
    await player.says("An Android phone")
    await wait_for(lambda: any(m.body == "An Android phone" for m in conversation.messages))
    from_player = [m.body for m in conversation.messages if m.author == f"discord_{PLAYER.id}"]
    assert from_player[-2:] == ["My game crashes on startup", "An Android phone"]
    agent_line = next(m for m in bot.chat.dms[PLAYER.id] if m.text == "Which device are you on?")
    assert "Misty" in (agent_line.author or "")

    await bot.agent("POST", f"/tasks/{task.sid}/close")
    await wait_for(lambda: any(case_ref in text and "closed" in text for text in bot.dms()))
    await wait_for(lambda: any("How did we do?" in text for text in bot.dms()))
    case = await bot.store.get_case(case_ref)
    assert case is not None and case.status == "closed"
    texts = bot.dms()
    assert texts.index("Misty joined the chat.") < texts.index("Which device are you on?")
    assert bot.emulator.violations == []


async def test_the_same_webhook_twice_tells_the_player_once(bot: Bot) -> None:
    await bot.player().says("I want to talk to a real person")
    (task,) = await wait_for(lambda: list(bot.emulator.state.tasks.values()))
    await bot.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Brock"})
    await bot.agent("POST", f"/tasks/{task.sid}/messages", {"text": "Hello from Brock"})
    await wait_for(lambda: "Hello from Brock" in bot.dms())
    conversation = bot.emulator.state.conversations[task.conversation_sid]
    message = conversation.messages[-1]
    (hook,) = conversation.webhooks.values()
    params = {  # Twilio delivers the same event again (its retry after a slow answer)
        "AccountSid": ACCOUNT_SID,
        "ConversationSid": conversation.sid,
        "EventType": "onMessageAdded",
        "Source": "SDK",
        "MessageSid": message.sid,
        "Author": message.author,
        "Body": message.body,
        "Index": str(message.index),
        "WebhookSid": hook.sid,
    }
    delivery = await bot.emulator.sender.send(
        "onMessageAdded", conversation.sid, hook.url or "", "post", params
    )
    assert delivery.status == 200
    # events of one player are applied in order: once the next one shows, the repeat was handled
    await bot.agent("POST", f"/tasks/{task.sid}/messages", {"text": "Anything else?"})
    await wait_for(lambda: "Anything else?" in bot.dms())
    assert bot.dms().count("Hello from Brock") == 1


async def test_rate_limited_message_is_retried_and_delivered_once(bot: Bot) -> None:
    await bot.player().says("I want to talk to a real person")
    (task,) = await wait_for(lambda: list(bot.emulator.state.tasks.values()))
    await bot.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Misty"})
    await wait_for(lambda: "Misty joined the chat." in bot.dms())
    await bot.agent(
        "POST",
        "/faults",
        {"status": 429, "count": 1, "retry_after": 0.2, "path": "/Messages", "method": "POST"},
    )
    await bot.player().says("Are you there?")
    conversation = bot.emulator.state.conversations[task.conversation_sid]
    case_ref = task.attributes["case"]
    deadline = asyncio.get_running_loop().time() + 10
    while not any(
        i.attempts and "rate limiting" in (i.last_error or "") for i in await bot.store.case_outbox(case_ref)
    ):
        assert asyncio.get_running_loop().time() < deadline, await bot.store.case_outbox(case_ref)
        await asyncio.sleep(0.01)
    assert not any(m.body == "Are you there?" for m in conversation.messages)
    bot.clock.advance(1)  # the retry is due after Twilio's Retry-After
    await bot.runtime.tick()
    await wait_for(lambda: any(m.body == "Are you there?" for m in conversation.messages))
    assert [m.body for m in conversation.messages].count("Are you there?") == 1
    assert bot.emulator.violations == []
