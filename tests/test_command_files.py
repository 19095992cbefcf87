"""Slash commands that take files (an option of `type: file`, Discord's attachment option): the file
read at once, checked by `attachments:`, kept with the case the command opens and carried by its
handoff; and `flexcord validate` on such options."""

from __future__ import annotations

import base64
from pathlib import Path

import discord
import pytest
from playwright.async_api import expect

from engine.config import build
from engine.config.model import Config
from engine.discord import sync
from tests.discord_fixtures import open_server
from tests.fixtures.config.demo import copy_demo, edit, line_of
from tests.support.files import EXE, png
from tests.test_assembly import assembled
from tests.test_discord_commands import GUILD, demo_tree
from tests.test_form_files import assert_handed_off_with
from tests.test_sandbox_api import Api, api, running_sandbox, sandbox
from tests.test_sandbox_browser import browser_page

__all__ = ["api", "sandbox"]  # the fixtures

SCREENSHOT_COMMAND = """\
  screenshot:
    description: Send the support team a screenshot
    channels: [bug-report]
    options:
      picture:
        type: file
        description: The screenshot
    do:
      - open_case: support
      - handoff: {queue: support}

  helpme:
"""


def add_screenshot_command(config: Path) -> None:
    """/screenshot takes one file, opens a support case (no form) and asks for an agent at once."""
    edit(config.parent / "routes" / "commands.yaml", "  helpme:\n", SCREENSHOT_COMMAND)


def screenshot_config(tmp_path: Path) -> Config:
    config = copy_demo(tmp_path)
    add_screenshot_command(config)
    result = build(config, offline=True)
    assert result.ok and result.config is not None, [str(d) for d in result.errors]
    return result.config


async def test_a_command_run_with_a_png_opens_a_case_whose_handoff_carries_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picture = png(5, 4, b"\x40\x80\xc0")
    async with assembled(tmp_path, monkeypatch, add_screenshot_command) as running:
        channel = running.discord.channels["bug-report"]
        done = await running.discord.member.slash(channel, "screenshot", picture=("where.png", picture))
        assert done.response is not None

        await assert_handed_off_with(running, "SUP-1", "where.png", picture)


async def test_a_program_renamed_png_in_a_command_is_refused_with_the_configured_message(
    tmp_path: Path,
) -> None:
    async with open_server(config=screenshot_config(tmp_path)) as server:
        done = await server.player.slash(
            server.channels["bug-report"], "screenshot", picture=("cute.png", EXE)
        )
        assert done.response is not None
        said = [done.response.content, *(m.content for m in done.followups)]
        refusal = "I couldn't take cute.png: that kind of file isn't allowed here. I take PNG, JPEG"
        assert any(text.startswith(refusal) for text in said), said
        assert await server.store.get_case("SUP-1") is not None  # the case still opens, without the file
        assert await server.store.case_attachments("SUP-1") == []


async def test_a_file_given_to_new_feature_joins_the_case_its_form_opens() -> None:
    sketch = png(3, 3, b"\x00\xff\x00")
    async with open_server() as server:
        channel = server.channels["feature-request"]
        shown = await server.player.slash(channel, "new_feature", mockup=("sketch.png", sketch))
        assert shown.modal is not None
        done = await server.player.submit_modal(shown, {"idea": "Dark mode", "why": "Night raids"})
        assert done.response is not None and "FEAT-1" in done.response.content
        kept = await server.store.case_attachments("FEAT-1")
        assert [(f.name, f.content_type, f.size) for f in kept] == [("sketch.png", "image/png", len(sketch))]
        async with server.store.view() as view:
            stored = await view.get_attachment(kept[0].id)
        assert stored is not None and stored[1] == sketch


async def test_a_command_refused_in_the_wrong_channel_keeps_nothing_of_its_file() -> None:
    async with open_server() as server:
        refused = await server.player.slash(
            server.channels["general"], "new_feature", mockup=("sketch.png", png())
        )
        assert refused.response is not None and "#feature-request" in refused.response.content
        shown = await server.player.slash(server.channels["feature-request"], "new_feature")
        assert shown.modal is not None
        await server.player.submit_modal(shown, {"idea": "Dark mode", "why": "Night raids"})
        assert await server.store.case_attachments("FEAT-1") == []


def test_the_file_option_is_discords_attachment_option() -> None:

    (mockup,) = sync.payloads(demo_tree(), GUILD)["new_feature"]["options"]
    assert mockup["name"] == "mockup"
    assert mockup["type"] == discord.AppCommandOptionType.attachment.value
    assert not mockup.get("required", False)


def problems_of(config: Path) -> list[str]:
    return [str(problem) for problem in build(config, offline=True).errors]


def test_a_file_option_with_a_range_is_an_error_at_its_line(tmp_path: Path) -> None:
    config = copy_demo(tmp_path)
    commands = config.parent / "routes" / "commands.yaml"
    edit(commands, "        type: file\n", "        type: file\n        max: 7  # a range\n")
    (problem,) = problems_of(config)
    assert problem.startswith(f"{commands}:{line_of(commands, 'a range')}:9: error: 'max' has no meaning")
    assert "option 'mockup' of command 'new_feature', a file option" in problem
    assert "a file option takes description and required" in problem


def test_a_file_option_with_choices_is_an_error_at_its_line(tmp_path: Path) -> None:
    config = copy_demo(tmp_path)
    commands = config.parent / "routes" / "commands.yaml"
    edit(commands, "        type: file\n", "        type: file\n        choices: [a, b]\n")
    (problem,) = problems_of(config)
    assert problem.startswith(f"{commands}:{line_of(commands, 'choices: [a, b]')}:9: error:")
    assert "option 'mockup' of command 'new_feature' has choices but its type is file" in problem


async def test_the_sandbox_takes_a_file_option_and_keeps_it_with_the_case(api: Api) -> None:
    sketch = png(4, 2)
    mockup = {"name": "sketch.png", "data": base64.b64encode(sketch).decode()}
    options = {"mockup": mockup}
    answer = await api.post(
        "commands", {"user": "ash", "channel": "feature-request", "name": "new_feature", "options": options}
    )
    values = {"idea": "Dark mode", "why": "Night raids"}
    confirmed = await api.post("forms", {"user": "ash", "form": answer["form"]["id"], "values": values})
    assert "FEAT-1" in confirmed["reply"]["text"]
    [kept] = (await api.get("cases/FEAT-1"))["files"]
    assert (kept["name"], kept["content_type"], kept["size"]) == ("sketch.png", "image/png", len(sketch))


async def test_a_mockup_attached_to_new_feature_on_the_sandbox_page_is_kept_with_its_case(
    tmp_path: Path,
) -> None:
    sketch = png(12, 8, b"\x20\xa0\x20")
    async with running_sandbox(tmp_path) as running, browser_page() as (page, problems):
        await page.goto(running.url)
        await expect(page.locator("#reload-status")).to_contain_text("Rules loaded")
        await page.click("[data-channel='feature-request']")
        await page.fill("#composer-input", "/new_feature")
        await page.press("#composer-input", "Enter")  # picks the command: its options show
        picture = {"name": "sketch.png", "mimeType": "image/png", "buffer": sketch}
        await page.set_input_files("#opt-mockup", files=[picture])
        await page.press("#composer-input", "Enter")  # runs it: the form shows
        await page.fill("#field-idea", "Dark mode")
        await page.fill("#field-why", "Night raids")
        await page.click("#form-submit")
        await expect(page.locator("#messages")).to_contain_text("FEAT-1")
        kept = await running.store.case_attachments("FEAT-1")
        assert [(f.name, f.content_type, f.size) for f in kept] == [("sketch.png", "image/png", len(sketch))]
        assert problems == []
