"""The /reports page in a real browser, after a week of demo history: the charts show the right totals.

Headless Debian Chromium (/usr/bin/chromium) driven by Playwright; never a downloaded browser.
With FLEXCORD_SCREENSHOT=1 the page is saved as docs/reports.png.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from engine.sandbox import Sandbox
from tests.test_reports import with_sla
from tests.test_sandbox_api import OPEN_HOURS, ROOT, demo_copy
from tests.test_sandbox_browser import browser_page


@asynccontextmanager
async def seeded_sandbox(folder: Path) -> AsyncIterator[Sandbox]:
    """The demo (its queues with `sla:` targets) in the sandbox, with a week of demo history."""
    config = demo_copy(folder)
    with_sla(config.parent)
    sandbox = Sandbox(config, port=0, data=folder / "data", clock=OPEN_HOURS, seed_demo_data=True)
    await sandbox.start()
    try:
        yield sandbox
    finally:
        await sandbox.stop()


async def chart_data(page: Page, canvas: str) -> Any:
    """The numbers a Chart.js chart on the page is drawing, dataset by dataset."""
    return await page.evaluate(
        "(id) => Chart.getChart(id).data.datasets.map((d) => ({label: d.label, data: d.data}))", canvas
    )


async def test_reports_page_draws_a_seeded_week_with_the_right_totals(tmp_path: Path) -> None:
    async with seeded_sandbox(tmp_path) as sandbox, browser_page(1280, 1300) as (page, problems):
        week = sandbox.demo_week
        assert week is not None and week.total > 40
        await page.goto(sandbox.url + "/reports")
        await expect(page.locator("body")).to_have_attribute("data-loaded", "1")
        await expect(page.locator("#total-cases")).to_have_text(str(week.total))

        by_template = await chart_data(page, "chart-opened")
        totals = {d["label"]: sum(d["data"]) for d in by_template}
        assert totals == week.cases
        by_queue = await chart_data(page, "chart-queues")
        assert sum(sum(d["data"]) for d in by_queue) == week.total
        assert sum(sum(d["data"]) for d in by_queue if d["label"] != "(no queue)") == week.handoffs

        [ratings] = await chart_data(page, "chart-csat")
        assert ratings["data"] == [week.ratings.count(r) for r in (1, 2, 3, 4, 5)]
        average = sum(week.ratings) / len(week.ratings)
        await expect(page.locator("#csat")).to_have_text(f"{average:.2f} / 5")

        [faq] = await chart_data(page, "chart-faq")
        assert faq["data"] == [week.faq["solved"], week.faq["escalated"], week.faq["gave_up"]]
        cases_by_hour, business = await chart_data(page, "chart-hours")
        assert sum(cases_by_hour["data"]) == week.total and len(business["data"]) == 7 * 24

        await expect(page.locator("#sla tbody tr")).to_have_count(3)
        if week.gaps is None:  # this store does not record the FAQ bot's questions
            await expect(page.locator("#gaps")).to_contain_text("Not recorded yet")
        else:
            top = min(week.gaps.items(), key=lambda item: (-item[1], item[0]))
            await expect(page.locator("#gaps li").first).to_have_text(f"{top[0]} ({top[1]}×)")
        assert problems == []
        if os.environ.get("FLEXCORD_SCREENSHOT"):
            await page.screenshot(path=str(ROOT / "docs" / "reports.png"), full_page=True)
