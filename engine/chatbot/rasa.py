"""The HTTP chatbot: asks an external bot that speaks Rasa's REST channel protocol.

Request: POST {"sender": <player id>, "message": <text>}. Reply: a JSON list of
{"text", "buttons": [{"title", "payload"}], "image"}. The bot's words are passed on as plain
data, never rendered as templates. Any failure (timeout, connection, HTTP error, bad JSON)
becomes the `fallback` message with an agent button, so the player is never left without a reply.
"""

from __future__ import annotations

import json
import logging
import re

import aiohttp

from engine.chatbot.answers import ChatbotAnswer, Label, Say, as_written, fallback, no_answer
from engine.chatbot.buttons import chatbot_button
from engine.config.model import Chatbot
from engine.events import Button, OutMessage, User

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 256 * 1024
MAX_TEXT = 2000  # Discord's message limit
MAX_BUTTONS = 25  # Discord: 5 rows of 5
MAX_BUTTON_LABEL = 80
_WEB_ADDRESS = re.compile(r"https?://\S+$")


class BadReply(ValueError):
    """The bot answered something that is not a Rasa REST reply."""


async def ask_rasa(
    bot: Chatbot,
    text: str,
    user: User,
    say: Say,
    http: aiohttp.ClientSession | None,
    label: Label = as_written,
) -> ChatbotAnswer:
    """Send the player's message to the bot at `bot.url` and turn its reply into messages."""
    if not bot.url:
        log.error("chatbot '%s' has no url; sent the fallback message", bot.name)
        return fallback(bot, say, label)
    timeout = aiohttp.ClientTimeout(total=bot.timeout_seconds)
    try:
        if http is None:
            async with aiohttp.ClientSession() as session:
                data = await _post(session, bot.url, {"sender": user.id, "message": text}, timeout)
        else:
            data = await _post(http, bot.url, {"sender": user.id, "message": text}, timeout)
        messages = parse_reply(data, bot.name)
    except TimeoutError:
        log.warning("chatbot '%s' at %s did not answer within %ss", bot.name, bot.url, bot.timeout_seconds)
        return fallback(bot, say, label)
    except (aiohttp.ClientError, ValueError) as exc:
        log.warning("chatbot '%s' at %s failed: %s", bot.name, bot.url, exc or type(exc).__name__)
        return fallback(bot, say, label)
    if not messages:
        return no_answer(bot, text, say, label=label)
    return ChatbotAnswer(messages, found=True)


async def _post(
    session: aiohttp.ClientSession, url: str, payload: dict[str, str], timeout: aiohttp.ClientTimeout
) -> object:
    async with session.post(url, json=payload, timeout=timeout, headers={"Accept": "application/json"}) as r:
        if not 200 <= r.status < 300:
            raise BadReply(f"it answered HTTP {r.status}")
        body = await r.content.read(MAX_REPLY_BYTES + 1)
        if len(body) > MAX_REPLY_BYTES:
            raise BadReply(f"its reply is larger than {MAX_REPLY_BYTES} bytes")
        try:
            return json.loads(body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise BadReply(f"its reply is not JSON ({exc})") from None


def parse_reply(data: object, chatbot: str = "") -> tuple[OutMessage, ...]:
    """Rasa REST messages -> OutMessages; items with nothing to show are skipped.

    [{"text": "Hi", "buttons": [{"title": "Yes", "payload": "/affirm"}]}], chatbot "rasa"
    -> (OutMessage(text="Hi", buttons=(Button(id="say:rasa:/affirm", label="Yes"),)),)
    (engine.chatbot.buttons: a click sends "/affirm" back to chatbot "rasa")
    """
    if not isinstance(data, list):
        raise BadReply("its reply is not a list of messages")
    messages = []
    for item in data:
        if not isinstance(item, dict):
            raise BadReply("a message in its reply is not an object")
        text = _optional_str(item, "text")
        image = _optional_str(item, "image")
        parts = [part for part in (text, image if image and _WEB_ADDRESS.match(image) else None) if part]
        buttons = _buttons(item.get("buttons"), chatbot)
        if parts or buttons:
            messages.append(OutMessage(text=_shorten("\n".join(parts), MAX_TEXT), buttons=buttons))
    return tuple(messages)


def _optional_str(item: dict[str, object], key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadReply(f"'{key}' in its reply is not text")
    return value.strip() or None


def _buttons(raw: object, chatbot: str) -> tuple[Button, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BadReply("'buttons' in its reply is not a list")
    buttons: dict[str, Button] = {}
    for entry in raw:
        if not isinstance(entry, dict):
            raise BadReply("a button in its reply is not an object")
        title = _optional_str(entry, "title")
        payload = _optional_str(entry, "payload") or title
        if not title or not payload:
            log.warning("skipped a chatbot button with no title")
            continue
        buttons.setdefault(payload, chatbot_button(chatbot, payload, _shorten(title, MAX_BUTTON_LABEL)))
    return tuple(buttons.values())[:MAX_BUTTONS]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["BadReply", "ask_rasa", "parse_reply"]
