"""Files on the sandbox page, in Debian's headless chromium: the player attaches a screenshot and the
agent desk shows it (and the case panel); the agent sends a picture back and the player sees it."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Locator, Page, expect

from tests.support.files import png
from tests.test_sandbox_api import running_sandbox
from tests.test_sandbox_browser import browser_page

SCREENSHOT = png(40, 30, b"\xd0\x30\x30")
TAP_HERE = png(30, 40, b"\x30\x30\xd0")


async def shown(picture: Locator) -> None:
    """The picture is on the page and its bytes were read and drawn (not a broken image)."""
    await expect(picture).to_be_visible()
    await expect(picture).to_have_js_property("complete", True)
    assert await picture.evaluate("img => img.naturalWidth") > 0


async def with_agent(page: Page) -> None:
    """The player asks for a person by DM and Nurse Joy accepts the task."""
    await page.click("#dm-button")
    await page.fill("#composer-input", "I want an agent")
    await page.press("#composer-input", "Enter")
    task = page.locator(".task", has_text="SUP-1")
    await page.fill("#agent-name", "Nurse Joy")
    await task.get_by_role("button", name="Accept").click()
    await expect(page.locator("#messages")).to_contain_text("Nurse Joy joined the chat.")


async def test_a_screenshot_from_the_player_shows_on_the_desk_and_a_picture_from_the_agent_reaches_the_player(
    tmp_path: Path,
) -> None:
    async with running_sandbox(tmp_path) as sandbox, browser_page() as (page, problems):
        await page.goto(sandbox.url)
        await expect(page.locator("#reload-status")).to_contain_text("Rules loaded")
        await with_agent(page)

        await page.set_input_files(
            "#composer-file", files=[{"name": "crash.png", "mimeType": "image/png", "buffer": SCREENSHOT}]
        )
        await expect(page.locator("#composer-files")).to_contain_text("crash.png")
        await page.fill("#composer-input", "it crashes here")
        await page.click("#composer-send")
        await shown(page.locator("#messages img[alt='crash.png']"))
        await shown(page.locator("#task-messages img[alt='crash.png']"))  # the agent desk
        await page.click("#task-case")  # the case panel keeps it with the case
        await shown(page.frame_locator("#case-panel").locator("img[alt='crash.png']"))

        await page.set_input_files(
            "#task-file", files=[{"name": "tap-here.png", "mimeType": "image/png", "buffer": TAP_HERE}]
        )
        await page.fill("#task-input", "Tap here:")
        await page.press("#task-input", "Enter")
        await expect(page.locator("#messages")).to_contain_text("Tap here:")
        await shown(page.locator("#messages img[alt='tap-here.png']"))  # the player view
        await shown(page.locator("#task-messages img[alt='tap-here.png']"))

        await page.click("tr[data-ref='SUP-1']")  # the desk's list of cases: the case keeps both files
        await shown(page.locator("#case-detail img[alt='tap-here.png']"))
        await expect(page.locator("#case-detail")).to_contain_text("crash.png · image/png")
        await expect(page.locator("#case-detail")).not_to_contain_text("[object")

        kept = await sandbox.store.case_attachments("SUP-1")
        assert [(f.name, f.who) for f in kept] == [("crash.png", "ash"), ("tap-here.png", "Nurse Joy")]
        if os.environ.get("FLEXCORD_SCREENSHOT") == "1":
            await page.screenshot(path=str(tmp_path / "files.png"))
        assert problems == []
