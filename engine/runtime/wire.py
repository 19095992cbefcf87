"""How outbound calls are written into the outbox: lanes, and messages as JSON payloads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.events import Button, Embed, OutMessage


def dm_lane(user_id: str) -> str:
    """Direct messages to one player are delivered in order, one after the other."""
    return f"dm:{user_id}"


def post_lane(channel: str) -> str:
    return f"post:{channel}"


def contact_lane(user_id: str) -> str:
    """Calls to the contact center about one player (start, messages, close) keep their order."""
    return f"contact:{user_id}"


def message_to_payload(message: OutMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "embeds": [
            {
                "title": e.title,
                "description": e.description,
                "url": e.url,
                "fields": [list(pair) for pair in e.fields],
                "footer": e.footer,
            }
            for e in message.embeds
        ],
        "buttons": [{"id": b.id, "label": b.label, "style": b.style, "url": b.url} for b in message.buttons],
        "author": message.author,
        "key": message.key,
    }


def message_from_payload(data: Mapping[str, Any]) -> OutMessage:
    return OutMessage(
        text=data.get("text", ""),
        embeds=tuple(
            Embed(
                title=e["title"],
                description=e.get("description", ""),
                url=e.get("url"),
                fields=tuple((str(k), str(v)) for k, v in e.get("fields", ())),
                footer=e.get("footer"),
            )
            for e in data.get("embeds", ())
        ),
        buttons=tuple(
            Button(id=b["id"], label=b["label"], style=b.get("style", "secondary"), url=b.get("url"))
            for b in data.get("buttons", ())
        ),
        author=data.get("author"),
        key=data.get("key"),
    )
