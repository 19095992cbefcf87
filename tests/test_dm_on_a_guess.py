"""A player talking to an agent: their next DM is routed on what their last turn saw, before its
transaction, and checked inside it (engine.runtime.front). When another replica changed their
conversation meanwhile, the DM is handled as the fresh state says, never relayed on the stale one.
On both stores; on PostgreSQL, the guess saves the read before the transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.events import ContactEvent
from engine.runtime import Generation
from engine.runtime.front import KEEP_S, Relaying
from engine.store import ConversationRecord, PlayerState
from tests.postgres import fresh_database
from tests.support.trips import counted_world, with_agent
from tests.support.twins import ManualClock, World, memory_world

ASH = "111"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a picture, as its first bytes say


@dataclass
class Replicas:
    a: World  # the player's gateway, where their DMs are handled
    b: World  # another replica, where the contact center's webhooks land


@pytest.fixture(params=["sqlite", "postgresql"])
async def replicas(
    request: pytest.FixtureRequest, generation: Generation, tmp_path: Path
) -> AsyncIterator[Replicas]:
    url = f"sqlite:///{tmp_path / 'shared.db'}" if request.param == "sqlite" else await fresh_database()
    clock = ManualClock()
    a = await memory_world(generation, store_url=url, clock=clock)
    b = await memory_world(generation, store_url=url, clock=clock)
    yield Replicas(a, b)
    await a.close()
    await b.close()


async def test_a_chat_closed_on_another_replica_turns_the_next_dm_into_a_rating(replicas: Replicas) -> None:
    a, b = replicas.a, replicas.b
    ash, handoff = a.player(ASH, "Ash"), await with_agent(a)
    await ash.says("It crashes at the loading screen.")
    await ash.says("Since the last update.")  # routed on the state the turn before saw
    assert a.contact.sent[handoff] == ["It crashes at the loading screen.", "Since the last update."]
    await b.runtime.on_contact_event(ContactEvent("closed", "EV-b1", handoff))  # Flex's webhook, on
    # the other replica: this one is not told

    outcome = await ash.says("5")
    assert outcome.state == "closed" and outcome.decision is not None
    assert a.contact.sent[handoff] == ["It crashes at the loading screen.", "Since the last update."]
    async with a.store.view() as view:
        case = (await view.player_state(ASH, event_id="-", setting="-", lane="-", kind="-")).case
    assert case is not None and case.rating == 5


async def test_a_file_sent_after_the_chat_closed_elsewhere_does_not_reach_the_old_agent(
    replicas: Replicas,
) -> None:
    """The file makes the turn read before its COMMIT (its id): the check travels with that read."""
    a, b = replicas.a, replicas.b
    ash, handoff = a.player(ASH, "Ash"), await with_agent(a)
    await ash.says("It crashes.")
    await ash.says("Here is the error:", files=(("error.png", PNG),))
    assert a.contact.sent[handoff] == ["It crashes.", "Here is the error:", "[file error.png]"]
    await b.runtime.on_contact_event(ContactEvent("closed", "EV-b1", handoff))
    outcome = await ash.says("And again:", files=(("again.png", PNG),))
    assert outcome.state == "bot"  # the chat is over: the bot has the player again
    assert a.contact.sent[handoff] == ["It crashes.", "Here is the error:", "[file error.png]"]


async def test_an_agent_named_on_another_replica_signs_the_next_message_here(replicas: Replicas) -> None:
    """An agent's event is applied on the state the player's last turn left, checked as it commits."""
    a, b = replicas.a, replicas.b
    ash, handoff = a.player(ASH, "Ash"), await with_agent(a)
    await ash.says("It crashes.")
    await a.runtime.on_contact_event(ContactEvent("agent_message", "EV-a1", handoff, text="Which device?"))
    assert (a.chat.dms[ASH][-1].author, a.chat.dms[ASH][-1].text) == ("Misty", "Which device?")
    await b.runtime.on_contact_event(ContactEvent("agent_joined", "EV-b1", handoff, agent="Brock"))
    await a.runtime.on_contact_event(ContactEvent("agent_message", "EV-a2", handoff, text="I'm taking over."))
    assert (a.chat.dms[ASH][-1].author, a.chat.dms[ASH][-1].text) == ("Brock", "I'm taking over.")


async def test_a_dm_to_an_agent_makes_no_read_before_its_transaction_when_the_last_turn_relayed(
    generation: Generation,
) -> None:
    async with counted_world(generation) as counted:
        world = counted.world
        ash, handoff = world.player(ASH, "Ash"), await with_agent(world)
        for text in ("It crashes at the loading screen.", "Since the last update."):
            counted.mark()
            await ash.says(text)
        counted.mark()
        await world.contact.agent_says(handoff, "Which graphics card?", "Misty")
        counted.mark()
        await ash.says("An old one.")
        assert world.contact.sent[handoff][-3:] == [
            "It crashes at the loading screen.",
            "Since the last update.",
            "An old one.",
        ]
        # the first DM after the agent joined reads the player's state first; then the guess spares
        # it, for the agent's message too: the COMMIT (with the claim of what it sends), then the send
        assert world.chat.texts(ASH)[-1] == "Which graphics card?"
        assert counted.at_send == [3, 1, 1, 1]  # two DMs, the agent's message, a DM


def test_a_players_state_is_kept_in_memory_ten_minutes_at_most() -> None:
    """So a player erased by `flexcord players forget` (another process) leaves this one's memory too."""
    now = [0.0]
    relaying = Relaying(clock=lambda: now[0])
    at = datetime(2026, 3, 4, tzinfo=UTC)
    talking = ConversationRecord(
        1, ASH, "Ash", "agent", "CH1", "BUG-1", "support", "Misty", False, None, False, at
    )
    seen = PlayerState(processed=False, conversation=talking, case=None, setting=None, waiting=False)
    relaying.kept(ASH, seen, talking)
    now[0] = KEEP_S - 1
    assert relaying.known(ASH, "CH1") is seen
    assert relaying.known(ASH, "CH2") is None  # another conversation: no guess
    now[0] = KEEP_S + 1
    relaying.prune()
    assert relaying.known(ASH, "CH1") is None
    relaying.kept(ASH, seen, dataclasses.replace(talking, state="closed"))  # a turn that changed it
    assert relaying.known(ASH, "CH1") is None
