"""The agent's side of the emulator, as a small JSON API under /emulator/ (the sandbox page uses it too).

GET  /emulator/tasks                      tasks: sid, status, conversation, attributes, agent
POST /emulator/tasks/<sid>/accept         {"agent": "Ash"}: the agent joins (onParticipantAdded)
POST /emulator/tasks/<sid>/messages       {"text": "..."}: the agent writes (onMessageAdded, Source=SDK);
                                          with {"media_sid": "ME..."} or {"file": {name, content_type,
                                          data (base64)}} (uploaded to the MCS first, as Flex UI does)
                                          the message carries that file
GET  /emulator/media/<sid>                a file in the MCS (its bytes), as the agent's desk shows it
GET  /emulator/tasks/<sid>/messages       the conversation so far
POST /emulator/tasks/<sid>/leave          the agent leaves (onParticipantRemoved, onParticipantLeft,
                                          TaskRouter reservation.wrapup)
POST /emulator/tasks/<sid>/close          the agent ends the chat (onConversationStateUpdated, closed)
POST /emulator/tasks/<sid>/wrapup         the agent ends the chat as Flex UI does (channel closed,
                                          task wrapping, TaskRouter task.wrapup)
POST /emulator/tasks/<sid>/complete       the agent finishes wrap-up (TaskRouter task.completed)
POST /emulator/tasks/<sid>/timeout        nobody took the task in time (TaskRouter workflow.timeout)
POST /emulator/channel-failures           {"count": 1}: the next interaction channels fail
POST /emulator/faults                     {"status": 429, "count": 1, "retry_after": 2, "delay": 0,
                                           "path": "/Messages", "method": "POST", "after": false}
                                          (after: do the work, then answer with the status anyway)
DELETE /emulator/faults                   forget every fault
GET  /emulator/violations                 requests Twilio's OpenAPI spec would refuse
GET  /emulator/deliveries                 webhooks sent, with flexcord's answer
GET  /emulator/requests                   every REST request received (method, path, at)
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from quart import Blueprint, Response, jsonify, request

from engine.flex.emulator import flow
from engine.flex.emulator.media import MAX_MEDIA_BYTES, Media, media_entries
from engine.flex.emulator.routes import add_routes, route
from engine.flex.emulator.state import new_sid
from engine.flex.emulator.world import Emulator, Fault, TwilioError


async def _body() -> dict[str, Any]:
    data = await request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else {}


def _fault(data: dict[str, Any]) -> Fault:
    """The fault a POST /emulator/faults body describes (TwilioError 400 when it is not one)."""
    try:
        return Fault(
            status=int(data["status"]) if data.get("status") is not None else None,
            count=int(data.get("count", 1)),
            retry_after=float(data["retry_after"]) if data.get("retry_after") is not None else None,
            delay=float(data.get("delay", 0)),
            path=str(data["path"]) if data.get("path") else None,
            method=str(data["method"]) if data.get("method") else None,
            after=bool(data.get("after", False)),
        )
    except (TypeError, ValueError) as exc:
        raise TwilioError(400, 20001, f"bad fault: {exc}") from None


class AgentApi:
    """What an agent in Flex (or a test) does to one emulated account, and what it can inspect."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.state = emulator.state

    def blueprint(self) -> Blueprint:
        """Blueprint of /emulator/...: the endpoints in the module docstring."""
        api = Blueprint("flex_agent", __name__, url_prefix="/emulator")
        api.register_error_handler(TwilioError, self.refused)
        add_routes(api, self)
        return api

    async def refused(self, error: TwilioError) -> Response:
        answer = jsonify(error.as_json())
        answer.status_code = error.status
        return answer

    # --- the agent's work on a task ------------------------------------------------------------

    @route("GET", "/tasks")
    async def tasks(self) -> Response:
        return jsonify([t.summary() for t in self.state.tasks.values()])

    @route("GET", "/tasks/<sid>")
    async def task(self, sid: str) -> Response:
        return jsonify(self.emulator.task(sid).summary())

    @route("POST", "/tasks/<sid>/accept")
    async def accept(self, sid: str) -> Response:
        agent = str((await _body()).get("agent") or "Agent")
        await self.emulator.accept(self.emulator.task(sid), agent)
        return jsonify(self.emulator.task(sid).summary())

    @route("POST", "/tasks/<sid>/messages")
    async def say(self, sid: str) -> tuple[Response, int]:
        body = await _body()
        text, media_sid = str(body.get("text") or ""), body.get("media_sid")
        if isinstance(body.get("file"), dict):
            media_sid = self._upload(body["file"])
        media = media_entries(self.state, [str(media_sid)]) if media_sid else None
        if not text and not media:
            raise TwilioError(400, 20001, "text or media_sid is required")
        message = await self.emulator.agent_says(self.emulator.task(sid), text, media)
        return jsonify(self.state.message_json(message, request.host_url.rstrip("/"))), 201

    def _upload(self, file: Mapping[str, object]) -> str:
        """A file the agent attaches, kept by the Media Content Service; its sid."""
        try:
            data = base64.b64decode(str(file.get("data") or ""), validate=True)
        except ValueError:
            raise TwilioError(400, 20001, "file.data must be the file's bytes in base64") from None
        if not data or len(data) > MAX_MEDIA_BYTES:
            raise TwilioError(400, 20001, "a file of 1 byte to 5 MB is required")
        kind = str(file.get("content_type") or "application/octet-stream")
        media = Media(new_sid("ME"), self.state.chat_service_sid, kind, str(file.get("name") or "file"), data)
        self.state.media[media.sid] = media
        return media.sid

    @route("GET", "/media/<sid>")
    async def media(self, sid: str) -> Response:
        found = self.state.media.get(sid)
        if found is None:
            raise TwilioError(404, 20404, f"The requested resource /Media/{sid} was not found")
        return Response(found.data, content_type=found.content_type)

    @route("GET", "/tasks/<sid>/messages")
    async def messages(self, sid: str) -> Response:
        c = self.emulator.conversation(self.emulator.task(sid).conversation_sid)
        return jsonify([self.state.message_json(m, request.host_url.rstrip("/")) for m in c.messages])

    @route("POST", "/tasks/<sid>/leave")
    async def leave(self, sid: str) -> Response:
        await flow.leave(self.emulator, self.emulator.task(sid))
        return jsonify(self.emulator.task(sid).summary())

    @route("POST", "/tasks/<sid>/wrapup")
    async def wrap_up(self, sid: str) -> Response:
        await flow.wrap_up(self.emulator, self.emulator.task(sid))
        return jsonify(self.emulator.task(sid).summary())

    @route("POST", "/tasks/<sid>/timeout")
    async def time_out(self, sid: str) -> Response:
        flow.time_out(self.emulator, self.emulator.task(sid))
        return jsonify(self.emulator.task(sid).summary())

    @route("POST", "/channel-failures")
    async def fail_channels(self) -> Response:
        self.emulator.failing_channels = int((await _body()).get("count", 1))
        return jsonify({"failing_channels": self.emulator.failing_channels})

    @route("POST", "/tasks/<sid>/close")
    async def close(self, sid: str) -> Response:
        await self.emulator.agent_closes(self.emulator.task(sid))
        return jsonify(self.emulator.task(sid).summary())

    @route("POST", "/tasks/<sid>/complete")
    async def complete(self, sid: str) -> Response:
        flow.complete(self.emulator, self.emulator.task(sid))
        return jsonify(self.emulator.task(sid).summary())

    # --- faults and what the emulator saw ------------------------------------------------------

    @route("POST", "/faults")
    async def add_fault(self) -> tuple[Response, int]:
        self.emulator.faults.append(_fault(await _body()))
        return jsonify({"faults": len(self.emulator.faults)}), 201

    @route("DELETE", "/faults")
    async def clear_faults(self) -> Response:
        self.emulator.faults.clear()
        return jsonify({"faults": 0})

    @route("GET", "/violations")
    async def violations(self) -> Response:
        return jsonify(self.emulator.violations)

    @route("GET", "/deliveries")
    async def deliveries(self) -> Response:
        return jsonify([d.as_json() for d in self.emulator.sender.log])

    @route("GET", "/requests")
    async def requests(self) -> Response:
        return jsonify(list(self.emulator.requests))


def agent_api(emulator: Emulator) -> Blueprint:
    """Blueprint of /emulator/...: what an agent in Flex (or a test) does (see AgentApi)."""
    return AgentApi(emulator).blueprint()
