"""A player's DM to an agent goes out before its language is settled; what the player sees stays in
their language: replies, the FAQ bot after the chat, the language they chose, their messages in order."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.config.demo import copy_demo, edit
from tests.support.twins import ManualClock, Player, World, generation_from, memory_world
from tests.test_conversations import ASH, WEDNESDAY_MORNING, generation, world

__all__ = ["generation", "world"]  # the demo bot's fixtures, shared with tests/test_conversations.py


async def with_agent(world: World, asks: str = "I want to talk to an agent") -> tuple[Player, str]:
    ash = world.player(ASH, "Ash")
    await ash.says(asks)
    handoff = world.contact.handoff_of(ASH)
    await world.contact.agent_joins(handoff, "Misty")
    return ash, handoff


async def test_spanish_written_to_the_agent_is_the_language_the_faq_bot_answers_in_after(
    world: World,
) -> None:
    ash, handoff = await with_agent(world)
    await ash.says("no puedo entrar a mi cuenta desde ayer")
    assert world.contact.sent[handoff] == ["no puedo entrar a mi cuenta desde ayer"]
    await world.contact.closes(handoff)
    await ash.says("ok")  # too short to tell a language: the one last seen
    assert (
        world.chat.texts(ASH)[-1]
        == "No he encontrado ningún artículo sobre eso. ¿Quieres hablar con una persona?"
    )


async def test_a_message_over_the_limit_is_refused_in_the_language_it_is_written_in(world: World) -> None:
    ash, handoff = await with_agent(world)
    for n in range(10):  # limits.player_messages: 10/1m
        await ash.says(f"message {n}")
    await ash.says("por favor, necesito ayuda con mi cuenta ahora mismo")
    assert world.contact.sent[handoff] == [f"message {n}" for n in range(10)]
    assert world.chat.texts(ASH)[-1] == (
        "Estás enviando mensajes más rápido de lo que nuestros agentes pueden leerlos. "
        "Espera 1 min y vuelve a intentarlo."
    )


async def test_the_language_a_player_chose_wins_over_what_they_write_to_the_agent(world: World) -> None:
    ash = world.player(ASH, "Ash")
    await ash.uses("language", "general", language="pt-BR")
    _, handoff = await with_agent(world, "agent")
    for n in range(10):
        await ash.says(f"I still cannot log in to my account, attempt {n}")
    await ash.says("I am writing in English again and again")
    assert len(world.contact.sent[handoff]) == 10
    assert world.chat.texts(ASH)[-1].startswith("Você está mandando mensagens mais rápido")
    await world.contact.closes(handoff)
    await ash.says("ok")
    assert world.chat.texts(ASH)[-1] == "Não achei nenhum artigo sobre isso. Quer falar com uma pessoa?"


async def test_messages_in_several_languages_reach_the_agent_in_order_and_the_last_one_counts(
    world: World,
) -> None:
    ash, handoff = await with_agent(world)
    said = [
        "je ne peux pas me connecter à mon compte",
        "no puedo entrar a mi cuenta desde ayer",
        "ok",
        "hindi ako makapag log in sa account ko",
    ]
    for text in said:
        await ash.says(text)
    assert world.contact.sent[handoff] == said
    await world.contact.closes(handoff)
    await ash.says("ok")
    assert (
        world.chat.texts(ASH)[-1]
        == "Wala akong nakitang article tungkol diyan. Gusto mo bang makausap ang isang tao?"
    )


SPANISH_THANKS = """rules:
  - name: spanish thanks
    when: {where: dm, state: [agent], language: [es-ES, es-419], says: [gracias]}
    do: [reply: {en-US: "You are welcome!", es-ES: "¡De nada! El agente sigue contigo."}]

"""


async def test_a_rule_for_players_with_an_agent_that_asks_their_language_still_hears_it(
    tmp_path: Path,
) -> None:
    config = copy_demo(tmp_path)
    edit(config.parent / "routes" / "rules.yaml", "rules:\n", SPANISH_THANKS)
    world = await memory_world(generation_from(config), clock=ManualClock(WEDNESDAY_MORNING))
    try:
        ash, handoff = await with_agent(world)
        await ash.says("muchas gracias por tu ayuda con la cuenta")
        assert world.chat.texts(ASH)[-1] == "¡De nada! El agente sigue contigo."
        await ash.says("thank you so much, gracias for the help with my account")
        assert world.contact.sent[handoff] == ["thank you so much, gracias for the help with my account"]
    finally:
        await world.close()
