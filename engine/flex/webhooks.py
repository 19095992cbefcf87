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

These four paths are answered in ASGI terms, ahead of Quart's request machinery (`serve`, called
by the app, engine.server.App): Quart's request and response objects and contexts cost half of a
bare Quart endpoint's CPU, and these are the calls that come in bursts. What Quart would do for
them is done here: the body limit of the config (413, also for a body sent in chunks), the body's
time limit (408), 405 for another method, 500 for an error of flexcord's.

Work that outlives a request runs in a fresh context, so nothing of the request (its body, headers
or context) is held once the answer is sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Protocol

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope

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
BODY_WITHIN = 10.0  # seconds for the whole body to arrive (408 after)
PREFIX = "/twilio"

Fields = list[tuple[str, str]]
ToEvent = Callable[[dict[str, str], Fields], ContactEvent | None]
Answer = tuple[int, str]


class ContactEventSink(Protocol):
    """The runtime as the webhooks see it: the current config, and where events go.

    A sink may also have `async accept_contact_event(event)`: record it durably, deliver later.
    """

    @property
    def config(self) -> Config: ...

    async def on_contact_event(self, event: ContactEvent) -> None: ...


class WebhookObserver(Protocol):
    """Counts webhook calls by endpoint and result (engine.metrics.Metrics is one; one that also has
    `webhook_took(endpoint, seconds)` is told how long each answer took, refusals included)."""

    def webhook(self, endpoint: str, result: str) -> None: ...


class _Refused(Exception):
    """The request is answered with `status` before its body is read through."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class TwilioWebhooks:
    """The four webhook kinds of one bot: verify, map to a ContactEvent, hand it to the sink."""

    def __init__(self, sink: ContactEventSink, observer: WebhookObserver | None = None) -> None:
        self.sink = sink
        self.observer = observer
        self._took: Callable[[str, float], None] | None = getattr(observer, "webhook_took", None)
        self.agent_names: BoundedMap[str, str] = BoundedMap(MAX_NAMES)  # participant identity -> name
        self._pending: set[asyncio.Task[None]] = set()  # recording or applying, past the answer
        self.routes: dict[str, tuple[str, ToEvent]] = {  # path -> (endpoint, its mapping)
            f"{PREFIX}/conversations": ("conversations", self._conversation),
            f"{PREFIX}/taskrouter": ("taskrouter", lambda form, _: taskrouter_event(form)),
            f"{PREFIX}/interactions": ("interactions", lambda form, _: interactions_event(form)),
            f"{PREFIX}/studio/reply": ("studio", studio_event),
        }

    def _conversation(self, form: dict[str, str], _: Fields) -> ContactEvent | None:
        return conversation_event(form, self.agent_names)

    async def serve(self, scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> bool:
        """Answer the request if it is to one of the webhooks' paths; False (nothing sent) if not."""
        route = self.routes.get(scope["path"])
        if route is None:
            return False
        started = time.perf_counter()
        endpoint, to_event = route
        extra: list[tuple[bytes, bytes]] = []
        try:
            if scope["method"] != "POST":
                extra.append((b"allow", b"POST"))
                raise _Refused(405, "The method is not allowed for the requested URL.")
            headers = _headers(scope["headers"])
            body = await self._body(headers, receive)
            if body is None:  # the caller went away
                return True
            status, text = await self._answer(endpoint, to_event, scope, headers, body)
            answer, content_type = text.encode("utf-8"), TEXT
        except _Refused as refused:
            status, answer, content_type = refused.status, problem_body(refused.status, refused.detail), JSON
        except Exception:
            log.exception("the %s webhook failed", endpoint)
            status, answer, content_type = 500, problem_body(500, "internal error"), JSON
        await _respond(send, status, answer, content_type, extra)
        if self._took is not None:
            self._took(endpoint, time.perf_counter() - started)
        return True

    async def finish_pending(self) -> None:
        """On shutdown, give the work still running a moment to finish."""
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=SHUTDOWN_GRACE)

    # --- shared steps -------------------------------------------------------------------------

    async def _body(self, headers: dict[str, str], receive: ASGIReceiveCallable) -> bytes | None:
        """The whole body, within the config's size (413) and BODY_WITHIN seconds (408); None if
        the caller disconnected."""
        limit = self.sink.config.server.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise _Refused(413, f"request body over {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(BODY_WITHIN):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise _Refused(413, "request body too large")
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise _Refused(408, "the request body did not arrive in time") from None

    async def _answer(
        self, endpoint: str, to_event: ToEvent, scope: HTTPScope, headers: dict[str, str], body: bytes
    ) -> Answer:
        try:
            fields = parse_form(body, headers.get("content-type"))
            if not self._signed(fields, scope, headers.get(SIGNATURE_HEADER.lower(), "")):
                self._note(endpoint, "forbidden")
                return 403, "invalid X-Twilio-Signature"
            check_sids(fields)
            event = to_event(dict(fields), fields)
        except BadWebhook as exc:
            self._note(endpoint, "bad_request")
            return 400, str(exc)
        if event is None:
            self._note(endpoint, "ignored")
            return 200, ""
        accept = getattr(self.sink, "accept_contact_event", None)
        if accept is None:  # a sink that cannot say when an event is safe: apply after the answer
            self._note(endpoint, "accepted")
            self._start(self._apply(event))
            return 200, ""
        return await self._recorded(endpoint, self._start(accept(event)))

    def _signed(self, fields: Fields, scope: HTTPScope, signature: str) -> bool:
        """Whether Twilio signed the form for the configured URL."""
        config = self.sink.config
        token = config.flex.auth_token or ""
        if not token:
            log.error("a Twilio webhook arrived but flex.auth_token is not set, so it cannot be verified")
        query = scope["query_string"].decode("latin-1")
        url = config.server.public_url.rstrip("/") + scope["path"] + (f"?{query}" if query else "")
        return is_valid(token, url, fields, signature)

    async def _recorded(self, endpoint: str, task: asyncio.Task[None]) -> Answer:
        """200 once the event is committed; 503 (Twilio retries, the runtime drops the repeat) if not."""
        done, _ = await asyncio.wait({task}, timeout=ACK_WITHIN)
        if not done:  # still working: it goes on, and a repeated delivery will find it applied
            self._note(endpoint, "slow")
            return 503, "still recording the event; deliver it again"
        if task.cancelled() or task.exception() is not None:
            error = None if task.cancelled() else task.exception()
            log.error("recording a contact-center event failed: %r", error, exc_info=error)
            self._note(endpoint, "failed")
            return 503, "could not record the event; deliver it again"
        self._note(endpoint, "accepted")
        return 200, ""

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


TEXT = b"text/plain; charset=utf-8"
JSON = b"application/json"


def _headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """The request's headers by lower-case name (the last of a repeated one)."""
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw}


def problem_body(status: int, detail: str) -> bytes:
    """The JSON body of the app's error answers, here and on Quart's routes (engine.server)."""
    return json.dumps({"error": detail, "status": status}).encode("utf-8")


async def _respond(
    send: ASGISendCallable,
    status: int,
    body: bytes,
    content_type: bytes,
    extra: list[tuple[bytes, bytes]],
) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode("ascii"))]
    await send({"type": "http.response.start", "status": status, "headers": headers + extra})
    await send({"type": "http.response.body", "body": body, "more_body": False})


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
    "problem_body",
    "studio_event",
    "taskrouter_event",
]
