"""Chatbots: the knowledge-base bot's suggestions and the Rasa-compatible HTTP bot, against a real server."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import pytest
import yaml
from aiohttp import web

from engine.chatbot import ChatbotAnswer, answer
from engine.config.model import Chatbot
from engine.events import Button, OutMessage, User
from engine.knowledge import KnowledgeBase
from engine.templates import TemplateSet

ROOT = Path(__file__).resolve().parent.parent
KB = KnowledgeBase.build(ROOT / "kb")
QUERIES = yaml.safe_load((Path(__file__).parent / "kb_queries.yaml").read_text(encoding="utf-8"))
PLAYER = User(id="4242", name="Misty")
FAQ = Chatbot(name="faq", type="knowledge_base", suggestions=3)
MESSAGES = {
    "no_answer": "Nothing about '{{ text }}' yet. Want a person?",
    "fallback": "Sorry, something went wrong on my side.",
}


@dataclass
class Said:
    """A `say` like the runtime's: renders the config's messages with real templates, and remembers calls."""

    calls: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    templates: TemplateSet = field(default_factory=TemplateSet)

    def __call__(self, name: str, variables: Mapping[str, object]) -> str:
        self.calls.append((name, dict(variables)))
        return self.templates.render(MESSAGES[name], variables)


AGENT = Button("agent", "Talk to an agent", "primary")
SOLVED = Button("solved", "That solved it", "success")


# --- the knowledge-base bot -------------------------------------------------------------------


async def test_suggests_articles_with_links_snippets_and_both_buttons() -> None:
    reply = await answer(FAQ, "I forgot my pasword", PLAYER, knowledge=KB, say=Said())
    assert reply.found
    (message,) = reply.messages
    assert message.text == "Here's what I found:"
    assert message.buttons == (SOLVED, AGENT)
    first = message.embeds[0]
    assert first.title == "Reset your account password"
    assert first.url == "https://support.example.com/articles/account-password-reset"
    assert "**password**" in first.description.casefold()
    assert 1 <= len(message.embeds) <= 3


FRENCH = {
    "faq_intro": "Voici ce que j'ai trouvé :",
    "solved_button": "C'est réglé",
    "agent_button": "Un conseiller",
}


def in_french(name: str, default: str) -> str:
    return FRENCH.get(name, default)


async def test_the_players_language_picks_the_articles_intro_and_buttons() -> None:
    reply = await answer(FAQ, "bug", PLAYER, knowledge=KB, say=Said(), locale="fr", label=in_french)
    (message,) = reply.messages
    assert reply.language == "fr" and message.text == "Voici ce que j'ai trouvé :"
    assert message.embeds[0].url == "https://support.example.com/fr/articles/report-a-bug"
    assert [b.label for b in message.buttons] == ["C'est réglé", "Un conseiller"]
    unsure = await answer(FAQ, "qwxz vbnm", PLAYER, knowledge=KB, say=Said(), locale="fr", label=in_french)
    assert [b.label for b in unsure.messages[0].buttons] == ["Un conseiller"]


async def test_players_questions_get_their_article_suggested() -> None:
    misses = []
    for pair in QUERIES:
        reply = await answer(FAQ, pair["query"], PLAYER, knowledge=KB, say=Said())
        urls = [embed.url for message in reply.messages for embed in message.embeds]
        if f"https://support.example.com/articles/{pair['expect']}" not in urls:
            misses.append(pair["query"])
    print("misses:", misses)
    assert len(misses) <= 0.1 * len(QUERIES), misses


async def test_suggestions_and_buttons_follow_the_bot_config() -> None:
    bot = replace(FAQ, suggestions=1, solved_button=None, agent_button="Ask a human")
    reply = await answer(bot, "trade failed, account password, raid hour", PLAYER, knowledge=KB, say=Said())
    (message,) = reply.messages
    assert len(message.embeds) == 1
    assert message.buttons == (Button("agent", "Ask a human", "primary"),)

    silent = replace(FAQ, solved_button=None, agent_button=None)
    reply = await answer(silent, "raid hour", PLAYER, knowledge=KB, say=Said())
    assert reply.messages[0].buttons == ()


@pytest.mark.parametrize(
    "text", ["asdfghjkl", "banana smoothie recipe", "hello there", "", "AND OR NOT * : ("]
)
async def test_nonsense_gets_the_no_answer_message_and_an_agent(text: str) -> None:
    said = Said()
    reply = await answer(FAQ, text, PLAYER, knowledge=KB, say=said)
    assert (reply.messages, reply.found) == (
        (OutMessage(text=said.templates.render(MESSAGES["no_answer"], {"text": text}), buttons=(AGENT,)),),
        False,
    )
    assert said.calls == [("no_answer", {"text": text})]


async def test_min_confidence_decides_between_an_answer_and_not_sure() -> None:
    question = "where do I send my ideas"
    assert (await answer(FAQ, question, PLAYER, knowledge=KB, say=Said())).found
    strict = replace(FAQ, min_confidence=1.0)
    reply = await answer(strict, question, PLAYER, knowledge=KB, say=Said())
    assert not reply.found
    assert reply.messages[0].embeds == ()
    assert reply.messages[0].buttons == (AGENT,)


async def test_off_topic_messages_get_not_sure_instead_of_a_coincidence() -> None:
    for text in [
        "how do I delete my account",
        "anyone know a good phone case",
        "who won the match last night",
    ]:
        reply = await answer(FAQ, text, PLAYER, knowledge=KB, say=Said())
        assert not reply.found, text


async def test_a_spanish_question_gets_spanish_articles() -> None:
    reply = await answer(FAQ, "no puedo entrar a mi cuenta", PLAYER, knowledge=KB, say=Said())
    assert reply.found and reply.language == "es"
    assert reply.messages[0].embeds[0].url == "https://support.example.com/es-ES/articles/login-problems"


async def test_without_a_knowledge_base_the_bot_says_it_found_nothing() -> None:
    reply = await answer(FAQ, "I forgot my password", PLAYER, knowledge=None, say=Said())
    assert not reply.found
    assert reply.messages[0].buttons == (AGENT,)


async def test_what_a_player_types_is_never_run_as_a_template() -> None:
    text = "{{ 7 * 7 }} {% for x in range(3) %}x{% endfor %}"
    reply = await answer(FAQ, text, PLAYER, knowledge=KB, say=Said())
    assert reply.messages[0].text == f"Nothing about '{text}' yet. Want a person?"


async def test_an_empty_message_name_falls_back_to_a_built_in_sentence() -> None:
    reply = await answer(FAQ, "zzzz", PLAYER, knowledge=KB, say=lambda name, variables: "")
    assert reply.messages[0].text.startswith("I couldn't find an article")


# --- the HTTP (Rasa REST) bot against a real local server -------------------------------------


@dataclass
class RasaServer:
    url: str
    received: list[dict[str, object]]
    release: asyncio.Event


@pytest.fixture
async def rasa() -> AsyncIterator[RasaServer]:
    received: list[dict[str, object]] = []
    release = asyncio.Event()

    async def webhook(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        received.append(body)
        return web.json_response(
            [
                {
                    "recipient_id": body["sender"],
                    "text": f"You said: {body['message']}",
                    "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
                },
                {"recipient_id": body["sender"], "image": "https://cdn.example.com/critter.png"},
                {"recipient_id": body["sender"], "custom": {"ignored": True}},
            ]
        )

    async def slow(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.json_response([])

    async def broken(request: web.Request) -> web.StreamResponse:
        return web.Response(status=500, text="Internal Server Error")

    async def not_json(request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>not json</html>", content_type="text/html")

    async def not_a_list(request: web.Request) -> web.StreamResponse:
        return web.json_response({"text": "hi"})

    async def silent(request: web.Request) -> web.StreamResponse:
        return web.json_response([])

    app = web.Application()
    for path, handler in [
        ("/webhooks/rest/webhook", webhook),
        ("/slow", slow),
        ("/broken", broken),
        ("/not-json", not_json),
        ("/not-a-list", not_a_list),
        ("/silent", silent),
    ]:
        app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield RasaServer(f"http://{host}:{port}", received, release)
    finally:
        release.set()
        await runner.cleanup()


def http_bot(url: str, timeout: float = 5.0) -> Chatbot:
    return Chatbot(name="rasa", type="http", url=url, timeout_seconds=timeout)


async def test_rasa_replies_become_messages_with_buttons(rasa: RasaServer) -> None:
    bot = http_bot(f"{rasa.url}/webhooks/rest/webhook")
    reply = await answer(bot, "hi {{ user.name }}", PLAYER, knowledge=None, say=Said())
    assert rasa.received == [{"sender": "4242", "message": "hi {{ user.name }}"}]
    assert reply == ChatbotAnswer(
        (
            OutMessage(
                text="You said: hi {{ user.name }}",
                buttons=(Button(id="say:rasa:/affirm", label="Yes"), Button(id="say:rasa:/deny", label="No")),
            ),
            OutMessage(text="https://cdn.example.com/critter.png"),
        ),
        found=True,
    )


async def test_a_shared_client_session_is_used_when_given(rasa: RasaServer) -> None:
    bot = http_bot(f"{rasa.url}/webhooks/rest/webhook")
    async with aiohttp.ClientSession() as session:
        reply = await answer(bot, "one", PLAYER, knowledge=None, say=Said(), http=session)
        reply_two = await answer(bot, "two", PLAYER, knowledge=None, say=Said(), http=session)
    assert reply.found and reply_two.found
    assert [r["message"] for r in rasa.received] == ["one", "two"]


@pytest.mark.parametrize(
    ("path", "timeout", "logged"),
    [
        ("/slow", 0.2, "did not answer within"),
        ("/broken", 5.0, "answered HTTP 500"),
        ("/not-json", 5.0, "not JSON"),
        ("/not-a-list", 5.0, "not a list"),
    ],
)
async def test_a_failing_bot_gets_the_fallback_and_an_agent(
    rasa: RasaServer, caplog: pytest.LogCaptureFixture, path: str, timeout: float, logged: str
) -> None:
    said = Said()
    with caplog.at_level(logging.WARNING, logger="engine.chatbot"):
        reply = await answer(http_bot(rasa.url + path, timeout), "help", PLAYER, knowledge=None, say=said)
    assert reply == ChatbotAnswer((OutMessage(text=MESSAGES["fallback"], buttons=(AGENT,)),), found=False)
    assert said.calls == [("fallback", {})]
    assert logged in caplog.text
    assert "help" not in caplog.text.replace("'rasa'", "")  # the player's words stay out of the log


async def test_an_unreachable_bot_gets_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="engine.chatbot"):
        reply = await answer(http_bot(f"http://127.0.0.1:{port}/"), "hi", PLAYER, knowledge=None, say=Said())
    assert not reply.found
    assert reply.messages[0].buttons == (AGENT,)
    assert "failed" in caplog.text


async def test_a_bot_with_nothing_to_say_means_no_answer(rasa: RasaServer) -> None:
    said = Said()
    reply = await answer(http_bot(f"{rasa.url}/silent"), "hmm", PLAYER, knowledge=None, say=said)
    assert not reply.found
    assert said.calls == [("no_answer", {"text": "hmm"})]


async def test_an_http_bot_without_url_falls_back() -> None:
    reply = await answer(http_bot(""), "hi", PLAYER, knowledge=None, say=Said())
    assert reply.messages[0].text == MESSAGES["fallback"]


def test_rasa_reply_parsing_keeps_discord_limits() -> None:
    from engine.chatbot.rasa import BadReply, parse_reply

    many = [{"title": f"Option {i}", "payload": f"/pick{i}"} for i in range(30)]
    (message,) = parse_reply(
        [
            {
                "text": "x" * 3000,
                "buttons": [
                    *many,
                    {"title": "Dup", "payload": "/pick0"},
                    {"title": "Long", "payload": "/" + "p" * 200},
                ],
            }
        ],
        "rasa",
    )
    assert len(message.text) == 2000
    assert len(message.buttons) == 25
    assert message.buttons[0] == Button("say:rasa:/pick0", "Option 0")
    assert parse_reply([{"image": "javascript:alert(1)"}]) == ()
    for bad in [{"text": "hi"}, ["hi"], [{"text": 5}], [{"buttons": "yes"}], [{"buttons": ["yes"]}]]:
        with pytest.raises(BadReply):
            parse_reply(bad)


# --- a chatbot's buttons ------------------------------------------------------------------------


def test_every_chatbot_button_fits_in_a_discord_custom_id() -> None:
    from engine.chatbot.rasa import parse_reply
    from engine.discord.render import to_view

    payloads = ["/affirm", "/" + "p" * 94, '/inform{"item": "' + "x" * 200 + '"}']
    (message,) = parse_reply(
        [
            {
                "text": "Pick one",
                "buttons": [{"title": f"Option {i}", "payload": p} for i, p in enumerate(payloads)],
            }
        ],
        "rasa",
    )
    view = to_view(message.buttons)
    assert view is not None
    custom_ids = [getattr(item, "custom_id", None) or item.item.custom_id for item in view.children]
    assert custom_ids[0] == "flexcord:say:rasa:/affirm"
    assert all(len(custom_id) <= 100 for custom_id in custom_ids), [len(c) for c in custom_ids]
    assert len(set(custom_ids)) == 3


RASA_RULES = """\
rules:
  - name: everything else
    when: {where: dm}
    do: [chatbot: rasa]
chatbots:
  rasa: {type: http, url: "RASA_URL", agent_button: Talk to an agent}
"""


async def test_a_chatbot_button_sends_its_payload_to_its_chatbot_as_the_next_message(
    rasa: RasaServer, tmp_path: Path
) -> None:
    from tests.fixtures.config.demo import copy_demo
    from tests.support.twins import generation_from, memory_world

    main = copy_demo(tmp_path)
    rules = RASA_RULES.replace("RASA_URL", f"{rasa.url}/webhooks/rest/webhook")
    (tmp_path / "routes" / "rules.yaml").write_text(rules, encoding="utf-8")
    world = await memory_world(generation_from(main))
    try:
        player = world.player("4242", "Misty")
        await player.says("hello")
        yes = world.chat.dms["4242"][0].buttons[0]
        assert (yes.label, yes.id) == ("Yes", "say:rasa:/affirm")
        clicked = await player.presses(yes.id, yes.label)
    finally:
        await world.close()
    assert [r["message"] for r in rasa.received] == ["hello", "/affirm"]
    assert clicked.decision is not None and clicked.decision.rule == "chatbot:rasa"
    said = [r.text for r in clicked.replies] + world.chat.texts("4242")[2:]
    assert "You said: /affirm" in said


def test_a_chatbot_payload_named_like_a_flexcord_button_stays_the_chatbots() -> None:
    from engine.chatbot.buttons import chatbot_button

    agent = chatbot_button("rasa", "agent", "Agent")
    assert agent.id != "agent" and agent.id == "say:rasa:agent"


async def test_a_player_who_writes_in_another_language_than_their_own_gets_that_languages_article() -> None:
    reply = await answer(FAQ, "my game crashes when I open it", PLAYER, knowledge=KB, say=Said(), locale="fr")
    assert reply.found and reply.language == "en"
    assert reply.messages[0].embeds[0].url == "https://support.example.com/articles/app-crashes-on-start"
