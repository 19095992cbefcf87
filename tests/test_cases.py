"""Cases on the demo bot: /bug's form, the posted report, /case status changes, cooldowns, numbering."""

from __future__ import annotations

import asyncio

from engine.events import User
from tests.support.twins import Player, World

ASH = "111"


async def file_bug(player: Player, summary: str = "Game crashes on the map") -> str | None:
    outcome = await player.submits(
        "bug", "bug-report", summary=summary, steps="Open the map\nZoom out", device="Pixel 8, 1.2.3"
    )
    return outcome.case_ref


async def test_bug_command_shows_the_form_and_the_submission_opens_a_posted_case(world: World) -> None:
    ash = world.player(ASH, "Ash")
    outcome = await ash.uses("bug", "bug-report")
    assert outcome.form is not None and outcome.form.template == "bug"
    assert [field.name for field in outcome.form.fields] == ["summary", "steps", "device", "screenshot"]  # type: ignore[attr-defined]
    assert await world.store.list_cases() == []

    outcome = await ash.submits(
        "bug", "bug-report", summary="Game crashes on the map", steps="Open the map", device="Pixel 8"
    )
    assert outcome.case_ref == "BUG-1"
    assert [r.text for r in outcome.replies] == [
        "Thanks <@111>! Your report is BUG-1. We'll let you know when it moves."
    ]
    [post] = world.chat.posts["bug-report"]
    [embed] = post.embeds
    assert embed.title == "BUG-1: Game crashes on the map"
    assert embed.fields == (
        ("What went wrong?", "Game crashes on the map"),
        ("Steps to reproduce", "Open the map"),
        ("Device and game version", "Pixel 8"),
    )
    assert embed.footer is not None and "Ash" in embed.footer

    case = await world.store.get_case("BUG-1")
    assert case is not None
    assert (case.title, case.status, case.reporter_id, case.reporter_name, case.where) == (
        "Game crashes on the map",
        "open",
        ASH,
        "Ash",
        "bug-report",
    )
    assert case.fields == {"summary": "Game crashes on the map", "steps": "Open the map", "device": "Pixel 8"}
    lines = [(m.direction, m.where) for m in await world.store.case_transcript("BUG-1")]
    assert lines == [("in", "bug-report"), ("out", "bug-report"), ("out", "bug-report")]


async def test_a_status_change_to_a_notify_on_status_tells_the_reporter(world: World) -> None:
    await file_bug(world.player(ASH, "Ash"))
    brock = world.player("222", "Brock", roles=("moderator",))

    outcome = await brock.uses("case", "mod-log", ref="bug-1", status="triaged", note="Reproduced on Android")
    assert [r.text for r in outcome.replies] == ["BUG-1 is now triaged. Note added."]
    assert world.chat.texts(ASH) == []  # triaged is not in notify_on

    outcome = await brock.uses("case", "mod-log", ref="BUG-1", status="fixed")
    assert [r.text for r in outcome.replies] == ["BUG-1 is now fixed."]
    assert world.chat.texts(ASH) == ["Your case BUG-1 is now **fixed**."]

    history = await world.store.case_history("BUG-1")
    assert [(e.from_status, e.to_status, e.who, e.note) for e in history] == [
        (None, "open", "Ash", "opened"),
        ("open", "triaged", "Brock", "Reproduced on Android"),
        ("triaged", "fixed", "Brock", None),
    ]
    lines = [(m.direction, m.author, m.text) for m in await world.store.case_transcript("BUG-1")]
    assert ("in", "Brock", "/case ref: BUG-1 status: fixed") in lines
    assert ("out", "bot", "Your case BUG-1 is now **fixed**.") in lines


async def test_a_status_the_template_does_not_have_is_refused_with_the_list(world: World) -> None:
    await file_bug(world.player(ASH, "Ash"))
    brock = world.player("222", "Brock", roles=("admin",))
    outcome = await brock.uses("case", "mod-log", ref="BUG-1", status="planned")
    assert [r.text for r in outcome.replies] == [
        "'planned' is not a status of bug cases. Use one of: open, triaged, fixed, closed."
    ]
    case = await world.store.get_case("BUG-1")
    assert case is not None and case.status == "open"
    assert len(await world.store.case_history("BUG-1")) == 1


async def test_case_lookup_note_and_unknown_reference(world: World) -> None:
    await file_bug(world.player(ASH, "Ash"))
    brock = world.player("222", "Brock", roles=("moderator",))
    outcome = await brock.uses("case", "mod-log", ref="BUG-1")
    assert outcome.replies[0].text.startswith("**BUG-1** · Game crashes on the map\nStatus: open")
    outcome = await brock.uses("case", "mod-log", ref="BUG-1", note="Asked for logs")
    assert [r.text for r in outcome.replies] == ["Note added to BUG-1."]
    assert (await world.store.case_history("BUG-1"))[-1].note == "Asked for logs"
    outcome = await brock.uses("case", "mod-log", ref="BUG-77", status="fixed")
    assert [r.text for r in outcome.replies] == ["I can't find case BUG-77. Give a reference like BUG-12."]


async def test_players_cannot_update_cases(world: World) -> None:
    await file_bug(world.player(ASH, "Ash"))
    outcome = await world.player("333", "Gary").uses("case", "general", ref="BUG-1", status="closed")
    assert outcome.replies and outcome.replies[0].text
    case = await world.store.get_case("BUG-1")
    assert case is not None and case.status == "open"


async def test_the_bug_cooldown_says_when_it_can_be_used_again(world: World) -> None:
    ash = world.player(ASH, "Ash")
    for n in range(2):  # cooldown: 2/10m, counting reports filed
        assert (await ash.uses("bug", "bug-report")).form is not None
        await ash.submits("bug", "bug-report", summary=f"bug {n}", steps="Open the map", device="")
    world.clock.advance(180)
    outcome = await ash.uses("bug", "bug-report")
    assert outcome.form is None
    assert [r.text for r in outcome.replies] == ["You can use /bug again in 7 min."]
    assert (await world.player("222", "Brock").uses("bug", "bug-report")).form is not None  # per player
    world.clock.advance(420)
    assert (await ash.uses("bug", "bug-report")).form is not None


async def test_fifty_concurrent_reports_get_fifty_sequential_refs(world: World) -> None:
    players = [Player(world.runtime, User(str(1000 + n), f"Player {n}"), world.clock) for n in range(50)]
    refs = await asyncio.gather(*(file_bug(player, f"bug {n}") for n, player in enumerate(players)))
    assert sorted(refs, key=lambda ref: int(str(ref).split("-")[1])) == [f"BUG-{n}" for n in range(1, 51)]
    assert len(world.chat.posts["bug-report"]) == 50
    by_reporter = {case.reporter_name: case.title for case in await world.store.list_cases(template="bug")}
    assert by_reporter["Player 7"] == "bug 7"
