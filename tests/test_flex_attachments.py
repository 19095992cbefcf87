"""A player's files through the whole bot: real runtime and store, the real twilio SDK against the
emulated Flex (Media Content Service included), signed webhooks back to flexcord's server."""

from __future__ import annotations

import base64
import re
from html import unescape

from tests.flex_fixtures import ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, wait_for
from tests.support.files import EXE, JPEG, png
from tests.test_flex_handoff import PLAYER, Bot, bot

__all__ = ["bot"]


async def with_agent(bot: Bot) -> tuple[str, str]:
    """The player talking to Misty; (task sid, conversation sid)."""
    await bot.player().says("I want to talk to a real person")
    task = (await wait_for(lambda: list(bot.emulator.state.tasks.values())))[0]
    await bot.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Misty"})
    await wait_for(lambda: "Misty joined the chat." in bot.dms())
    return task.sid, task.conversation_sid


def media_of(bot: Bot, conversation_sid: str, sid: str) -> bytes:
    """A file as the agent's desk downloads it from the emulated Media Content Service."""
    return bot.emulator.state.media[sid].data


async def test_text_and_two_images_reach_the_agent_as_three_messages_in_order(bot: Bot) -> None:
    _, conversation_sid = await with_agent(bot)
    first, second = png(4, 4), png(8, 8, b"\x00\xff\x00")
    await bot.player().says("here's the crash:", files=(("one.png", first), ("two.png", second)))

    conversation = bot.emulator.state.conversations[conversation_sid]
    mine = f"discord_{PLAYER.id}"
    await wait_for(lambda: sum(1 for m in conversation.messages if m.author == mine and m.media) == 2)
    last = [m for m in conversation.messages if m.author == mine][-3:]
    assert [m.body for m in last] == ["here's the crash:", "", ""]
    assert [m.media[0]["filename"] for m in last[1:] if m.media] == ["one.png", "two.png"]
    assert [media_of(bot, conversation_sid, m.media[0]["sid"]) for m in last[1:] if m.media] == [
        first,
        second,
    ]
    assert bot.emulator.violations == []

    case_ref = (await bot.store.conversation(PLAYER.id)).case_ref  # type: ignore[union-attr]
    kept = await bot.store.case_attachments(case_ref or "")
    assert [(f.name, f.content_type, f.size, f.who) for f in kept] == [
        ("one.png", "image/png", len(first), "Ash"),
        ("two.png", "image/png", len(second), "Ash"),
    ]


async def test_an_oversize_file_and_a_program_renamed_png_are_refused_with_the_configured_message(
    bot: Bot,
) -> None:
    _, conversation_sid = await with_agent(bot)
    big = png() + b"\x00" * (5 * 1024 * 1024)
    await bot.player().says("", files=(("huge.png", big), ("cute.png", EXE)))

    await wait_for(lambda: sum("couldn't take" in text for text in bot.dms()) == 2)
    refusals = [text for text in bot.dms() if "couldn't take" in text]
    assert "huge.png" in refusals[0] and "5 MB" in refusals[0]
    assert "cute.png" in refusals[1] and "PNG, JPEG" in refusals[1]
    conversation = bot.emulator.state.conversations[conversation_sid]
    assert not any(m.media for m in conversation.messages)


async def test_an_agents_jpeg_reaches_the_player_with_the_agents_text(bot: Bot) -> None:
    task_sid, _ = await with_agent(bot)
    service = bot.emulator.state.chat_service_sid
    auth = {"Authorization": "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()}
    url = f"{bot.emulator_url}/v1/Services/{service}/Media?Filename=tap-here.jpg"
    async with bot.http.post(url, data=JPEG, headers={**auth, "Content-Type": "image/jpeg"}) as answer:
        media_sid = (await answer.json())["sid"]
    await bot.agent("POST", f"/tasks/{task_sid}/messages", {"text": "Tap here:", "media_sid": media_sid})

    files = await wait_for(lambda: bot.chat.files[PLAYER.id])
    assert [(f.name, f.content_type, f.data) for f in files] == [("tap-here.jpg", "image/jpeg", JPEG)]
    assert "Tap here:" in bot.dms()


async def test_a_screenshot_sent_before_the_handoff_goes_with_the_case_to_the_agent(bot: Bot) -> None:
    image = png(5, 5)
    await bot.player().says("my map is broken", files=(("map.png", image),))
    await bot.player().says("I want to talk to a real person")

    task = (await wait_for(lambda: list(bot.emulator.state.tasks.values())))[0]
    conversation = bot.emulator.state.conversations[task.conversation_sid]
    with_media = await wait_for(lambda: [m for m in conversation.messages if m.media])
    assert [m.media[0]["filename"] for m in with_media if m.media] == ["map.png"]
    assert media_of(bot, task.conversation_sid, with_media[0].media[0]["sid"]) == image


async def test_the_case_page_lists_the_files_and_shows_pictures_inline_under_its_signed_link(
    bot: Bot,
) -> None:
    image = png(6, 6)
    await bot.player().says("my map is broken", files=(("map.png", image), ("notes.txt", b"crashed twice\n")))
    await bot.player().says("I want to talk to a real person")
    task = (await wait_for(lambda: list(bot.emulator.state.tasks.values())))[0]
    page_url = bot.flexcord_url + task.attributes["case_url"].removeprefix(PUBLIC_URL)

    async with bot.http.get(page_url) as answer:
        assert answer.status == 200 and "img-src 'self'" in answer.headers["Content-Security-Policy"]
        html = await answer.text()
    assert "<h2>Files</h2>" in html and f"image/png, {len(image)} bytes, from Ash" in html
    pictures = re.findall(r'<img src="([^"]+)" alt="map.png">', html)
    links = dict(re.findall(r'<a href="([^"]+)" target="_blank" rel="noopener">([^<]+)</a>', html))
    assert len(pictures) == 1 and links[pictures[0]] == "map.png"  # only the picture is shown inline
    picture = bot.flexcord_url + unescape(pictures[0])
    async with bot.http.get(picture) as answer:
        assert answer.status == 200 and answer.content_type == "image/png"
        assert await answer.read() == image
    notes = bot.flexcord_url + unescape(next(url for url, name in links.items() if name == "notes.txt"))
    async with bot.http.get(notes) as answer:  # not a picture: downloaded, never shown as a page
        assert answer.content_type == "application/octet-stream"
        assert answer.headers["Content-Disposition"].startswith("attachment;")
    async with bot.http.get(picture.partition("?")[0]) as answer:
        assert answer.status == 403  # the signed link is the permission, for files too
