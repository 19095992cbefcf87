"""`flexcord -v` logs more detail, but never a player's message text unless --log-message-text asks for it."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from engine.logs import PAYLOAD_LOGGERS, keep_message_text_out
from tests import test_assembly
from tests.flex_fixtures import ROOT, wait_for
from tests.test_assembly import Running

running = test_assembly.running  # the fixture: the bot as `flexcord run` assembles it

PLAYER_SAYS = "my card number is 4111-zebra-0007"
AGENT_SAYS = "thanks, I see the okapi-0009 charge"


@pytest.fixture(autouse=True)
def log_levels_restored() -> Iterator[None]:
    names = ["", *PAYLOAD_LOGGERS]
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


async def _a_chat_with_an_agent(run: Running) -> None:
    await run.discord.player.send_dm("I want to talk to a real person")
    (task,) = await wait_for(lambda: list(run.emulator.state.tasks.values()))
    await run.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Misty"})
    await run.agent("POST", f"/tasks/{task.sid}/messages", {"text": AGENT_SAYS})
    await wait_for(lambda: any(AGENT_SAYS in text for text in run.discord.dm_texts()))
    await run.discord.player.send_dm(PLAYER_SAYS)
    conversation = run.emulator.conversation(task.conversation_sid)
    await wait_for(lambda: any(m.body == PLAYER_SAYS for m in conversation.messages))


def _lines_with_text(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{record.name}: {record.getMessage()[:120]}"
        for record in caplog.records
        if PLAYER_SAYS in record.getMessage() or AGENT_SAYS in record.getMessage()
    ]


async def test_debug_logs_hold_no_message_text(running: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # what `flexcord -v` sets, with the rule it applies
    keep_message_text_out(logging.DEBUG)
    await _a_chat_with_an_agent(running)
    assert _lines_with_text(caplog) == []


async def test_message_text_is_logged_only_when_asked_for(
    running: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    keep_message_text_out(logging.DEBUG, message_text=True)  # `flexcord -v --log-message-text`
    await _a_chat_with_an_agent(running)
    assert _lines_with_text(caplog) != []


@pytest.mark.parametrize(("options", "text_shown"), [(["-v"], False), (["-v", "--log-message-text"], True)])
def test_the_command_applies_the_rule(options: list[str], text_shown: bool) -> None:
    probe = (
        "import logging, sys\n"
        "from engine.cli import main\n"
        "try:\n"
        "    main([*sys.argv[1:], 'validate', '-c', 'flexcord.yaml'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(all(logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in {PAYLOAD_LOGGERS!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert done.stdout.strip().splitlines()[-1] == str(text_shown), done.stdout + done.stderr
