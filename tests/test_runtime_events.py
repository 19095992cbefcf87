"""Events apply once; a reload swaps the generation between events; a broken template never breaks a chat."""

from __future__ import annotations

import dataclasses

from engine.config.model import frozen_map
from engine.runtime import Generation, build_generation, prepare
from tests.support.twins import World

ASH = "111"


def with_messages(generation: Generation, **messages: str) -> Generation:
    config = generation.config
    changed = dataclasses.replace(
        config, version=config.version + "-b", messages=frozen_map({**config.messages, **messages})
    )
    return dataclasses.replace(build_generation(changed), knowledge=generation.knowledge)


async def test_a_repeated_player_event_is_handled_once(world: World) -> None:
    ash = world.player(ASH, "Ash")
    first = await ash.uses("helpme", "general")
    assert ash.last_event is not None
    again = await world.runtime.handle(ash.last_event)
    assert first.replies and again.replies == () and again.decision is None
    assert len(world.chat.texts(ASH)) == 1

    await ash.says("agent")
    assert ash.last_event is not None
    await world.runtime.handle(ash.last_event)
    assert len(world.contact.requests) == 1
    assert [c.ref for c in await world.store.list_cases()] == ["SUP-1"]
    inbound = [m for m in await world.store.case_transcript("SUP-1") if m.direction == "in"]
    assert [m.text for m in inbound] == ["agent"]


async def test_a_repeated_contact_center_event_is_applied_once(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    handoff = world.contact.handoff_of(ASH)
    joined = await world.contact.agent_joins(handoff, "Misty")
    said = await world.contact.agent_says(handoff, "Hi Ash!", "Misty")
    await world.runtime.on_contact_event(joined)
    await world.runtime.on_contact_event(said)
    assert world.chat.texts(ASH)[-2:] == ["Misty joined the chat.", "Hi Ash!"]
    assert world.chat.texts(ASH).count("Hi Ash!") == 1
    await world.contact.agent_joins(handoff, "Misty")  # the same join reported by another source
    assert world.chat.texts(ASH).count("Misty joined the chat.") == 1
    closed = await world.contact.closes(handoff)
    await world.runtime.on_contact_event(closed)
    await world.contact.closes(handoff)
    assert world.chat.texts(ASH).count("Your chat about SUP-1 is closed. Thanks for reaching out!") == 1


async def test_events_for_an_unknown_or_replaced_handoff_are_ignored(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.says("agent")
    await world.contact.agent_joins("CH9999", "Misty")
    old = world.contact.handoff_of(ASH)
    await ash.says("cancel")
    await ash.says("agent")
    await world.contact.agent_joins(old, "Misty")
    assert "Misty joined the chat." not in world.chat.texts(ASH)
    conversation = await world.store.conversation(ASH)
    assert conversation is not None and conversation.state == "queued"


async def test_a_swapped_generation_serves_the_next_event(world: World, generation: Generation) -> None:
    ash = world.player(ASH, "Ash")
    await ash.presses("solved", "That solved it")
    world.runtime.swap(with_messages(generation, solved="Great, happy hunting!"))
    assert world.runtime.config.version.endswith("-b")
    outcome = await ash.presses("solved", "That solved it")
    assert [r.text for r in outcome.replies] == ["Great, happy hunting!"]


class SwappingKnowledge:
    """A knowledge base that triggers a reload in the middle of answering (and finds nothing)."""

    def __init__(self, world: World, new: Generation) -> None:
        self.world, self.new = world, new

    def search(self, query: str, limit: int = 3, **options: object) -> list[object]:
        self.world.runtime.swap(self.new)
        return []


async def test_an_event_finishes_on_the_generation_it_started_with(
    world: World, generation: Generation
) -> None:
    new = with_messages(generation, no_answer="NEW no answer", fallback="NEW fallback")
    old = dataclasses.replace(generation, knowledge=SwappingKnowledge(world, new))  # type: ignore[arg-type]
    world.runtime.swap(old)
    await world.player(ASH, "Ash").says("something nobody wrote about")
    assert world.runtime.generation is new
    assert world.chat.texts(ASH) == ["I couldn't find an article about that. Want to talk to a person?"]


async def test_a_template_that_fails_to_render_falls_back_and_the_chat_goes_on(
    world: World, generation: Generation
) -> None:
    world.runtime.swap(with_messages(generation, solved="Glad {{ case.ref.nothing }} helped"))
    ash = world.player(ASH, "Ash")
    outcome = await ash.presses("solved", "That solved it")
    assert [r.text for r in outcome.replies] == ["Sorry, something went wrong on my side. Please try again."]
    await ash.says("agent")
    assert world.chat.texts(ASH)[-1].startswith("I opened case SUP-1")


async def test_prepare_builds_templates_and_the_knowledge_base_off_the_event_loop(
    generation: Generation,
) -> None:
    prepared = await prepare(generation.config)
    assert prepared.config is generation.config
    assert prepared.knowledge is not None and len(prepared.knowledge) == len(generation.knowledge or ())
    assert prepared.message("solved") == generation.config.messages["solved"]
