"""The agent's side on the sandbox page, in a real browser (Debian's /usr/bin/chromium, Playwright).

The agent opens the case panel from the task (the signed case_url, framed as Flex's CRM
container frames it), sets the case to resolved with a note, and the player sees it; the agent
ends and completes that chat (the task leaves the list), then transfers the next one to billing.
"""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.test_sandbox_api import running_sandbox
from tests.test_sandbox_browser import _send, browser_page


async def test_the_agent_resolves_a_case_from_the_panel_then_transfers_the_next_chat(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as sandbox, browser_page() as (page, problems):
        await page.goto(sandbox.url)
        await expect(page.locator("#reload-status")).to_contain_text("Rules loaded")
        messages = page.locator("#messages")
        await page.click("#dm-button")
        await _send(page, "I want an agent")
        await expect(messages).to_contain_text("I opened case SUP-1")
        task = page.locator(".task", has_text="SUP-1")
        await page.fill("#agent-name", "Nurse Joy")
        await task.get_by_role("button", name="Accept").click()
        await expect(messages).to_contain_text("Nurse Joy joined the chat.")

        await page.click("#task-case")
        panel = page.frame_locator("#case-panel")
        await expect(panel.locator("h1")).to_contain_text("SUP-1")
        await expect(panel.locator("body")).to_contain_text("I want an agent")  # the transcript so far
        await panel.locator("select[name=status]").select_option("resolved")
        await panel.locator("input[name=note]").fill("Sparkfox restored")
        await panel.get_by_role("button", name="Save").click()
        await expect(panel.locator("#status")).to_have_text("resolved")
        await expect(panel.locator("body")).to_contain_text("Sparkfox restored")
        await expect(messages).to_contain_text("Your case SUP-1 is now resolved.")

        await page.click("#task-close")
        await expect(messages).to_contain_text("Your chat about SUP-1 is closed")
        await page.click("#task-complete")
        await expect(page.locator(".task", has_text="SUP-1")).to_have_count(0)

        await _send(page, "I want an agent")
        await expect(messages).to_contain_text("I opened case SUP-2")
        second = page.locator(".task", has_text="SUP-2")
        await second.get_by_role("button", name="Accept").click()
        await expect(messages).to_contain_text("Nurse Joy joined the chat.")
        await page.click("#task-case")
        await expect(panel.locator("h1")).to_contain_text("SUP-2")
        await panel.locator("select[name=queue]").select_option("billing")
        await panel.locator("input[name=reason]").fill("refund")
        await panel.get_by_role("button", name="Transfer").click()
        await expect(panel.locator("body")).to_contain_text("Transferring the chat to billing")
        await expect(messages).to_contain_text("I'm transferring you to our billing team")
        await expect(page.locator(".task", has_text="queue: billing")).to_contain_text("pending")
        await expect(page.locator("#task-chat")).to_be_visible()
        assert problems == []
