"""The sandbox page in a real browser (Debian's /usr/bin/chromium): a player whose Discord app is
in Spanish sees the commands by their Spanish names and hears the bot in Spanish; the page shows
that mayumi, whose app is in English, speaks Tagalog with the bot."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.test_sandbox_api import running_sandbox
from tests.test_sandbox_browser import _send, browser_page


async def test_the_spanish_player_sees_spanish_commands_and_replies(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as sandbox, browser_page() as (page, _):
        await page.goto(sandbox.url)
        await expect(page.locator("#reload-status")).to_contain_text("Rules loaded")
        await page.select_option("#user-select", "mayumi")
        await expect(page.locator("#user-language")).to_have_text("en-US")
        await expect(page.locator("#user-speaks")).to_have_text("speaks tl")
        await page.select_option("#user-select", "lucia")
        await expect(page.locator("#user-language")).to_have_text("es-ES")
        await expect(page.locator("#user-speaks")).to_have_text("")

        await page.click("[data-channel='bug-report']")
        await page.fill("#composer-input", "/er")
        picker = page.locator("#command-picker")
        await expect(picker).to_contain_text("/error")
        await expect(picker).to_contain_text("Envía un informe oficial de error")
        await page.press("#composer-input", "Enter")
        await page.press("#composer-input", "Enter")
        await expect(page.locator("#form-dialog")).to_contain_text("¿Qué ha fallado?")
        await page.fill("#field-summary", "El juego se cierra al abrir el mapa")
        await page.fill("#field-steps", "Abrir el mapa desde el menú")
        await page.click("#form-submit")
        messages = page.locator("#messages")
        await expect(messages).to_contain_text("Tu informe es el BUG-1")

        await page.click("#dm-button")
        await _send(page, "Hola, quiero hablar con un agente por favor")
        await expect(messages).to_contain_text("He abierto el caso SUP-")
