"""The agent's side of the emulator, as a small JSON API under /emulator/ (the sandbox page uses it too).

GET  /emulator/tasks                      tasks: sid, status, conversation, attributes, agent
POST /emulator/tasks/<sid>/accept         {"agent": "Ash"}: the agent joins (onParticipantAdded)
POST /emulator/tasks/<sid>/messages       {"text": "..."}: the agent writes (onMessageAdded, Source=SDK)
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

from typing import Any

from quart import Blueprint, Response, jsonify, request

from engine.flex.emulator import flow
from engine.flex.emulator.world import Emulator, Fault, TwilioError


def agent_api(emulator: Emulator) -> Blueprint:
    """Blueprint of /emulator/...: what an agent in Flex (or a test) does."""
    api = Blueprint("flex_agent", __name__, url_prefix="/emulator")
    state = emulator.state

    @api.errorhandler(TwilioError)
    async def refused(error: TwilioError) -> Response:
        answer = jsonify(error.as_json())
        answer.status_code = error.status
        return answer

    async def body() -> dict[str, Any]:
        data = await request.get_json(force=True, silent=True)
        return data if isinstance(data, dict) else {}

    @api.get("/tasks")
    async def tasks() -> Response:
        return jsonify([t.summary() for t in state.tasks.values()])

    @api.get("/tasks/<sid>")
    async def task(sid: str) -> Response:
        return jsonify(emulator.task(sid).summary())

    @api.post("/tasks/<sid>/accept")
    async def accept(sid: str) -> Response:
        agent = str((await body()).get("agent") or "Agent")
        await emulator.accept(emulator.task(sid), agent)
        return jsonify(emulator.task(sid).summary())

    @api.post("/tasks/<sid>/messages")
    async def say(sid: str) -> tuple[Response, int]:
        text = str((await body()).get("text") or "")
        if not text:
            raise TwilioError(400, 20001, "text is required")
        message = await emulator.agent_says(emulator.task(sid), text)
        return jsonify(state.message_json(message, request.host_url.rstrip("/"))), 201

    @api.get("/tasks/<sid>/messages")
    async def messages(sid: str) -> Response:
        c = emulator.conversation(emulator.task(sid).conversation_sid)
        return jsonify([state.message_json(m, request.host_url.rstrip("/")) for m in c.messages])

    @api.post("/tasks/<sid>/leave")
    async def leave(sid: str) -> Response:
        await flow.leave(emulator, emulator.task(sid))
        return jsonify(emulator.task(sid).summary())

    @api.post("/tasks/<sid>/wrapup")
    async def wrap_up(sid: str) -> Response:
        await flow.wrap_up(emulator, emulator.task(sid))
        return jsonify(emulator.task(sid).summary())

    @api.post("/tasks/<sid>/timeout")
    async def time_out(sid: str) -> Response:
        flow.time_out(emulator, emulator.task(sid))
        return jsonify(emulator.task(sid).summary())

    @api.post("/channel-failures")
    async def fail_channels() -> Response:
        emulator.failing_channels = int((await body()).get("count", 1))
        return jsonify({"failing_channels": emulator.failing_channels})

    @api.post("/tasks/<sid>/close")
    async def close(sid: str) -> Response:
        await emulator.agent_closes(emulator.task(sid))
        return jsonify(emulator.task(sid).summary())

    @api.post("/tasks/<sid>/complete")
    async def complete(sid: str) -> Response:
        flow.complete(emulator, emulator.task(sid))
        return jsonify(emulator.task(sid).summary())

    @api.post("/faults")
    async def add_fault() -> tuple[Response, int]:
        data = await body()
        try:
            fault = Fault(
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
        emulator.faults.append(fault)
        return jsonify({"faults": len(emulator.faults)}), 201

    @api.delete("/faults")
    async def clear_faults() -> Response:
        emulator.faults.clear()
        return jsonify({"faults": 0})

    @api.get("/violations")
    async def violations() -> Response:
        return jsonify(emulator.violations)

    @api.get("/deliveries")
    async def deliveries() -> Response:
        return jsonify([d.as_json() for d in emulator.sender.log])

    @api.get("/requests")
    async def requests() -> Response:
        return jsonify(list(emulator.requests))

    return api
