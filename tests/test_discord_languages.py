"""The demo bot on SimCord speaks each player's language: their Discord client's for commands,
the language they write in for DMs, their own choice once they make one with /language."""

from __future__ import annotations

import re
from typing import Any

from tests.discord_fixtures import Server, form_controls, open_server
from tests.support.client_locales import client_locales


async def dm(server: Server, text: str) -> Any:
    player = server.player.user
    await player.send_dm(text)
    await server.env.settle()
    answer = player.dm_channel.last_message
    assert answer is not None and answer.author.bot
    return answer


async def test_bug_by_a_brazilian_player_shows_the_portuguese_form_and_confirmation() -> None:
    async with open_server() as server:
        with client_locales({server.player.id: "pt-BR"}):
            shown = await server.player.slash(server.channels["bug-report"], "bug")
            assert shown.modal is not None
            assert shown.modal["title"] == "Relatar um bug"
            labels = [control["label"] for control in form_controls(shown.modal)]
            assert labels == [
                "O que deu errado?",
                "Passos para reproduzir",
                "Aparelho e versão do jogo",
                "Captura de tela (opcional)",
            ]
            done = await server.player.submit_modal(
                shown, {"summary": "O jogo fecha na tela inicial", "steps": "Abrir o jogo"}
            )
        assert done.response is not None
        assert done.response.content == f"Valeu, {server.player.mention}! Seu relato é o BUG-1. " + (
            "A gente te avisa quando tiver novidade."
        )


async def test_a_tagalog_dm_from_an_english_client_is_answered_in_tagalog() -> None:
    async with open_server() as server:
        await server.player.slash(server.channels["general"], "helpme")  # the bot knows an English client
        answer = await dm(server, "Gusto kong makausap ang tao, may problema ako sa account ko")
        assert "ikinokonekta na kita sa isang agent" in answer.content


async def test_a_french_player_asking_for_a_person_reaches_flex_with_their_language() -> None:
    async with open_server() as server:
        answer = await dm(server, "Bonjour, je voudrais parler à un conseiller s'il vous plaît")
        assert answer.content.startswith("J'ai ouvert le dossier SUP-1")
        [request] = server.contact.requests
        assert request.language == "fr"


async def test_the_language_a_player_chooses_wins_over_the_one_they_write_in() -> None:
    async with open_server() as server:
        chosen = await server.player.slash(server.channels["general"], "language", language="es-ES")
        assert chosen.response is not None
        assert chosen.response.content == "Entendido: a partir de ahora te hablaré en español."
        answer = await dm(server, "I would like to talk to an agent please")
        assert answer.content.startswith("He abierto el caso SUP-1")
        assert server.contact.requests[0].language == "es-ES"


async def test_the_synced_commands_carry_their_names_and_descriptions_by_locale_within_discords_limits() -> (
    None
):
    async with open_server() as server:
        synced = [
            r.json for r in server.env.http_requests if r.method == "PUT" and r.path.endswith("/commands")
        ]
        commands = {command["name"]: command for sent in synced for command in sent}
    bug = commands["bug"]
    assert bug["name_localizations"]["es-ES"] == "error"
    assert bug["name_localizations"]["es-419"] == "error"  # Latin American clients get the Spanish text
    assert bug["description_localizations"]["pt-BR"] == "Envie um relato oficial de bug"
    note = next(option for option in commands["case"]["options"] if option["name"] == "note")
    assert note["description_localizations"]["fr"] == "Une note pour l'historique du dossier"
    assert "hi" in commands["new_feature"]["name_localizations"]
    for command in commands.values():
        for name in (command.get("name_localizations") or {}).values():
            assert re.fullmatch(r"[-_\w\u0900-\u097f]{1,32}", name) and name == name.lower()
        texts = [command, *command.get("options", [])]
        for text in texts:
            for description in (text.get("description_localizations") or {}).values():
                assert 1 <= len(description) <= 100


async def test_language_is_named_described_and_offered_in_every_configured_language() -> None:
    async with open_server() as server:
        synced = [
            r.json for r in server.env.http_requests if r.method == "PUT" and r.path.endswith("/commands")
        ]
    chooser = next(command for sent in synced for command in sent if command["name"] == "language")
    names = chooser["name_localizations"]
    assert (names["es-ES"], names["es-419"], names["pt-BR"], names["fr"], names["hi"]) == (
        "idioma",
        "idioma",
        "idioma",
        "langue",
        "भाषा",
    )
    assert chooser["description_localizations"]["fr"] == "Choisir la langue dans laquelle le bot vous parle"
    [option] = chooser["options"]
    assert option["name_localizations"]["pt-BR"] == "idioma"
    assert option["description_localizations"]["hi"] == "वह भाषा जिसमें बॉट आपसे बात करे"
    labels = {choice["value"]: choice["name_localizations"] for choice in option["choices"]}
    assert labels["tl"]["en-US"] == "Tagalog" and labels["es-419"]["fr"] == "Español (Latinoamérica)"
    assert labels["pt-BR"]["ja"] == "Português (Brasil)"  # each language's own name, for any reader


async def test_helpme_answers_a_brazilian_player_in_portuguese() -> None:
    async with open_server() as server:
        with client_locales({server.player.id: "pt-BR"}):
            done = await server.player.slash(server.channels["general"], "helpme")
        assert done.response is not None and done.response.content.startswith("Confere sua DM")
        await server.env.settle()
        dm = server.player.user.dm_channel.last_message
        assert dm is not None and "digite **atendente**" in dm.content


async def test_a_moderator_picks_a_status_in_french_and_the_reporter_hears_it_in_portuguese() -> None:
    async with open_server() as server:
        with client_locales({server.player.id: "pt-BR", server.moderator.id: "fr"}):
            shown = await server.player.slash(server.channels["bug-report"], "bug")
            await server.player.submit_modal(shown, {"summary": "O mapa trava", "steps": "Abrir o mapa"})
            done = await server.moderator.slash(
                server.channels["general"], "case", ref="BUG-1", status="fixed"
            )
        assert done.response is not None
        assert done.response.content == "Le dossier BUG-1 est maintenant corrigé."
        await server.env.settle()
        dm = server.player.user.dm_channel.last_message
        assert dm is not None and dm.content == "Seu caso BUG-1 agora está **corrigido**."


async def test_the_case_status_choices_are_labelled_in_each_language() -> None:
    async with open_server() as server:
        synced = [
            r.json for r in server.env.http_requests if r.method == "PUT" and r.path.endswith("/commands")
        ]
    case = next(command for sent in synced for command in sent if command["name"] == "case")
    status = next(option for option in case["options"] if option["name"] == "status")
    fixed = next(choice for choice in status["choices"] if choice["value"] == "fixed")
    assert fixed["name"] == "fixed"
    assert (fixed["name_localizations"]["es-ES"], fixed["name_localizations"]["fr"]) == (
        "corregido",
        "corrigé",
    )
