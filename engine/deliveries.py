"""What the outbox delivers: one frozen dataclass per kind of outbound call, and its JSON form.

A delivery holds everything its send needs, fixed when it is written (the outbox reads no
conversation or transcript at send time). `encode` and `decode` are the only places that know
the stored keys; every consumer matches on the classes, so mypy reports a kind left unhandled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, assert_never

from engine.config.model import frozen_map
from engine.events import Button, Embed, OutMessage
from engine.ports import HandoffRequest, Transfer
from engine.timestamps import from_text, to_text


@dataclass(frozen=True, slots=True)
class DirectMessage:
    """A direct message to a player."""

    user_id: str
    message: OutMessage


@dataclass(frozen=True, slots=True)
class ChannelPost:
    """A message in a channel; in a forum, a post of its own wearing `tags`."""

    channel: str
    message: OutMessage
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EditPost:
    """Replace a case's post in a channel with its current state.

    `message_id` is the post's id on the platform; None while the post itself waits in the same
    lane, until the runtime fills it in from the post's delivery.
    """

    channel: str
    message: OutMessage
    message_id: str | None = None
    tags: tuple[str, ...] = ()  # a forum post's tags, replaced
    closed: bool = False  # a forum post is locked (its case is closed)


@dataclass(frozen=True, slots=True)
class CaseThread:
    """The player's private case thread is opened, closed (archived and locked) or reopened.

    Written to the player's DM lane, so it happens in order with what they are told.
    """

    user_id: str
    action: Literal["open", "close", "reopen"]
    channel: str = ""  # open: the channel it opens in, its name, and the staff role called in
    name: str = ""
    staff: str | None = None


@dataclass(frozen=True, slots=True)
class StartHandoff:
    """Ask the contact center to route the player of `conversation_id` to an agent.

    The request's transcript is kept current by the runtime while the item waits (every turn of
    the player refreshes it), so a retry gives the agent everything said until then.
    """

    conversation_id: int
    request: HandoffRequest
    told_failure: bool = False  # the player already heard that the start failed


@dataclass(frozen=True, slots=True)
class SendToAgent:
    """A player's words (or, with `notice`, flexcord's own) to the agent of a started handoff.

    `conversation_sid` is None while the handoff is still starting; the runtime fills it in
    once the contact center answers.
    """

    user_id: str
    text: str
    conversation_sid: str | None = None
    notice: bool = False
    attachment_id: int | None = None  # a file of the player's (kept in the store) instead of text


@dataclass(frozen=True, slots=True)
class CloseHandoff:
    """Tell the contact center the conversation is over."""

    conversation_sid: str


@dataclass(frozen=True, slots=True)
class TransferChat:
    """Route the conversation to another queue (an agent's transfer), keeping the case's details.

    `from_queue` is where it was, so a transfer nobody can take goes back there.
    """

    conversation_sid: str
    transfer: Transfer
    from_queue: str = ""


Delivery = (
    DirectMessage
    | ChannelPost
    | EditPost
    | StartHandoff
    | SendToAgent
    | CloseHandoff
    | TransferChat
    | CaseThread
)

KINDS: Mapping[type[Any], str] = {
    DirectMessage: "dm",
    ChannelPost: "post",
    EditPost: "edit",
    StartHandoff: "start_handoff",
    SendToAgent: "send",
    CloseHandoff: "close",
    TransferChat: "transfer",
    CaseThread: "thread",
}
"""The stored kind of each delivery (the `kind` column; what `flexcord cases show` prints)."""


def kind_of(delivery: Delivery) -> str:
    return KINDS[type(delivery)]


def target_of(delivery: Delivery) -> str:
    """Who or where a delivery goes, in a word, for people reading the records."""
    match delivery:
        case DirectMessage(user_id=user_id) | SendToAgent(user_id=user_id) | CaseThread(user_id=user_id):
            return user_id
        case ChannelPost(channel=channel) | EditPost(channel=channel):
            return channel
        case StartHandoff(request=request):
            return request.queue
        case CloseHandoff(conversation_sid=sid):
            return sid
        case TransferChat(transfer=transfer):
            return transfer.queue
        case _:
            assert_never(delivery)


def encode(delivery: Delivery) -> str:
    """The stored JSON text of a delivery (its kind is stored beside it)."""
    return json.dumps(_fields(delivery), separators=(",", ":"))


def _fields(delivery: Delivery) -> dict[str, Any]:
    match delivery:
        case DirectMessage(user_id=target, message=message):
            return {"target": target, "message": message_fields(message)}
        case ChannelPost(channel=target, message=message, tags=tags):
            return {"target": target, "message": message_fields(message), "tags": list(tags)}
        case EditPost(channel=channel, message=message, message_id=message_id):
            fields = {"target": channel, "message": message_fields(message), "message_id": message_id}
            return {**fields, "tags": list(delivery.tags), "closed": delivery.closed}
        case CaseThread():
            return {
                "target": delivery.user_id,
                "action": delivery.action,
                "channel": delivery.channel,
                "name": delivery.name,
                "staff": delivery.staff,
            }
        case StartHandoff(request=r):
            return {
                "conversation_id": delivery.conversation_id,
                "user_id": r.user_id,
                "user_name": r.user_name,
                "case_ref": r.case_ref,
                "queue": r.queue,
                "priority": r.priority,
                "skills": list(r.skills),
                "case_fields": dict(r.case_fields),
                "transcript": [list(line) for line in r.transcript],
                "transcript_at": [to_text(at) for at in r.transcript_at],
                "told_failure": delivery.told_failure,
                "language": r.language,
            }
        case SendToAgent():
            return {
                "user_id": delivery.user_id,
                "text": delivery.text,
                "conversation_sid": delivery.conversation_sid,
                "notice": delivery.notice,
                "attachment_id": delivery.attachment_id,
            }
        case CloseHandoff(conversation_sid=sid):
            return {"handoff": sid}
        case TransferChat(conversation_sid=sid, transfer=t, from_queue=came_from):
            return {
                "handoff": sid,
                "queue": t.queue,
                "reason": t.reason,
                "skills": list(t.skills),
                "agent": t.agent,
                "by": t.by,
                "back": t.back,
                "from_queue": came_from,
            }
        case _:
            assert_never(delivery)


def decode(kind: str, text: str) -> Delivery:
    """The delivery stored as `kind` and `text`; ValueError for a kind this version does not know."""
    data: dict[str, Any] = json.loads(text)
    if kind == "dm":
        return DirectMessage(str(data["target"]), message_from_fields(data["message"]))
    if kind == "post":
        tags = tuple(str(tag) for tag in data.get("tags", ()))
        return ChannelPost(str(data["target"]), message_from_fields(data["message"]), tags)
    if kind == "edit":
        posted = data.get("message_id")
        message = message_from_fields(data["message"])
        tags = tuple(str(tag) for tag in data.get("tags", ()))
        closed = bool(data.get("closed", False))
        return EditPost(str(data["target"]), message, None if posted is None else str(posted), tags, closed)
    if kind == "thread":
        staff = data.get("staff")
        actions: dict[str, Literal["open", "close", "reopen"]] = {
            "open": "open",
            "close": "close",
            "reopen": "reopen",
        }
        action = actions[str(data["action"])]
        return CaseThread(
            str(data["target"]), action, str(data.get("channel", "")), str(data.get("name", "")), staff
        )
    if kind == "start_handoff":
        told = bool(data.get("told_failure", False))
        return StartHandoff(int(data["conversation_id"]), _handoff_request(data), told)
    if kind == "send":
        sid = data.get("conversation_sid")
        return SendToAgent(
            str(data["user_id"]),
            str(data["text"]),
            None if sid is None else str(sid),
            bool(data.get("notice")),
            None if data.get("attachment_id") is None else int(data["attachment_id"]),
        )
    if kind == "close":
        return CloseHandoff(str(data["handoff"]))
    if kind == "transfer":
        transfer = Transfer(
            queue=str(data["queue"]),
            reason=str(data.get("reason") or ""),
            skills=tuple(str(skill) for skill in data.get("skills", ())),
            agent=None if data.get("agent") is None else str(data["agent"]),
            by=None if data.get("by") is None else str(data["by"]),
            back=bool(data.get("back")),
        )
        return TransferChat(str(data["handoff"]), transfer, str(data.get("from_queue") or ""))
    raise ValueError(f"unknown kind of outbox item: {kind}")


def _handoff_request(data: dict[str, Any]) -> HandoffRequest:
    """The handoff request a stored `start_handoff` item carries."""
    return HandoffRequest(
        user_id=str(data.get("user_id", "")),
        user_name=str(data.get("user_name", "")),
        case_ref=str(data["case_ref"]),
        queue=str(data["queue"]),
        priority=int(data.get("priority", 0)),
        skills=tuple(str(skill) for skill in data.get("skills", ())),
        case_fields=frozen_map({str(k): str(v) for k, v in dict(data.get("case_fields", {})).items()}),
        transcript=tuple((str(a), str(t)) for a, t in data.get("transcript", ())),
        transcript_at=tuple(from_text(at) for at in data.get("transcript_at", ())),
        language=data.get("language"),
    )


def message_fields(message: OutMessage) -> dict[str, Any]:
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
        "files": list(message.files),
    }


def message_from_fields(data: Mapping[str, Any]) -> OutMessage:
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
        files=tuple(str(ref) for ref in data.get("files", ())),
    )


__all__ = [
    "CaseThread",
    "ChannelPost",
    "CloseHandoff",
    "Delivery",
    "DirectMessage",
    "EditPost",
    "SendToAgent",
    "StartHandoff",
    "TransferChat",
    "decode",
    "encode",
    "kind_of",
    "target_of",
]
