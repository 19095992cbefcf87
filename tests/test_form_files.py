"""Case forms that take files (`type: file`): Discord's file upload in the modal, the files checked by
`attachments:`, kept with the case and carried by its handoff; and `flexcord validate` on such fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import build
from tests.discord_fixtures import open_server
from tests.fixtures.config.demo import copy_demo, edit, line_of
from tests.flex_fixtures import wait_for
from tests.support.files import EXE, png
from tests.test_assembly import Running, assembled

BUG_FORM = {"summary": "Map freezes", "steps": "Open the map"}


def bug_hands_off(config: Path) -> None:
    """/bug also asks for an agent, so the case it opens is handed off at once."""
    edit(
        config.parent / "routes" / "commands.yaml",
        "      - open_case: bug\n",
        "      - open_case: bug\n      - handoff: {queue: support}\n",
    )


async def test_a_bug_form_with_a_screenshot_opens_a_case_whose_handoff_carries_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    screenshot = png(9, 7, b"\x10\x20\x30")
    async with assembled(tmp_path, monkeypatch, bug_hands_off) as running:
        member, channel = running.discord.member, running.discord.channels["bug-report"]
        shown = await member.slash(channel, "bug")
        assert shown.modal is not None
        done = await member.submit_modal(shown, {**BUG_FORM, "screenshot": ("map.png", screenshot)})
        assert done.response is not None and "BUG-1" in done.response.content

        await assert_handed_off_with(running, "BUG-1", "map.png", screenshot)
        case = await running.bot.store.get_case("BUG-1")
        assert case is not None and case.fields["screenshot"] == "map.png"


async def test_a_program_renamed_png_in_a_form_is_refused_with_why_and_the_case_still_opens() -> None:
    async with open_server() as server:
        shown = await server.player.slash(server.channels["bug-report"], "bug")
        assert shown.modal is not None
        done = await server.player.submit_modal(shown, {**BUG_FORM, "screenshot": ("cute.png", EXE)})
        assert done.response is not None and "BUG-1" in done.response.content
        said = [done.response.content, *(m.content for m in done.followups)]
        assert any("cute.png" in text and "PNG, JPEG" in text for text in said), said
        assert await server.store.case_attachments("BUG-1") == []


def problems_of(config: Path) -> list[str]:
    result = build(config, offline=True)
    return [str(problem) for problem in result.errors]


def test_a_file_field_with_a_typing_setting_is_an_error_at_its_line(tmp_path: Path) -> None:
    config = copy_demo(tmp_path)
    cases = config.parent / "routes" / "cases.yaml"
    edit(cases, "        type: file ", "        placeholder: Drop it here\n        type: file ")
    (problem,) = problems_of(config)
    assert problem.startswith(
        f"{cases}:{line_of(cases, 'Drop it here')}:9: error: 'placeholder' has no meaning"
    )
    assert "form field 'screenshot' of case template 'bug', a file field" in problem
    assert "a file field takes label, required and max" in problem


def test_a_file_field_asking_for_more_than_ten_files_or_an_unknown_type_is_refused(tmp_path: Path) -> None:
    config = copy_demo(tmp_path)
    cases = config.parent / "routes" / "cases.yaml"
    edit(cases, "        type: file ", "        max: 12\n        type: file ")
    (problem,) = problems_of(config)
    assert f"{cases}:{line_of(cases, 'max: 12')}:" in problem and "at most 10" in problem

    (tmp_path / "picture").mkdir()
    config = copy_demo(tmp_path / "picture")
    cases = config.parent / "routes" / "cases.yaml"
    edit(cases, "        type: file ", "        type: picture ")
    (problem,) = problems_of(config)
    assert f"{cases}:{line_of(cases, 'type: picture')}:" in problem
    assert "expected one of: text, file; got 'picture'" in problem


async def assert_handed_off_with(running: Running, ref: str, name: str, data: bytes) -> None:
    """Case `ref` reached Flex as a task whose conversation carries the PNG `name` byte for byte,
    with no request the emulator found wrong, and the file is kept with the case, sent by ash."""
    (task,) = await wait_for(lambda: list(running.emulator.state.tasks.values()))
    assert task.attributes["case"] == ref
    conversation = running.emulator.state.conversations[task.conversation_sid]
    (message,) = await wait_for(lambda: [m for m in conversation.messages if m.media])
    assert message.media is not None and message.media[0]["filename"] == name
    assert running.emulator.state.media[message.media[0]["sid"]].data == data  # byte for byte
    assert running.emulator.violations == []

    kept = await running.bot.store.case_attachments(ref)
    assert [(f.name, f.content_type, f.size, f.who) for f in kept] == [(name, "image/png", len(data), "ash")]
