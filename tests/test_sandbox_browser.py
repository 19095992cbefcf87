"""The sandbox page in a real browser: the whole demo played by clicking and typing, as a person would.

Headless Debian Chromium (/usr/bin/chromium) driven by Playwright; never a downloaded browser.
With FLEXCORD_SCREENSHOT=1 the final page is saved as docs/sandbox.png.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Page, async_playwright, expect

from engine.sandbox import Sandbox
from tests.test_sandbox_api import ROOT, running_sandbox
from tests.test_sandbox_start import closed_for_days

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); outside CI this test is skipped")


@asynccontextmanager
async def browser_page(width: int = 1440, height: int = 900) -> AsyncIterator[tuple[Page, list[str]]]:
    """A page in Debian's headless chromium, and the script errors it reports; closed afterwards."""
    _need_chromium()
    expect.set_options(timeout=20_000)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = await browser.new_page(viewport={"width": width, "height": height})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            yield page, problems
        finally:
            await browser.close()


async def _send(page: Page, text: str) -> None:
    await page.fill("#composer-input", text)
    await page.press("#composer-input", "Enter")


async def test_the_whole_demo_played_on_the_page(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as sandbox, browser_page() as (page, problems):
        await page.goto(sandbox.url)
        await expect(page.locator("#reload-status")).to_contain_text("Rules loaded")
        messages = page.locator("#messages")
        await expect(messages).to_contain_text("Nothing in #general yet")

        # /bug in #bug-report: the command picker, then the form, then the private confirmation.
        await page.click("[data-channel='bug-report']")
        await page.fill("#composer-input", "/bu")
        await expect(page.locator("#command-picker")).to_contain_text("File an official bug report")
        await page.press("#composer-input", "Enter")
        await page.press("#composer-input", "Enter")
        await expect(page.locator("#form-dialog")).to_be_visible()
        await expect(page.locator("#form-dialog")).to_contain_text("What went wrong?")
        await page.fill("#field-summary", "Game crashes when I open the map")
        await page.fill("#field-steps", "Open the map from the menu")
        await page.click("#form-submit")
        await expect(messages).to_contain_text("Your report is BUG-1")
        await expect(page.locator(".message.ephemeral .only-you")).to_contain_text("Only you can see this")
        await expect(page.locator("#case-list")).to_contain_text("BUG-1")

        # A question in the DM: article suggestions with a link and buttons.
        await page.click("#dm-button")
        await expect(messages).to_contain_text("No messages with the bot yet")
        await _send(page, "my game crashes on start")
        await expect(page.locator(".embed-title a").first).to_be_visible()
        await expect(messages.get_by_role("button", name="Talk to an agent")).to_be_visible()

        # Asking for an agent: a case, the transfer message, a task on the desk.
        await _send(page, "I want an agent")
        await expect(messages).to_contain_text("I opened case SUP-1")
        task = page.locator(".task", has_text="SUP-1")
        await expect(task).to_contain_text("pending")

        # The agent accepts; the player sees who joined.
        await page.fill("#agent-name", "Nurse Joy")
        await task.get_by_role("button", name="Accept").click()
        await expect(messages).to_contain_text("Nurse Joy joined the chat.")

        # Messages both ways.
        await page.fill("#task-input", "Hi ash, what happened?")
        await page.press("#task-input", "Enter")
        await expect(messages).to_contain_text("Hi ash, what happened?")
        await _send(page, "My Sparkfox vanished after the update")
        await expect(page.locator("#task-messages")).to_contain_text("My Sparkfox vanished")

        # The agent closes; the player sees it and rates the chat.
        await page.click("#task-close")
        await expect(messages).to_contain_text("Your chat about SUP-1 is closed")
        prompt = page.locator(".message", has_text="How did we do")
        await prompt.get_by_role("button", name="5").click()
        await expect(messages).to_contain_text("Thanks for rating us 5/5!")

        await page.click("tr[data-ref='SUP-1']")
        await expect(page.locator("#case-detail")).to_contain_text("Sparkfox vanished")
        await expect(page.locator("tr[data-ref='SUP-1']")).to_contain_text("closed")
        if os.environ.get("FLEXCORD_SCREENSHOT") == "1":
            await page.screenshot(path=str(ROOT / "docs" / "sandbox.png"))
        assert problems == []


async def test_a_broken_edit_shows_on_the_page_while_the_old_rules_keep_answering(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as sandbox, browser_page() as (page, _):
        await page.goto(sandbox.url)
        status = page.locator("#reload-status")
        await expect(status).to_contain_text("Rules loaded")

        rules = sandbox.config_path.parent / "routes" / "rules.yaml"
        text = rules.read_text(encoding="utf-8")
        rules.write_text(text.replace("- chatbot: faq", "- chatbot: faqq"), encoding="utf-8")
        line = next(n for n, row in enumerate(text.splitlines(), 1) if "- chatbot: faq" in row)
        errors = page.locator("#reload-errors")
        await expect(errors).to_contain_text(f"rules.yaml:{line}:")
        await expect(errors).to_contain_text("faqq")

        # The old rules still answer: a question gets article suggestions from the FAQ bot.
        await page.click("#dm-button")
        await _send(page, "my game crashes on start")
        await expect(page.locator(".embed-title a").first).to_be_visible()

        rules.write_text(text, encoding="utf-8")  # fixed: the page says the rules are loaded again
        await expect(status).to_contain_text("Rules loaded")
        await expect(errors).not_to_contain_text("faqq")


async def test_the_page_says_when_the_sandbox_moved_to_business_hours_and_the_admin_can_reload(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(closed_for_days(tmp_path), port=0, data=tmp_path / "data", watch=False)
    await sandbox.start()
    try:
        async with browser_page() as (page, _):
            await page.goto(sandbox.url)
            notes = page.locator("#sandbox-notes")
            await expect(notes).to_contain_text("next opening")
            await expect(notes).to_contain_text("Europe/Paris")
            await expect(page.locator("#clock")).to_contain_text("support open")

            await page.select_option("#user-select", "prof_oak")
            await page.fill("#composer-input", "/flex")
            await expect(page.locator("#command-picker")).to_contain_text("flexcord reload")
            await _send(page, "/flexcord reload")  # Enter picks the command, Enter again runs it
            await page.press("#composer-input", "Enter")
            await expect(page.locator("#messages")).to_contain_text("Config unchanged")
            await page.select_option("#user-select", "ash")
            await page.fill("#composer-input", "/fle")
            await expect(page.locator("#command-picker")).not_to_contain_text("flexcord reload")
    finally:
        await sandbox.stop()


async def test_a_bug_becomes_a_forum_post_whose_tag_follows_the_moderators_update(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as sandbox, browser_page() as (page, _):
        await page.goto(sandbox.url)
        await expect(page.locator("#reload-status")).to_contain_text("Rules loaded")

        await page.click("[data-channel='bug-report']")  # a forum: each report gets a post
        await page.fill("#composer-input", "/bug")
        await page.press("#composer-input", "Enter")
        await page.press("#composer-input", "Enter")
        await page.fill("#field-summary", "Game crashes when I open the map")
        await page.fill("#field-steps", "Open the map from the menu")
        await page.click("#form-submit")
        post = page.locator("[data-kind='post']", has_text="BUG-1")
        await expect(post).to_contain_text("Game crashes when I open the map")
        await expect(post.locator(".tag")).to_have_text(["New"])

        await page.select_option("#user-select", "mod_jenny")
        await post.click()
        await expect(page.locator("#messages")).to_contain_text("status open")
        await page.fill("#composer-input", "/case")
        await page.press("#composer-input", "Enter")
        await page.select_option("#opt-status", "triaged")  # no reference: the post names its case
        await page.press("#composer-input", "Enter")
        await expect(page.locator("#messages")).to_contain_text(
            "Le dossier BUG-1 est maintenant en cours d'analyse."
        )  # her app is French
        await expect(post.locator(".tag")).to_have_text(["Triaged"])
        await expect(page.locator("#messages")).to_contain_text("status triaged")
