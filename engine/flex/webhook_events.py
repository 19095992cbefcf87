"""What Twilio's webhooks mean: a strict form reader, sid shapes, and one ContactEvent per call.

Pure functions (no Quart): `parse_form` reads the body, `check_sids` refuses a sid that is not of
Twilio's documented shape (two letters and 32 hex digits: `IM...` for a message), and
`conversation_event`, `taskrouter_event` and `studio_event` turn a verified form into the
ContactEvent it stands for. Each event's id is a key Twilio signed (a message, participant or
reservation sid), or a hash of the signed content when Twilio gives none, so a replayed or
re-signed call is applied once.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from engine.events import ContactEvent
from engine.flex.identity import is_customer

FORM = "application/x-www-form-urlencoded"
CONVERSATION_EVENTS = (
    "onMessageAdded",
    "onParticipantAdded",
    "onParticipantRemoved",
    "onConversationStateUpdated",
)
"""The Conversations webhook events flexcord acts on (and asks Twilio for)."""

SID_PREFIXES: Mapping[str, str] = {
    "AccountSid": "AC",
    "ChatServiceSid": "IS",
    "ConversationSid": "CH",
    "MessageSid": "IM",
    "ParticipantSid": "MB",
    "WebhookSid": "WH",
    "MessagingServiceSid": "MG",
    "WorkspaceSid": "WS",
    "WorkflowSid": "WW",
    "TaskSid": "WT",
    "TaskQueueSid": "WQ",
    "TaskChannelSid": "TC",
    "ReservationSid": "WR",
    "WorkerSid": "WK",
    "FlowSid": "FW",
    "ExecutionSid": "FN",
    "InteractionSid": "KD",
    "InteractionChannelSid": "UO",
}
"""Form fields that hold a sid, and the prefix Twilio's API reference gives that kind of sid."""

_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")


def is_sid(value: str, prefix: str) -> bool:
    """`is_sid("IM" + "0" * 32, "IM")` is True; a longer, shorter or other-prefixed value is not."""
    return value.startswith(prefix) and _SID.fullmatch(value) is not None


def check_sids(fields: Iterable[tuple[str, str]]) -> None:
    """Refuse the form (BadWebhook) if a field known to hold a sid holds anything else."""
    for name, value in fields:
        prefix = SID_PREFIXES.get(name)
        if prefix is not None and value and not is_sid(value, prefix):
            raise BadWebhook(f"{name} is not a Twilio {prefix} sid")


def signed_content_key(fields: Iterable[tuple[str, str]]) -> str:
    """A hash of exactly what the signature covers (names and values, sorted, run together).

    Two forms Twilio's scheme cannot tell apart (a value that swallowed the next field's name
    and value) get the same key, so such a re-signed variant is applied once.
    """
    signed = "".join(name + value for name, value in sorted(set(fields)))
    return hashlib.sha256(signed.encode("utf-8")).hexdigest()[:32]


class BadWebhook(ValueError):
    """The body is not a form Twilio could have sent (answered 400)."""


def parse_form(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """A strict reading of a Twilio form body: UTF-8, form-encoded, `name=value` pairs joined by &."""
    if not (content_type or "").lower().startswith(FORM):
        raise BadWebhook(f"expected {FORM}, got {content_type or 'no content type'}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadWebhook(f"the body is not UTF-8: {exc}") from None
    fields: list[tuple[str, str]] = []
    if not text:
        return fields
    for piece in text.split("&"):
        name, equals, value = piece.partition("=")
        if not equals:
            raise BadWebhook(f"malformed form field {piece[:40]!r}")
        fields.append((_unquote(name), _unquote(value)))
    return fields


def _unquote(text: str) -> str:
    if "%" not in text and "+" not in text:
        return text  # most Twilio fields need no decoding: skip the slow path
    try:
        return unquote_plus(text, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadWebhook(f"malformed form field: {exc}") from None


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise BadWebhook(f"{name} is missing")
    return value


def load_attributes(text: object) -> dict[str, Any]:
    """A Twilio `attributes` string as a dict ({} when empty or not JSON)."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _at(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _agent_name(identity: str, attributes: Mapping[str, Any]) -> str:
    name = attributes.get("friendlyName") or attributes.get("friendly_name") or attributes.get("name")
    return str(name) if name else identity


def conversation_event(form: Mapping[str, str], names: MutableMapping[str, str]) -> ContactEvent | None:
    """The ContactEvent a Conversations webhook stands for, or None when it is ours or not of interest.

    `names` maps participant identity -> friendly name, learned from onParticipantAdded.
    """
    kind = form.get("EventType")
    if kind not in CONVERSATION_EVENTS:
        return None
    conversation_sid = form.get("ConversationSid", "")
    if not conversation_sid:
        raise BadWebhook("ConversationSid is missing")
    at = _at(form.get("DateCreated") or form.get("DateUpdated"))
    if kind == "onMessageAdded":
        author = form.get("Author", "")
        attributes = load_attributes(form.get("Attributes"))
        if is_customer(author) or attributes.get("source") == "flexcord" or "key" in attributes:
            return None  # the player's own message, posted by flexcord through the API
        sid = _required(form, "MessageSid")
        agent = names.get(author)  # unknown (e.g. after a restart): the runtime uses the name it kept
        text, media = form.get("Body", ""), _media_sids(form.get("Media"))
        return ContactEvent(
            "agent_message", sid, conversation_sid, agent=agent, text=text, at=at, media=media
        )
    if kind in ("onParticipantAdded", "onParticipantRemoved"):
        identity = form.get("Identity", "")
        if is_customer(identity):
            return None
        participant = _required(form, "ParticipantSid")
        name = _agent_name(identity, load_attributes(form.get("Attributes"))) or "Agent"
        if identity:
            names[identity] = name
        joined = kind == "onParticipantAdded"
        return ContactEvent(
            "agent_joined" if joined else "agent_left",
            kind + participant,
            conversation_sid,
            agent=name,
            at=at,
        )
    if kind == "onConversationStateUpdated" and form.get("StateTo") == "closed":
        return ContactEvent("closed", conversation_sid + "closed", conversation_sid, at=at)
    return None


UNROUTED = ("task.canceled", "workflow.timeout")
"""TaskRouter events after which no agent will take the task (canceled, or the workflow gave up)."""


def taskrouter_event(form: Mapping[str, str]) -> ContactEvent | None:
    """A TaskRouter event callback as a ContactEvent: an agent accepted, the task ended, or it was dropped."""
    kind = form.get("EventType", "")
    if kind not in ("reservation.accepted", "reservation.wrapup", "task.wrapup", "task.completed", *UNROUTED):
        return None
    task = load_attributes(form.get("TaskAttributes"))
    conversation_sid = str(
        task.get("conversationSid")
        or next(
            (m.get("sid") for m in (task.get("conversations") or {}).get("media", []) if isinstance(m, dict)),
            "",
        )
    )
    if not is_sid(conversation_sid, "CH"):
        return None  # a task flexcord did not create
    if kind == "reservation.accepted":
        agent = form.get("WorkerName") or "Agent"
        reservation = _required(form, "ReservationSid")
        return ContactEvent("agent_joined", kind + reservation, conversation_sid, agent=agent)
    if kind == "reservation.wrapup":  # the agent is done with the player (left, or transferred)
        worker = form.get("WorkerName") or None
        return ContactEvent("agent_left", kind + _required(form, "TaskSid"), conversation_sid, agent=worker)
    moved = task.get("transfer")
    if kind in UNROUTED and isinstance(moved, dict) and not moved.get("back"):  # back where it was
        back = str(moved.get("from") or "")
        return ContactEvent("transfer_failed", kind + _required(form, "TaskSid"), conversation_sid, text=back)
    if kind in UNROUTED:  # nobody will pick the task up: the player is told and offered the bot
        return ContactEvent("failed", kind + _required(form, "TaskSid"), conversation_sid)
    return ContactEvent("closed", f"{conversation_sid}closed", conversation_sid)


def interactions_event(form: Mapping[str, str]) -> ContactEvent | None:
    """An Interactions webhook: an agent left the interaction's channel (onParticipantLeft)."""
    if form.get("EventType") != "onParticipantLeft" or form.get("ParticipantType", "agent") != "agent":
        return None
    conversation_sid = form.get("MediaChannelSid", "")
    if not is_sid(conversation_sid, "CH"):
        return None  # not a conversation flexcord routed
    ident = "onParticipantLeft" + _required(form, "ChannelSid") + form.get("Timestamp", "")
    return ContactEvent("agent_left", ident, conversation_sid)


def studio_event(form: Mapping[str, str], fields: Iterable[tuple[str, str]] | None = None) -> ContactEvent:
    """A Studio flow's HTTP widget sending bot text for the player.

    Its id is the hash of the signed form (`fields`, as received; `form` when not given): the
    widget's `Id` and Twilio's idempotency header are not enough, since the header is not signed
    and a field can swallow the `Id` without changing the signature.
    """
    conversation_sid = form.get("ConversationSid", "")
    if not conversation_sid or not form.get("Body"):
        raise BadWebhook("ConversationSid and Body are required")
    key = signed_content_key(form.items() if fields is None else fields)
    return ContactEvent("bot_message", "studio" + key, conversation_sid, text=form["Body"])


__all__ = [
    "CONVERSATION_EVENTS",
    "FORM",
    "SID_PREFIXES",
    "BadWebhook",
    "check_sids",
    "conversation_event",
    "interactions_event",
    "is_sid",
    "load_attributes",
    "parse_form",
    "signed_content_key",
    "studio_event",
    "taskrouter_event",
]


def _media_sids(text: str | None) -> tuple[str, ...]:
    """The sids of the files in onMessageAdded's `Media` (a JSON list of {sid, filename, ...})."""
    if not text:
        return ()
    try:
        entries = json.loads(text)
    except ValueError:
        raise BadWebhook("Media is not JSON") from None
    if not isinstance(entries, list):
        raise BadWebhook("Media is not a list")
    return tuple(str(e["sid"]) for e in entries if isinstance(e, dict) and e.get("sid"))
