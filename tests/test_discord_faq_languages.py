"""The FAQ bot on SimCord answers in each player's language: the one they chose with /language, or
their Discord client's; its articles, its intro line, its buttons and its "not sure" text."""

from __future__ import annotations

from typing import Any

from tests.discord_fixtures import open_server
from tests.support.client_locales import client_locales
from tests.test_discord_languages import dm


def labels(message: Any) -> list[str]:
    return [child.label for row in message.components for child in row.children]


async def test_a_player_who_chose_french_gets_french_articles_intro_and_buttons() -> None:
    async with open_server() as server:
        await server.player.slash(server.channels["general"], "language", language="fr")
        answer = await dm(server, "bug")  # a word of every language: the choice decides
        assert answer.content == "Voici ce que j'ai trouvé :"
        assert answer.embeds[0].url == "https://support.example.com/fr/articles/report-a-bug"
        assert labels(answer) == ["C'est réglé", "Parler à un conseiller"]
        await server.player.user.click(answer, label="C'est réglé")
        await server.env.settle()
        thanks = server.player.user.dm_channel.last_message
        assert thanks is not None and thanks.content.startswith("Ravi d'avoir pu vous aider")


async def test_a_brazilian_client_gets_portuguese_articles_for_a_word_of_any_language() -> None:
    async with open_server() as server:
        with client_locales({server.player.id: "pt-BR"}):
            await server.player.slash(server.channels["general"], "helpme")  # the bot sees the client
        answer = await dm(server, "crash")
        assert answer.content == "Olha o que eu encontrei:"
        assert answer.embeds[0].url == "https://support.example.com/pt-BR/articles/app-crashes-on-start"
        assert labels(answer) == ["Resolveu", "Falar com um atendente"]


async def test_not_sure_is_said_in_the_players_language_with_its_agent_button() -> None:
    async with open_server() as server:
        await server.player.slash(server.channels["general"], "language", language="es-ES")
        answer = await dm(server, "qué opinas del último partido de fútbol")
        assert answer.content.startswith("No he encontrado ningún artículo sobre eso")
        assert not answer.embeds and labels(answer) == ["Hablar con un agente"]
