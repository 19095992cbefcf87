"""Twilio's calls into flexcord: Conversations webhooks, TaskRouter events and Studio replies.

Every request must carry an X-Twilio-Signature that validates against the *configured*
public URL (config.server.public_url + path), never the URL the request arrived at, since a
proxy in front of flexcord changes that. A valid call whose sids have Twilio's shapes becomes a
ContactEvent (engine.flex.webhook_events). When the sink can record events durably
(`accept_contact_event`, as the runtime does), the answer waits for that commit, at most
ACK_WITHIN seconds (Twilio waits 5 s): 200 once it is recorded, 503 when it is not yet or it
failed, so Twilio delivers it again and an acknowledged event is never lost. Delivering what the
event says (a DM to the player) happens after the answer. Each event's id is a key Twilio signed,
so a repeated or re-signed delivery is applied once by the runtime.

Work that outlives a request runs in a fresh context, so nothing of the request (its body, headers
or context) is held once the answer is sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Coroutine
from typing import Protocol

from quart import Blueprint, Response, request

from engine.bounded import BoundedMap
from engine.config.model import Config
from engine.events import ContactEvent
from engine.flex.signature import is_valid
from engine.flex.webhook_events import (
    CONVERSATION_EVENTS,
    FORM,
    BadWebhook,
    check_sids,
    conversation_event,
    interactions_event,
    parse_form,
    studio_event,
    taskrouter_event,
)

log = logging.getLogger(__name__)

MAX_NAMES = 10_000  # agents whose friendly name is remembered (learned from onParticipantAdded)
SIGNATURE_HEADER = "X-Twilio-Signature"
SHUTDOWN_GRACE = 5.0
ACK_WITHIN = 4.0  # seconds to wait for the event's commit before asking Twilio to deliver it again

Fields = list[tuple[str, str]]


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


def _answer(status: int, text: str = "") -> Response:
    return Response(text, status=status, content_type="text/plain")


class TwilioWebhooks:
    """The three webhook kinds of one bot: verify, map to a ContactEvent, hand it to the sink."""

    def __init__(self, sink: ContactEventSink, observer: WebhookObserver | None = None) -> None:
        self.sink = sink
        self.observer = observer
        self.agent_names: BoundedMap[str, str] = BoundedMap(MAX_NAMES)  # participant identity -> name
        self._pending: set[asyncio.Task[None]] = set()  # recording or applying, past the answer

    def blueprint(self) -> Blueprint:
        """The blueprint Twilio posts to: /twilio/conversations, /twilio/taskrouter, /twilio/interactions,
        /twilio/studio/reply."""
        hooks = Blueprint("twilio_webhooks", __name__, url_prefix="/twilio")
        hooks.add_url_rule("/conversations", "conversations", self.conversations, methods=["POST"])
        hooks.add_url_rule("/taskrouter", "taskrouter", self.taskrouter, methods=["POST"])
        hooks.add_url_rule("/interactions", "interactions", self.interactions, methods=["POST"])
        hooks.add_url_rule("/studio/reply", "studio_reply", self.studio_reply, methods=["POST"])
        hooks.after_app_serving(self.finish_pending)
        return hooks

    # --- one method per webhook kind --------------------------------------------------------

    async def conversations(self) -> Response:
        """A Conversations webhook: an agent joined, wrote, left, or the conversation closed."""
        return await self._handle("conversations", lambda form, _: conversation_event(form, self.agent_names))

    async def taskrouter(self) -> Response:
        """A TaskRouter event: a reservation accepted, a task ended or nobody will take it."""
        return await self._handle("taskrouter", lambda form, _: taskrouter_event(form))

    async def interactions(self) -> Response:
        """An Interactions webhook (onParticipantLeft)."""
        return await self._handle("interactions", lambda form, _: interactions_event(form))

    async def studio_reply(self) -> Response:
        """A Studio flow's HTTP widget: bot text for the player, keyed by the signed form."""
        return await self._handle("studio", studio_event)

    async def finish_pending(self) -> None:
        """On shutdown, give the work still running a moment to finish."""
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=SHUTDOWN_GRACE)

    # --- shared steps -------------------------------------------------------------------------

    async def _handle(
        self, endpoint: str, to_event: Callable[[dict[str, str], Fields], ContactEvent | None]
    ) -> Response:
        try:
            fields = await self._signed_fields()
            if fields is None:
                self._note(endpoint, "forbidden")
                return _answer(403, "invalid X-Twilio-Signature")
            check_sids(fields)
            event = to_event(dict(fields), fields)
        except BadWebhook as exc:
            self._note(endpoint, "bad_request")
            return _answer(400, str(exc))
        if event is None:
            self._note(endpoint, "ignored")
            return _answer(200)
        accept = getattr(self.sink, "accept_contact_event", None)
        if accept is None:  # a sink that cannot say when an event is safe: apply after the answer
            self._note(endpoint, "accepted")
            self._start(self._apply(event))
            return _answer(200)
        return await self._recorded(endpoint, self._start(accept(event)))

    async def _signed_fields(self) -> Fields | None:
        """The form, if signed by Twilio for the configured URL (None if not; BadWebhook if no form)."""
        body = await request.get_data(cache=False, as_text=False, parse_form_data=False)
        fields = parse_form(body, request.content_type)
        config = self.sink.config
        token = config.flex.auth_token or ""
        if not token:
            log.error("a Twilio webhook arrived but flex.auth_token is not set, so it cannot be verified")
        query = request.query_string.decode("latin-1")
        url = config.server.public_url.rstrip("/") + request.path + (f"?{query}" if query else "")
        return fields if is_valid(token, url, fields, request.headers.get(SIGNATURE_HEADER, "")) else None

    async def _recorded(self, endpoint: str, task: asyncio.Task[None]) -> Response:
        """200 once the event is committed; 503 (Twilio retries, the runtime drops the repeat) if not."""
        done, _ = await asyncio.wait({task}, timeout=ACK_WITHIN)
        if not done:  # still working: it goes on, and a repeated delivery will find it applied
            self._note(endpoint, "slow")
            return _answer(503, "still recording the event; deliver it again")
        if task.cancelled() or task.exception() is not None:
            error = None if task.cancelled() else task.exception()
            log.error("recording a contact-center event failed: %r", error, exc_info=error)
            self._note(endpoint, "failed")
            return _answer(503, "could not record the event; deliver it again")
        self._note(endpoint, "accepted")
        return _answer(200)

    async def _apply(self, event: ContactEvent) -> None:
        try:
            await self.sink.on_contact_event(event)
        except Exception:
            log.exception("applying contact-center event %s failed", event.id)

    def _start(self, work: Coroutine[object, None, None]) -> asyncio.Task[None]:
        """Run `work` in a fresh context (not the request's), tracked until it ends."""
        fresh = contextvars.Context()
        task = asyncio.get_running_loop().create_task(work, context=fresh)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard, context=fresh)
        return task

    def _note(self, endpoint: str, result: str) -> None:
        if self.observer is not None:
            self.observer.webhook(endpoint, result)


def twilio_webhooks(sink: ContactEventSink, observer: WebhookObserver | None = None) -> Blueprint:
    """The blueprint Twilio posts to (see TwilioWebhooks); a new one per app."""
    return TwilioWebhooks(sink, observer).blueprint()


__all__ = [
    "ACK_WITHIN",
    "CONVERSATION_EVENTS",
    "FORM",
    "BadWebhook",
    "ContactEventSink",
    "TwilioWebhooks",
    "WebhookObserver",
    "conversation_event",
    "parse_form",
    "studio_event",
    "taskrouter_event",
    "twilio_webhooks",
]
