"""What a player's event says before it is routed: its transcript line, its template variables, a rating."""

from __future__ import annotations

from engine.config.model import Config, in_conversation
from engine.events import Decision, Event
from engine.runtime.executor import relay_text
from engine.store import ConversationRecord

SOLVED_BUTTON = "solved"
RATING_BUTTON = "rate:"
RATINGS = ("1", "2", "3", "4", "5")


def event_text(event: Event) -> str:
    """An event as one transcript line: what was typed, or the command, form or button used."""
    if event.kind == "command":
        options = " ".join(f"{name}: {value}" for name, value in event.options.items())
        return f"/{event.command} {options}".strip()
    if event.kind == "form":
        fields = "; ".join(f"{name}: {value}" for name, value in event.options.items())
        return f"[{event.form} form] {fields}"
    if event.kind == "button":
        return f"[{event.text or event.button}]"
    return relay_text(event)


def event_variables(config: Config, event: Event) -> dict[str, object]:
    """Template variables of an event; a command's options left out by the player read as ''."""
    options = dict(event.options)
    command = config.commands.get(event.command or "") if event.kind == "command" else None
    if command is not None:
        options = {option.name: "" for option in command.options} | options
    values: dict[str, object] = {"text": event.text, "options": options, "channel": event.where}
    if event.kind == "form":
        values["form"] = dict(event.options)
    return values


def rating_of(event: Event, conversation: ConversationRecord | None) -> int | None:
    """A 1-5 rating: a rate:N button, or the bare number typed after a chat closed (before anything else)."""
    if event.kind == "button" and event.button and event.button.startswith(RATING_BUTTON):
        value = event.button[len(RATING_BUTTON) :]
        return int(value) if value in RATINGS else None
    if (
        event.kind == "message"
        and in_conversation(event.where)
        and conversation is not None
        and (conversation.awaiting_rating or conversation.state == "closed")
    ):
        value = event.text.strip().rstrip("!.")
        return int(value) if value in RATINGS else None
    return None


def unrouted(
    config: Config,
    event: Event,
    too_long: int | None,
    rating: int | None,
    solved: bool,
    chosen: str | None,
) -> Decision | None:
    """The Decision of an event no rule routes: a message over the length limit `too_long`, a
    rating, "solved", a `/language` choice; None for every other event."""
    if too_long is not None:
        why = f"refused: the message has {len(event.text)} characters, over {too_long}"
        return Decision(rule=None, actions=(), explanation=why, config_version=config.version)
    if rating is None and not solved and not chosen:
        return None
    what = f"rating {rating}/5" if rating is not None else f"language {chosen}" if chosen else "solved"
    return Decision(rule=None, actions=(), explanation=what, config_version=config.version)
