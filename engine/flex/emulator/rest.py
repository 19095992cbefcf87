"""The Twilio REST endpoints flexcord calls, as HTTP: Conversations v1 and Flex v1 Interactions.

Every request is authenticated with HTTP Basic (account SID and auth token), may meet an
injected fault, and (with the contract check on) must be one Twilio's OpenAPI spec accepts.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from quart import Blueprint, Response, g, jsonify, request
from werkzeug.datastructures import MultiDict

from engine.flex.emulator import flow
from engine.flex.emulator.media import media_entries
from engine.flex.emulator.routes import add_routes, authorized, route
from engine.flex.emulator.state import stamp
from engine.flex.emulator.world import Emulator, Fault, TwilioError

if TYPE_CHECKING:
    from engine.flex.emulator.contract import ContractCheck


def _base() -> str:
    return str(request.host_url).rstrip("/")


def _hooks_on() -> bool:
    return request.headers.get("X-Twilio-Webhook-Enabled", "").lower() == "true"


class TwilioRestApi:
    """The endpoints of one emulated account: each checks its gate, then does what Twilio would."""

    def __init__(self, emulator: Emulator, contract: ContractCheck | None) -> None:
        self.emulator = emulator
        self.state = emulator.state
        self.contract = contract

    def blueprint(self) -> Blueprint:
        """Blueprint of /v1/...: the part of Twilio's API the emulator implements."""
        api = Blueprint("twilio_rest", __name__)
        api.before_request(self.gate)
        api.after_request(self.lose_answer)
        api.register_error_handler(TwilioError, self.twilio_error)
        add_routes(api, self)
        return api

    # --- what every request meets --------------------------------------------------------------

    async def gate(self) -> Response | None:
        """Authentication, an injected fault, then the contract check; an answer here ends the request."""
        emulator = self.emulator
        emulator.requests.append({"method": request.method, "path": request.path, "at": time.time()})
        if not authorized(request.headers.get("Authorization", ""), emulator):
            return _error(TwilioError(401, 20003, "Authenticate"))
        fault = emulator.take_fault(request.method, request.path)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.after:
                g.fault_after = fault
            elif fault.status is not None:
                return _fault_answer(fault)
        return await self._check_contract()

    async def _check_contract(self) -> Response | None:
        if self.contract is None:
            return None
        body = await request.get_data(cache=True, as_text=False, parse_form_data=False)
        problems = self.contract.check(
            request.method,
            request.path,
            request.query_string.decode("latin-1"),
            dict(request.headers),
            body,
            request.content_type or "",
        )
        if not problems:
            return None
        self.emulator.violations.append({"method": request.method, "path": request.path, "errors": problems})
        return _error(TwilioError(400, 20001, "; ".join(problems)))

    async def lose_answer(self, answer: Response) -> Response:
        """A fault injected with `after`: the work is done, the answer is lost."""
        fault: Fault | None = g.pop("fault_after", None)
        return _fault_answer(fault) if fault is not None and fault.status is not None else answer

    async def twilio_error(self, error: TwilioError) -> Response:
        return _error(error)

    # --- Conversations v1 ----------------------------------------------------------------------

    @route("POST", "/v1/Conversations")
    async def create_conversation(self) -> tuple[Response, int]:
        form = await request.form
        c = self.emulator.create_conversation(
            form.get("FriendlyName"), form.get("UniqueName"), form.get("Attributes"), form.get("State")
        )
        c.timers = {k.split(".")[1]: v for k, v in form.items() if k.startswith("Timers.")}
        return jsonify(self.state.conversation_json(c, _base())), 201

    @route("GET", "/v1/Conversations/<sid>")
    async def fetch_conversation(self, sid: str) -> Response:
        return jsonify(self.state.conversation_json(self.emulator.conversation(sid), _base()))

    @route("POST", "/v1/Conversations/<sid>")
    async def update_conversation(self, sid: str) -> Response:
        c = self.emulator.conversation(sid)
        form = await request.form
        await self.emulator.update_conversation(c, form.to_dict(), source="API", webhooks=_hooks_on())
        return jsonify(self.state.conversation_json(c, _base()))

    @route("DELETE", "/v1/Conversations/<sid>")
    async def delete_conversation(self, sid: str) -> tuple[str, int]:
        self.emulator.delete_conversation(sid)
        return "", 204

    @route("POST", "/v1/Conversations/<sid>/Participants")
    async def add_participant(self, sid: str) -> tuple[Response, int]:
        c = self.emulator.conversation(sid)
        form = await request.form
        identity = form.get("Identity")
        if not identity:
            raise TwilioError(400, 20001, "Identity is required for a chat participant")
        p = await self.emulator.add_participant(
            c, identity, form.get("Attributes"), source="API", webhooks=_hooks_on()
        )
        return jsonify(self.state.participant_json(p, _base())), 201

    @route("GET", "/v1/Conversations/<sid>/Participants")
    async def list_participants(self, sid: str) -> Response:
        c = self.emulator.conversation(sid)
        return _page(
            "participants", [self.state.participant_json(p, _base()) for p in c.participants.values()]
        )

    @route("POST", "/v1/Conversations/<sid>/Webhooks")
    async def add_webhook(self, sid: str) -> tuple[Response, int]:
        c = self.emulator.conversation(sid)
        form = await request.form
        w = self.emulator.add_webhook(
            c,
            form.get("Target", ""),
            form.get("Configuration.Url"),
            form.get("Configuration.Method", "post"),
            form.getlist("Configuration.Filters"),
        )
        return jsonify(self.state.webhook_json(w, _base())), 201

    @route("GET", "/v1/Conversations/<sid>/Webhooks")
    async def list_webhooks(self, sid: str) -> Response:
        c = self.emulator.conversation(sid)
        return _page("webhooks", [self.state.webhook_json(w, _base()) for w in c.webhooks.values()])

    @route("POST", "/v1/Conversations/<sid>/Messages")
    async def add_message(self, sid: str) -> tuple[Response, int]:
        c = self.emulator.conversation(sid)
        form = await request.form
        if not form.get("Body") and not form.getlist("MediaSid"):
            raise TwilioError(400, 20001, "A message needs a Body or a MediaSid")
        m = await self.emulator.add_message(
            c,
            form.get("Author", "system"),
            form.get("Body", ""),
            form.get("Attributes"),
            source="API",
            webhooks=_hooks_on(),
            media=media_entries(self.state, form.getlist("MediaSid")),
        )
        m.date_created = _given_time(form.get("DateCreated")) or m.date_created  # history copied in
        return jsonify(self.state.message_json(m, _base())), 201

    @route("GET", "/v1/Conversations/<sid>/Messages")
    async def list_messages(self, sid: str) -> Response:
        c = self.emulator.conversation(sid)
        messages = c.messages[::-1] if request.args.get("Order") == "desc" else c.messages
        return _page("messages", [self.state.message_json(m, _base()) for m in messages])

    @route("GET", "/v1/ParticipantConversations")
    async def participant_conversations(self) -> Response:
        identity = request.args.get("Identity")
        found = [
            self.state.participant_conversation_json(p, c, _base())
            for c in self.state.conversations.values()
            for p in c.participants.values()
            if identity is not None and p.identity == identity
        ]
        return _page("conversations", found)

    # --- Flex v1 Interactions ------------------------------------------------------------------

    @route("POST", "/v1/Interactions")
    async def create_interaction(self) -> tuple[Response, int]:
        form = await request.form
        channel, routing = _json_field(form, "Channel"), _json_field(form, "Routing")
        task = self.emulator.create_interaction(channel, routing)
        return jsonify(self.state.interaction_json(task, _base())), 201

    @route("GET", "/v1/Interactions/<sid>")
    async def fetch_interaction(self, sid: str) -> Response:
        return jsonify(self.state.interaction_json(self.emulator.interaction(sid), _base()))

    @route("GET", "/v1/Interactions/<sid>/Channels/<channel>")
    async def fetch_channel(self, sid: str, channel: str) -> Response:
        task = self.emulator.interaction(sid, channel)
        flow.settle_channel(self.emulator, task)
        return jsonify(self.state.channel_json(task, _base()))

    @route("POST", "/v1/Interactions/<sid>/Channels/<channel>/Invites")
    async def create_invite(self, sid: str, channel: str) -> tuple[Response, int]:
        form = await request.form
        task = await flow.invite(self.emulator, sid, channel, _json_field(form, "Routing"))
        return jsonify(self.state.invite_json(task, _base())), 201

    @route("POST", "/v1/Interactions/<sid>/Channels/<channel>")
    async def update_channel(self, sid: str, channel: str) -> Response:
        task = self.emulator.interaction(sid, channel)
        form = await request.form
        await self.emulator.update_channel(task, form.get("Status", ""), _json_field(form, "Routing"))
        return jsonify(self.state.channel_json(task, _base()))


def rest_api(emulator: Emulator, contract: ContractCheck | None) -> Blueprint:
    """Blueprint of /v1/...: the part of Twilio's API the emulator implements (see TwilioRestApi)."""
    return TwilioRestApi(emulator, contract).blueprint()


def _fault_answer(fault: Fault) -> Response:
    too_many = fault.status == 429
    status = fault.status or 500
    answer = _error(
        TwilioError(
            status,
            20429 if too_many else 20500,
            "Too Many Requests" if too_many else "Service unavailable (injected fault)",
        )
    )
    if fault.retry_after is not None:
        answer.headers["Retry-After"] = f"{fault.retry_after:g}"
    return answer


def _error(error: TwilioError) -> Response:
    answer = jsonify(error.as_json())
    answer.status_code = error.status
    return answer


def _json_field(form: MultiDict[str, str], name: str) -> dict[str, Any]:
    text = form.get(name)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise TwilioError(400, 20001, f"{name} must be a JSON object") from None
    if not isinstance(value, dict):
        raise TwilioError(400, 20001, f"{name} must be a JSON object")
    return value


def _page(key: str, records: list[dict[str, Any]]) -> Response:
    """One page of a list, with Twilio's `meta` block so the SDK can follow next_page_url."""
    size = min(max(_int(request.args.get("PageSize"), 50), 1), 1000)
    number = max(_int(request.args.get("Page"), 0), 0)
    chunk = records[number * size : (number + 1) * size]
    url = request.base_url

    def link(page: int) -> str:
        query = [
            (k, v) for k, v in request.args.items(multi=True) if k not in ("Page", "PageSize", "PageToken")
        ]
        return f"{url}?{urlencode([*query, ('PageSize', size), ('Page', page), ('PageToken', f'PT{page}')])}"

    more = (number + 1) * size < len(records)
    return jsonify(
        {
            key: chunk,
            "meta": {
                "page": number,
                "page_size": size,
                "first_page_url": link(0),
                "previous_page_url": link(number - 1) if number > 0 else None,
                "url": link(number),
                "next_page_url": link(number + 1) if more else None,
                "key": key,
            },
        }
    )


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _given_time(value: str | None) -> str | None:
    """A DateCreated the caller set (Twilio accepts it to import history), as a Twilio timestamp."""
    if not value:
        return None
    try:
        return stamp(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise TwilioError(400, 20001, f"DateCreated '{value}' is not an ISO 8601 date") from None
