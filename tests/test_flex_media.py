"""Files in Flex conversations through the real twilio SDK and the emulated Media Content Service:
a player's file goes up as its own media message, byte for byte; an agent's file comes back down."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from engine.attachments import Upload
from tests.flex_fixtures import ACCOUNT_SID, AUTH_TOKEN, FlexWorld, running_flex_world, wait_for
from tests.support.files import JPEG, png
from tests.test_flex_contact_center import REQUEST

AUTH = {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()}


@pytest.fixture
async def flex_world() -> AsyncIterator[FlexWorld]:
    async with running_flex_world() as world:
        yield world


async def test_a_players_png_reaches_the_agent_as_media_byte_for_byte(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    image = png(16, 16)
    await contact.send(ticket.conversation_sid, REQUEST.user_id, "it crashes here:", "m1")
    await contact.send_file(
        ticket.conversation_sid, REQUEST.user_id, Upload("crash.png", image, "image/png"), "m1:1"
    )
    await contact.send_file(
        ticket.conversation_sid, REQUEST.user_id, Upload("crash.png", image, "image/png"), "m1:1"
    )

    conversation = flex_world.flex.emulator.state.conversations[ticket.conversation_sid]
    mine = [m for m in conversation.messages if m.author == f"discord_{REQUEST.user_id}"][-2:]
    assert [m.body for m in mine] == ["it crashes here:", ""]  # the file once, as its own message
    assert mine[1].media is not None and len(mine[1].media) == 1
    entry = mine[1].media[0]
    assert (entry["filename"], entry["content_type"], entry["size"]) == ("crash.png", "image/png", len(image))
    assert flex_world.flex.emulator.violations == []

    # what Flex's agent desk does: the Media resource, then its temporary link, over HTTP Basic
    service = flex_world.flex.emulator.state.chat_service_sid
    async with aiohttp.ClientSession(headers=AUTH) as http:
        async with http.get(f"{flex_world.flex.url}/v1/Services/{service}/Media/{entry['sid']}") as answer:
            link = (await answer.json())["links"]["content_direct_temporary"]
        async with http.get(link) as answer:
            assert await answer.read() == image


async def test_an_agents_jpeg_comes_down_with_the_webhooks_media_field(flex_world: FlexWorld) -> None:
    contact = flex_world.contact_center()
    ticket = await contact.start_handoff(REQUEST)
    task = (await flex_world.flex.tasks())[0]
    await flex_world.flex.agent("POST", f"/tasks/{task['sid']}/accept", {"agent": "Misty"})
    service = flex_world.flex.emulator.state.chat_service_sid
    async with aiohttp.ClientSession(headers=AUTH) as http:
        url = f"{flex_world.flex.url}/v1/Services/{service}/Media?Filename=where.jpg"
        async with http.post(url, data=JPEG, headers={"Content-Type": "image/jpeg"}) as answer:
            assert answer.status == 201, await answer.text()
            media_sid = (await answer.json())["sid"]
    await flex_world.flex.agent(
        "POST", f"/tasks/{task['sid']}/messages", {"text": "Tap here:", "media_sid": media_sid}
    )
    event = await wait_for(
        lambda: next((e for e in flex_world.runtime.events if e.kind == "agent_message"), None)
    )
    assert event.text == "Tap here:" and event.media == (media_sid,)

    file = await contact.fetch_file(ticket.conversation_sid, media_sid)
    assert (file.name, file.content_type, file.data) == ("where.jpg", "image/jpeg", JPEG)


async def test_the_media_content_service_refuses_what_twilio_refuses(flex_world: FlexWorld) -> None:
    service = flex_world.flex.emulator.state.chat_service_sid
    base = f"{flex_world.flex.url}/v1/Services/{service}/Media"
    jpeg = {"Content-Type": "image/jpeg"}
    async with aiohttp.ClientSession() as http, http.post(base, data=JPEG, headers=jpeg) as answer:
        assert answer.status == 401  # no credentials
    big = b"x" * (5 * 1024 * 1024 + 1)
    async with aiohttp.ClientSession(headers=AUTH) as http, http.post(base, data=big, headers=jpeg) as answer:
        assert answer.status == 413
        assert "5 MB" in json.loads(await answer.text())["message"]
