"""The real demo bot on a SimCord server: slash commands, case forms, refusals, DMs, agents."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import discord

from engine.config import build
from engine.events import Event, Outcome
from engine.runtime import Runtime, prepare
from tests.conftest import ROOT
from tests.discord_fixtures import SimClock, demo_config, form_controls, make_client, open_server
from tests.support.twins import MemoryContactCenter


async def test_bug_shows_the_form_files_the_case_posts_it_and_confirms_privately() -> None:
    async with open_server() as server:
        shown = await server.player.slash(server.channels["bug-report"], "bug")
        assert shown.modal is not None
        inputs = form_controls(shown.modal)
        assert [(i["custom_id"], i["label"], i.get("style"), i["required"]) for i in inputs] == [
            ("summary", "What went wrong?", discord.TextStyle.short.value, True),
            ("steps", "Steps to reproduce", discord.TextStyle.paragraph.value, True),
            ("device", "Device and game version", discord.TextStyle.short.value, False),
            ("screenshot", "Screenshot (optional)", None, False),
        ]
        assert inputs[3]["type"] == discord.ComponentType.file_upload.value
        assert inputs[0]["max_length"] == 100

        done = await server.player.submit_modal(
            shown, {"summary": "Game crashes on the title screen", "steps": "1. Start the game"}
        )
        assert done.ephemeral and done.response is not None
        assert "BUG-1" in done.response.content and server.player.mention in done.response.content
        posted = server.channels["bug-report"].last_message
        assert posted is not None and posted.author.bot
        assert posted.embeds[0].title == "BUG-1: Game crashes on the title screen"
        assert "1. Start the game" in [field.value for field in posted.embeds[0].fields]
        case = await server.store.get_case("BUG-1")
        assert case is not None and case.where == "bug-report" and case.reporter_id == str(server.player.id)


async def test_bug_outside_its_channel_is_refused_naming_the_channel() -> None:
    async with open_server() as server:
        refused = await server.player.slash(server.channels["general"], "bug")
        assert refused.modal is None and refused.ephemeral
        assert refused.response is not None and "#bug-report" in refused.response.content
        assert server.channels["general"].history(viewer=server.moderator) == []


async def test_a_third_bug_filed_inside_the_cooldown_is_refused_with_the_wait() -> None:
    async with open_server() as server:
        channel = server.channels["bug-report"]
        dismissed = await server.player.slash(channel, "bug")  # opened, never sent: does not count
        assert dismissed.modal is not None
        for summary in ("Map freezes", "Shop is empty"):
            shown = await server.player.slash(channel, "bug")
            assert shown.modal is not None
            await server.player.submit_modal(shown, {"summary": summary, "steps": "Open it"})
        third = await server.player.slash(channel, "bug")
        assert third.modal is None and third.ephemeral and third.response is not None
        assert "/bug again in" in third.response.content
        other = await server.moderator.slash(channel, "bug")  # the cooldown is per player
        assert other.modal is not None


async def test_case_is_refused_for_a_player_and_works_for_a_moderator() -> None:
    async with open_server() as server:
        shown = await server.player.slash(server.channels["bug-report"], "bug")
        await server.player.submit_modal(shown, {"summary": "Lag in trades", "steps": "Trade twice"})

        refused = await server.player.slash(server.channels["general"], "case", ref="BUG-1", status="fixed")
        assert refused.ephemeral and refused.response is not None
        assert "moderator" in refused.response.content
        assert (await server.store.get_case("BUG-1")).status == "open"  # type: ignore[union-attr]

        done = await server.moderator.slash(
            server.channels["general"], "case", ref="BUG-1", status="fixed", note="Fixed in 1.2"
        )
        assert done.ephemeral and done.response is not None and "fixed" in done.response.content
        assert (await server.store.get_case("BUG-1")).status == "fixed"  # type: ignore[union-attr]
        dm = server.player.user.dm_channel.last_message
        assert dm is not None and "BUG-1" in dm.content and "fixed" in dm.content


async def test_a_dm_question_gets_articles_then_an_agent_who_is_relayed_with_their_name() -> None:
    async with open_server() as server:
        player = server.player.user
        await player.send_dm("how do I trade with a friend?")
        answer = player.dm_channel.last_message
        assert answer is not None and answer.author.bot and answer.embeds
        labels = [child.label for row in answer.components for child in row.children]  # type: ignore[union-attr]
        assert "Talk to an agent" in labels

        clicked = await player.click(answer, label="Talk to an agent")
        assert clicked.acknowledged
        [request] = server.contact.requests
        assert request.user_id == str(server.player.id) and request.case_ref == "SUP-1"
        assert any("SUP-1" in m.content for m in player.dm_channel.history())

        handoff = server.contact.handoff_of(str(server.player.id))
        await server.contact.agent_joins(handoff, "Brock")
        await server.contact.agent_says(handoff, "Hi! Which version are you on?", name="Brock")
        await server.env.settle()
        last = player.dm_channel.last_message
        assert last is not None and "Brock" in last.content and "Which version are you on?" in last.content

        await player.send_dm("Version 1.2")
        assert server.contact.sent[handoff][-1] == "Version 1.2"


async def test_helpme_works_in_the_server_and_in_a_dm() -> None:
    async with open_server() as server:
        in_server = await server.player.slash(server.channels["general"], "helpme")
        assert in_server.ephemeral and in_server.response is not None
        assert "Check your DMs" in in_server.response.content
        assert "type **agent**" in server.player.user.dm_channel.last_message.content  # type: ignore[union-attr]
        in_dm = await server.player.user.slash("helpme")
        assert in_dm.acknowledged


async def test_a_button_still_works_after_the_bot_restarts_on_the_same_store() -> None:
    async with open_server() as server:
        player = server.player.user
        await player.send_dm("how do I trade with a friend?")
        answer = player.dm_channel.last_message
        assert answer is not None
        await server.runtime.stop()

        config = demo_config()
        clock = SimClock()
        clock.env = server.env
        contact = MemoryContactCenter()
        client = make_client(None, config, server.store)
        runtime = Runtime(await prepare(config), server.store, client.chat, contact, clock=clock)
        client.runtime, contact.runtime = runtime, runtime
        syncs = server.command_syncs()
        await server.env.restart_bot(client)
        assert client.guild is not None and server.command_syncs() == syncs  # nothing changed: no re-sync

        await player.click(answer, label="Talk to an agent")
        assert [r.case_ref for r in contact.requests] == ["SUP-1"]
        assert any("SUP-1" in m.content for m in player.dm_channel.history())
        server.runtime = runtime  # the fixture stops this one


async def test_dms_sent_while_the_bot_was_away_are_read_back_when_it_returns() -> None:
    async with open_server() as server:
        player = server.player.user
        await player.send_dm("how do I trade with a friend?")
        await server.runtime.stop()
        await server.env.restart_bot(discord.Client(intents=discord.Intents(guilds=True)))  # flexcord is down
        await player.send_dm("I want to talk to a real person")  # Discord keeps it; nobody reads it now
        await player.send_dm("it is about my account")

        config = demo_config()
        clock = SimClock()
        clock.env = server.env
        contact = MemoryContactCenter()
        client = make_client(None, config, server.store)
        runtime = Runtime(await prepare(config), server.store, client.chat, contact, clock=clock)
        client.runtime, contact.runtime = runtime, runtime
        server.runtime = runtime  # the fixture stops this one
        await server.env.restart_bot(client)
        await server.env.settle()

        [request] = contact.requests
        said = [text for author, text in request.transcript if author == "ash"]
        assert said == ["how do I trade with a friend?", "I want to talk to a real person"]
        assert contact.sent[contact.handoff_of(str(player.id))] == ["it is about my account"]
        assert await client.catch_up() == 0  # nothing new: read back once only


class SlowRuntime:
    """The real runtime behind a delay longer than Discord waits for a first answer."""

    def __init__(self, runtime: Runtime, seconds: float) -> None:
        self.runtime = runtime
        self.seconds = seconds

    async def handle(self, event: Event) -> Outcome:
        await asyncio.sleep(self.seconds)
        return await self.runtime.handle(event)


async def test_a_slow_answer_is_deferred_then_delivered() -> None:
    async with open_server() as server:
        server.client.runtime = SlowRuntime(server.runtime, 5)
        result = await server.moderator.slash(
            server.channels["general"], "case", ref="BUG-404", status="fixed"
        )
        assert result.deferred and result.ephemeral  # Discord was told to wait
        await server.env.advance_time(5)
        shown = [m.content for m in (result.response, *result.followups) if m is not None and m.content]
        assert shown and "BUG-404" in shown[0]


async def test_a_dm_rule_for_a_role_sees_the_players_server_roles(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "routes", tmp_path / "routes")
    shutil.copytree(ROOT / "kb", tmp_path / "kb")
    shutil.copy(ROOT / "flexcord.yaml", tmp_path / "flexcord.yaml")
    rules = tmp_path / "routes" / "rules.yaml"
    staff_rule = (
        "rules:\n"
        "  - name: staff status\n"
        "    when: {where: dm, roles: [moderator], says: [status]}\n"
        '    do: [reply: "Staff status: all systems go."]\n'
    )
    rules.write_text(rules.read_text(encoding="utf-8").replace("rules:\n", staff_rule, 1), encoding="utf-8")
    result = build(tmp_path / "flexcord.yaml", offline=True)
    assert result.ok and result.config is not None, [str(d) for d in result.errors]
    assert result.config.index.uses_roles and not demo_config().index.uses_roles

    async with open_server(config=result.config) as server:
        moderator, player = server.moderator.user, server.player.user
        await moderator.send_dm("what is the status?")
        answer = moderator.dm_channel.last_message
        assert answer is not None and "Staff status: all systems go." in answer.content
        await player.send_dm("what is the status?")
        answer = player.dm_channel.last_message
        assert answer is not None and answer.author.bot and "Staff status" not in answer.content
