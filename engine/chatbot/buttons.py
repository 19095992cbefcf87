"""A chatbot's buttons: a click sends the button's payload to that chatbot as the player's next message.

That is what Rasa does. The button ids live in an id space of their own, apart from flexcord's
own buttons ("agent", "solved", "rate:4"): `say:<chatbot>:<payload>`. Discord keeps at most 100
characters of custom id, and flexcord's Discord buttons prefix theirs with "flexcord:", so a
payload too long to fit is sent as a digest (`say#<chatbot>:<digest>`) and the click then sends
the button's title, which a Rasa bot's language understanding reads like a typed message.
"""

from __future__ import annotations

import hashlib

from engine.events import Button, Event

__all__ = ["MAX_BUTTON_ID", "MAX_CUSTOM_ID", "chatbot_button", "clicked"]

MAX_CUSTOM_ID = 100
"""Discord's limit on a component's custom id."""
CUSTOM_ID_PREFIX = "flexcord:"
MAX_BUTTON_ID = MAX_CUSTOM_ID - len(CUSTOM_ID_PREFIX)
"""The longest button id a Discord button can carry (engine.discord.render adds the prefix)."""
_SAY = "say:"
_SAY_TITLE = "say#"


def chatbot_button(chatbot: str, payload: str, title: str) -> Button:
    """The button for one of chatbot `chatbot`'s buttons, its id at most MAX_BUTTON_ID long."""
    button_id = f"{_SAY}{chatbot}:{payload}"
    if len(button_id) > MAX_BUTTON_ID:
        digest = hashlib.sha256(payload.encode()).hexdigest()[:16]
        button_id = f"{_SAY_TITLE}{chatbot}:{digest}"[:MAX_BUTTON_ID]
    return Button(id=button_id, label=title)


def clicked(event: Event) -> tuple[str, str] | None:
    """(chatbot, the player's message) for a click on a chatbot's button; None for any other event."""
    button = event.button or ""
    if event.kind != "button" or not button.startswith((_SAY, _SAY_TITLE)):
        return None
    chatbot, colon, payload = button[len(_SAY) :].partition(":")
    if not chatbot or not colon:
        return None
    return (chatbot, payload) if button.startswith(_SAY) else (chatbot, event.text)
