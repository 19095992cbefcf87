"""Twilio's calls into flexcord: Conversations webhooks, TaskRouter events and Studio replies.

Every request must carry an X-Twilio-Signature that validates against the *configured*
public URL (config.server.public_url + path), never the URL the request arrived at, since a
proxy in front of flexcord changes that. A valid call becomes a ContactEvent. When the sink can
record events durably (`accept_contact_event`, as the runtime does), the answer waits for that
commit, at most ACK_WITHIN seconds (Twilio waits 5 s): 200 once it is recorded, 503 when it is
not yet or it failed, so Twilio delivers it again and an acknowledged event is never lost.
Delivering what the event says (a DM to the player) happens after the answer. Events carry
Twilio's ids, so a repeated delivery is applied once by the runtime.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import unquote_plus

from quart import Blueprint, Response, request

from engine.config.model import Config
from engine.events import ContactEvent
from engine.flex.contact_center import WEBHOOK_FILTERS
from engine.flex.identity import is_customer
from engine.flex.signature import is_valid

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
CONVERSATION_EVENTS = WEBHOOK_FILTERS
MAX_NAMES = 10_000
SIGNATURE_HEADER = "X-Twilio-Signature"
SHUTDOWN_GRACE = 5.0
ACK_WITHIN = 4.0  # seconds to wait for the event's commit before asking Twilio to deliver it again


class ContactEventSink(Protocol):
    """The runtime as the webhooks see it: the current config, and where events go.

    A sink may also have `async accept_contact_event(event)`: record it durably, deliver later.
    """

    @property
    def config(self) -> Config: ...

    async def on_contact_event(self, event: ContactEvent) -> None: ...


class WebhookObserver(Protocol):
    """Counts webhook calls by endpoint and result (engine.metrics.Metrics is one)."""

    def webhook(self, endpoint: str, result: str) -> None: ...


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


def _attributes(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
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


def conversation_event(form: Mapping[str, str], names: dict[str, str]) -> ContactEvent | None:
    """The ContactEvent a Conversations webhook stands for, or None when it is ours or not of interest.

    `names` maps participant identity -> friendly name, learned from onParticipantAdded.
    """
    kind = form.get("EventType")
    if kind not in CONVERSATION_EVENTS:
        return None
    conversation = form.get("ConversationSid", "")
    if not conversation:
        raise BadWebhook("ConversationSid is missing")
    at = _at(form.get("DateCreated") or form.get("DateUpdated"))
    if kind == "onMessageAdded":
        author = form.get("Author", "")
        attributes = _attributes(form.get("Attributes"))
        if is_customer(author) or attributes.get("source") == "flexcord" or "key" in attributes:
            return None  # the player's own message, posted by flexcord through the API
        sid = form.get("MessageSid", "")
        if not sid:
            raise BadWebhook("MessageSid is missing")
        agent = names.get(author)  # unknown (e.g. after a restart): the runtime uses the name it kept
        return ContactEvent("agent_message", sid, conversation, agent=agent, text=form.get("Body", ""), at=at)
    if kind in ("onParticipantAdded", "onParticipantRemoved"):
        identity = form.get("Identity", "")
        if is_customer(identity):
            return None
        name = _agent_name(identity, _attributes(form.get("Attributes"))) or "Agent"
        if identity:
            if len(names) >= MAX_NAMES:
                names.clear()
            names[identity] = name
        joined = kind == "onParticipantAdded"
        return ContactEvent(
            "agent_joined" if joined else "agent_left",
            kind + form.get("ParticipantSid", identity),
            conversation,
            agent=name,
            at=at,
        )
    if kind == "onConversationStateUpdated" and form.get("StateTo") == "closed":
        return ContactEvent("closed", conversation + "closed", conversation, at=at)
    return None


UNROUTED = ("task.canceled", "workflow.timeout")
"""TaskRouter events after which no agent will take the task (canceled, or the workflow gave up)."""


def taskrouter_event(form: Mapping[str, str]) -> ContactEvent | None:
    """A TaskRouter event callback as a ContactEvent: an agent accepted, the task ended, or it was dropped."""
    kind = form.get("EventType", "")
    if kind not in ("reservation.accepted", "reservation.wrapup", "task.wrapup", "task.completed", *UNROUTED):
        return None
    task = _attributes(form.get("TaskAttributes"))
    conversation = task.get("conversationSid") or next(
        (m.get("sid") for m in (task.get("conversations") or {}).get("media", []) if isinstance(m, dict)),
        None,
    )
    if not conversation:
        return None  # a task flexcord did not create
    if kind == "reservation.accepted":
        agent = form.get("WorkerName") or "Agent"
        return ContactEvent(
            "agent_joined", kind + form.get("ReservationSid", ""), str(conversation), agent=agent
        )
    if kind == "reservation.wrapup":  # the agent is done with the player (left, or transferred)
        worker = form.get("WorkerName") or None
        return ContactEvent("agent_left", kind + form.get("TaskSid", ""), str(conversation), agent=worker)
    moved = task.get("transfer")
    if kind in UNROUTED and isinstance(moved, dict) and not moved.get("back"):  # back where it was
        back = str(moved.get("from") or "")
        event_id = kind + form.get("TaskSid", str(conversation))
        return ContactEvent("transfer_failed", event_id, str(conversation), text=back)
    if kind in UNROUTED:  # nobody will pick the task up: the player is told and offered the bot
        return ContactEvent("failed", kind + form.get("TaskSid", str(conversation)), str(conversation))
    return ContactEvent("closed", f"{conversation}closed", str(conversation))


def interactions_event(form: Mapping[str, str]) -> ContactEvent | None:
    """An Interactions webhook: an agent left the interaction's channel (onParticipantLeft)."""
    if form.get("EventType") != "onParticipantLeft" or form.get("ParticipantType", "agent") != "agent":
        return None
    conversation = form.get("MediaChannelSid", "")
    if not conversation:
        raise BadWebhook("MediaChannelSid is missing")
    ident = "onParticipantLeft" + (form.get("ParticipantSid") or form.get("ChannelSid", ""))
    return ContactEvent("agent_left", ident, conversation)


def studio_event(form: Mapping[str, str], idempotency: str | None) -> ContactEvent:
    """A Studio flow's HTTP widget sending bot text for the player."""
    conversation = form.get("ConversationSid", "")
    if not conversation or not form.get("Body"):
        raise BadWebhook("ConversationSid and Body are required")
    ident = form.get("Id") or idempotency or uuid.uuid4().hex
    return ContactEvent("bot_message", "studio" + ident, conversation, text=form["Body"])


def twilio_webhooks(sink: ContactEventSink, observer: WebhookObserver | None = None) -> Blueprint:
    """The blueprint Twilio posts to: /twilio/conversations, /twilio/taskrouter, /twilio/interactions,
    /twilio/studio/reply."""
    hooks = Blueprint("twilio_webhooks", __name__, url_prefix="/twilio")
    names: dict[str, str] = {}
    pending: set[asyncio.Task[None]] = set()

    def note(endpoint: str, result: str) -> None:
        if observer is not None:
            observer.webhook(endpoint, result)

    def answer(status: int, text: str = "") -> Response:
        return Response(text, status=status, content_type="text/plain")

    async def apply(event: ContactEvent) -> None:
        try:
            await sink.on_contact_event(event)
        except Exception:
            log.exception("applying contact-center event %s failed", event.id)

    async def handle(endpoint: str, to_event: Callable[[dict[str, str]], ContactEvent | None]) -> Response:
        try:
            body = await request.get_data(cache=True, as_text=False, parse_form_data=False)
            fields = parse_form(body, request.content_type)
        except BadWebhook as exc:
            note(endpoint, "bad_request")
            return answer(400, str(exc))
        config = sink.config
        token = config.flex.auth_token or ""
        if not token:
            log.error("a Twilio webhook arrived but flex.auth_token is not set, so it cannot be verified")
        query = request.query_string.decode("latin-1")
        url = config.server.public_url.rstrip("/") + request.path + (f"?{query}" if query else "")
        if not is_valid(token, url, fields, request.headers.get(SIGNATURE_HEADER, "")):
            note(endpoint, "forbidden")
            return answer(403, "invalid X-Twilio-Signature")
        try:
            event = to_event(dict(fields))
        except BadWebhook as exc:
            note(endpoint, "bad_request")
            return answer(400, str(exc))
        if event is None:
            note(endpoint, "ignored")
            return answer(200)
        accept = getattr(sink, "accept_contact_event", None)
        if accept is None:  # a sink that cannot say when an event is safe: apply after the answer
            note(endpoint, "accepted")
            track(asyncio.get_running_loop().create_task(apply(event)))
            return answer(200)
        return await recorded(endpoint, track(asyncio.get_running_loop().create_task(accept(event))))

    def track(task: asyncio.Task[None]) -> asyncio.Task[None]:
        pending.add(task)
        task.add_done_callback(pending.discard)
        return task

    async def recorded(endpoint: str, task: asyncio.Task[None]) -> Response:
        """200 once the event is committed; 503 (Twilio retries, the runtime drops the repeat) if not."""
        done, _ = await asyncio.wait({task}, timeout=ACK_WITHIN)
        if not done:  # still working: it goes on, and a repeated delivery will find it applied
            note(endpoint, "slow")
            return answer(503, "still recording the event; deliver it again")
        if task.cancelled() or task.exception() is not None:
            error = None if task.cancelled() else task.exception()
            log.error("recording a contact-center event failed: %r", error, exc_info=error)
            note(endpoint, "failed")
            return answer(503, "could not record the event; deliver it again")
        note(endpoint, "accepted")
        return answer(200)

    @hooks.after_app_serving
    async def finish_pending() -> None:
        if pending:
            await asyncio.wait(list(pending), timeout=SHUTDOWN_GRACE)

    @hooks.post("/conversations")
    async def conversations() -> Response:
        return await handle("conversations", lambda form: conversation_event(form, names))

    @hooks.post("/taskrouter")
    async def taskrouter() -> Response:
        return await handle("taskrouter", taskrouter_event)

    @hooks.post("/interactions")
    async def interactions() -> Response:
        return await handle("interactions", interactions_event)

    @hooks.post("/studio/reply")
    async def studio_reply() -> Response:
        token = request.headers.get("I-Twilio-Idempotency-Token")
        return await handle("studio", lambda form: studio_event(form, token))

    return hooks
