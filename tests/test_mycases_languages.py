"""/mycases and a moderator's /case speak the reader's language on the demo bot (SimCord): the
answers' words come from messages.yaml, each status is named as cases.yaml translates it."""

from __future__ import annotations

from tests.discord_fixtures import Server, open_server
from tests.support.client_locales import client_locales


async def test_a_brazilian_players_mycases_answers_in_portuguese_with_portuguese_status_names() -> None:
    async with open_server() as server:
        with client_locales({server.player.id: "pt-BR"}):
            empty = await server.player.slash(server.channels["general"], "mycases")
            shown = await server.player.slash(server.channels["bug-report"], "bug")
            await server.player.submit_modal(shown, {"summary": "O mapa trava", "steps": "Abrir o mapa"})
            answer = await server.player.slash(server.channels["general"], "mycases")
    assert empty.ephemeral and empty.response is not None
    assert empty.response.content == "Você não tem nenhum caso em aberto."
    assert answer.ephemeral and answer.response is not None
    title, line = answer.response.content.splitlines()
    assert title == "Seus casos em aberto:"
    assert line.startswith("**BUG-1** · O mapa trava · aberto")


async def test_mycases_follows_the_language_a_player_chose_over_their_client() -> None:
    async with open_server() as server:
        await server.player.slash(server.channels["general"], "language", language="fr")
        answer = await server.player.slash(server.channels["general"], "mycases")  # an English client
    assert answer.response is not None
    assert answer.response.content == "Vous n'avez aucun dossier en cours."


async def test_a_french_moderators_case_replies_are_in_french() -> None:
    async with open_server() as server:
        with client_locales({server.player.id: "pt-BR", server.moderator.id: "fr"}):
            shown = await server.player.slash(server.channels["bug-report"], "bug")
            await server.player.submit_modal(shown, {"summary": "O mapa trava", "steps": "Abrir o mapa"})
            general = server.channels["general"]
            moved = await server.moderator.slash(general, "case", ref="BUG-1", status="triaged")
            again = await server.moderator.slash(general, "case", ref="BUG-1", status="triaged")
            noted = await server.moderator.slash(general, "case", ref="BUG-1", note="Vu sur Android")
            missing = await server.moderator.slash(general, "case", ref="BUG-99", status="fixed")
            wrong = await server.moderator.slash(general, "case", ref="BUG-1", status="planned")
    said = [r.response.content if r.response else None for r in (moved, again, noted, missing, wrong)]
    assert said == [
        "Le dossier BUG-1 est maintenant en cours d'analyse.",
        "Le dossier BUG-1 est déjà en cours d'analyse.",
        "Note ajoutée au dossier BUG-1.",
        "Je ne trouve pas le dossier BUG-99. Indiquez une référence comme BUG-12.",
        "« planned » n'est pas un statut des dossiers bug. Utilisez l'un de ceux-ci : "
        "open, triaged, fixed, closed.",
    ]


async def test_the_synced_mycases_is_described_in_each_supported_language_within_discords_limits() -> None:
    async with open_server() as server:
        synced = [
            r.json for r in server.env.http_requests if r.method == "PUT" and r.path.endswith("/commands")
        ]
    mycases = next(command for sent in synced for command in sent if command["name"] == "mycases")
    described = mycases["description_localizations"]
    assert described["pt-BR"] == "Seus casos em aberto e onde acompanhá-los"
    assert described["fr"] == "Vos dossiers en cours et où les suivre"
    assert described["es-419"] == described["es-ES"] == "Tus casos abiertos y dónde seguirlos"
    assert "de" not in described  # the demo does not speak German: Discord shows the English text
    assert all(1 <= len(text) <= 100 for text in described.values())


async def test_a_case_summary_is_in_the_moderators_language_and_its_post_in_the_reporters() -> None:
    async with open_server() as server:
        with client_locales({server.player.id: "pt-BR", server.moderator.id: "fr"}):
            shown = await server.player.slash(server.channels["bug-report"], "bug")
            await server.player.submit_modal(shown, {"summary": "O mapa trava", "steps": "Abrir o mapa"})
            await server.env.settle()
            filed = footers(server)
            summary = await server.moderator.slash(server.channels["general"], "case", ref="BUG-1")
            await server.moderator.slash(server.channels["general"], "case", ref="BUG-1", status="triaged")
            await server.env.settle()
            moved = footers(server)
    assert filed == [f"Relatado por {server.player.name} em #bug-report · status: aberto"]
    assert summary.response is not None
    title, line = summary.response.content.splitlines()
    assert title == "**BUG-1** · O mapa trava"
    assert line.startswith(f"Statut : ouvert · signalé par {server.player.name} dans #bug-report le 20")
    # the post stays in its reporter's language whoever moves the case
    assert moved == [f"Relatado por {server.player.name} em #bug-report · status: em análise"]


def footers(server: Server) -> list[str]:
    """The footers of the case posts in #bug-report."""
    channel = server.channels["bug-report"]
    return [e.footer.text for m in channel.history() for e in m.embeds if e.footer and e.footer.text]
