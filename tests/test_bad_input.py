"""Bad input and abuse: too many messages, too long ones, oversized forms, risky regexes, and template
syntax typed by players, which is only ever shown as text.

The end-to-end tests run the sandbox in-process (SimCord with the real bot, the Flex emulator
through the real twilio SDK) on a copy of the demo bot, edited where a test needs it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from click.testing import CliRunner

from engine.cli import main
from engine.sandbox import Sandbox
from tests.support.twins import generation_from, memory_world
from tests.test_delivery import with_agent
from tests.test_sandbox_api import OPEN_HOURS, Api, demo_copy, eventually

ROOT = Path(__file__).resolve().parent.parent
ECHO_RULE = """  - name: echo
    when: {where: dm, says: [echo]}
    do: [reply: "You said: {{ text }}"]

"""


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))


@asynccontextmanager
async def sandbox_of(folder: Path, change: Callable[[Path], None]) -> AsyncIterator[tuple[Sandbox, Api]]:
    """The sandbox on a copy of the demo bot that `change` edits first (it gets the copy's folder)."""
    config = demo_copy(folder)
    change(folder)
    sandbox = Sandbox(config, port=0, data=folder / "data", clock=OPEN_HOURS, watch=False)
    await sandbox.start()
    try:
        async with aiohttp.ClientSession(base_url=sandbox.url) as session:
            yield sandbox, Api(session)
    finally:
        await sandbox.stop()


async def agent_chat(api: Api, task: dict[str, Any]) -> list[dict[str, Any]]:
    chat: list[dict[str, Any]] = await api.get(f"agent/tasks/{task['sid']}/messages")
    return chat


async def test_a_player_over_the_message_limit_is_told_to_wait_and_nothing_is_dropped_silently(
    tmp_path: Path,
) -> None:
    async with sandbox_of(tmp_path, lambda _: None) as (_, api):  # limits.player_messages: 10/1m
        _, task = await with_agent(api, "ash", "Nurse Joy")
        for number in range(1, 13):
            await api.say("ash", "dm", f"message {number}")
        told = await api.dm_saying("ash", "faster than our agents can read")
        assert re.search(r"wait \d+ (s|min)", told["text"])

        async def all_in() -> list[str] | None:
            said = [m["text"] for m in await agent_chat(api, task) if m["from"] == "player"]
            return said if "message 10" in said else None

        said = await eventually(all_in, "the first ten messages on the agent's side")
        assert said[-10:] == [f"message {n}" for n in range(1, 11)]
        refusals = [m for m in await api.messages("ash", "dm") if "faster than" in m["text"]]
        assert len(refusals) == 2  # messages 11 and 12: each refused out loud


async def test_a_message_over_the_length_limit_is_refused_with_the_limit_and_never_relayed(
    tmp_path: Path,
) -> None:
    def shorter(folder: Path) -> None:
        edit(folder / "flexcord.yaml", "message_length: 2000", "message_length: 300")

    async with sandbox_of(tmp_path, shorter) as (sandbox, api):
        await api.say("misty", "dm", "x" * 301)
        await api.dm_saying("misty", "too long for me: please keep it to 300 characters")
        _, task = await with_agent(api, "misty", "Nurse Joy")
        await api.say("misty", "dm", "y" * 400)

        async def told_twice() -> bool:
            return sum("300 characters" in m["text"] for m in await api.messages("misty", "dm")) == 2

        await eventually(told_twice, "the second refusal")
        await api.say("misty", "dm", "z" * 300)  # at the limit: relayed

        async def relayed() -> list[str] | None:
            said = [m["text"] for m in await agent_chat(api, task) if m["from"] == "player"]
            return said if "z" * 300 in said else None

        said = await eventually(relayed, "the message at the limit on the agent's side")
        assert "y" * 400 not in said and not any(text.startswith("y") for text in said)
        case = await api.get(f"cases/{task['case']}")
        kept = [line["text"] for line in case["transcript"] if line["text"].startswith("y")]
        assert kept == ["y" * 300 + "…"]  # the record keeps the limit's worth
        assert sandbox.runtime.config.limits.message_length == 300


async def test_what_players_type_is_shown_as_text_never_run_as_a_template(tmp_path: Path) -> None:
    def with_echo(folder: Path) -> None:
        edit(folder / "routes" / "rules.yaml", "  - name: live agent\n", ECHO_RULE + "  - name: live agent\n")

    loop = "{% for x in range(10**9) %}{{ x }}{% endfor %}"
    async with sandbox_of(tmp_path, with_echo) as (_, api):
        await api.say("brock", "dm", "echo {{ 7*7 }}")
        await api.dm_saying("brock", re.escape("You said: echo {{ 7*7 }}"))
        await api.say("brock", "dm", f"echo {loop}")
        await api.dm_saying("brock", re.escape(f"You said: echo {loop}"))

        answer = await api.post("commands", {"user": "brock", "channel": "bug-report", "name": "bug"})
        values = {"summary": "{{ 7*7 }}", "steps": loop}
        await api.post("forms", {"user": "brock", "form": answer["form"]["id"], "values": values})

        async def filed() -> list[dict[str, Any]]:
            state = await api.get("state")
            forum = next(c for c in state["channels"] if c["name"] == "bug-report")  # a forum: a post each
            posts = [t["key"] for t in forum["threads"]]
            return [e for key in posts for m in await api.messages("brock", key) for e in m["embeds"]]

        (embed,) = await eventually(filed, "the report's post in the #bug-report forum")
        assert embed["title"] == "BUG-1: {{ 7*7 }}"
        assert any(field["value"] == loop for field in embed["fields"])

        _, task = await with_agent(api, "brock", "Nurse Joy")
        await api.say("brock", "dm", "{{ 7*7 }}")
        await api.post(f"agent/tasks/{task['sid']}/messages", {"text": f"{loop} {{{{ 7*7 }}}}"})
        await api.dm_saying("brock", re.escape(f"**Nurse Joy:** {loop} {{{{ 7*7 }}}}"))

        async def relayed() -> bool:
            return any(m["text"] == "{{ 7*7 }}" for m in await agent_chat(api, task))

        await eventually(relayed, "the player's text on the agent's side")
        every = [m["text"] for m in await api.messages("brock", "dm")] + [
            m["text"] for m in await agent_chat(api, task)
        ]
        assert not any(re.search(r"\b49\b|0123", text) for text in every)  # nothing was evaluated


async def test_a_case_form_keeps_only_its_fields_each_within_its_max(repo_root: Path) -> None:
    world = await memory_world(generation_from(repo_root / "flexcord.yaml"))
    try:
        player = world.player("111", "Ash")
        outcome = await player.submits(
            "bug", "bug-report", summary="s" * 500, steps="t" * 5000, device="Pixel", admin="yes"
        )
        assert outcome.case_ref == "BUG-1"
        case = await world.store.get_case("BUG-1")
        assert case is not None and set(case.fields) == {"summary", "steps", "device"}
        assert (len(case.fields["summary"]), len(case.fields["steps"])) == (100, 1000)  # their `max`
    finally:
        await world.close()


def test_flexcord_validate_refuses_a_regex_that_needs_backtracking(tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    rules = tmp_path / "routes" / "rules.yaml"
    edit(rules, r"matches: '\b(refunds?|charged?|payments?|billing|purchase)\b'", r"matches: '(a+)\1+$'")
    result = CliRunner().invoke(main, ["validate", "-c", str(config)])
    assert result.exit_code == 1, result.output
    assert re.search(
        r"rules\.yaml:\d+:\d+: error: flexcord cannot run this regular expression", result.output
    )
