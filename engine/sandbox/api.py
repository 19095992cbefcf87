"""The sandbox page and its JSON API, as one Quart blueprint on flexcord's own server.

| Method | Path | Body or query | Answer |
|---|---|---|---|
| GET | / | | the sandbox page |
| GET | /sandbox/api/state | | State |
| GET | /sandbox/api/messages | ?user=U&channel=C (channel name or dm) | [Message], oldest first |
| POST | /sandbox/api/messages | {user, channel, text, files: [{name, data}]} | Message; 403 if not allowed |
| GET | /sandbox/api/files/CHANNEL/ID/NAME | | a file on a Discord message (pictures inline) |
| POST | /sandbox/api/commands | {user, channel, name, options: {o: value or {name, data}}} | {reply}/{form} |
| POST | /sandbox/api/forms | {user, form, values: {field: value or [{name, data}]}} | {reply} |
| POST | /sandbox/api/buttons | {user, message, button} (button id or label) | {reply} or {form} |
| GET | /sandbox/api/agent/tasks | | [Task], newest first |
| POST | /sandbox/api/agent/tasks/SID/accept | {agent} | Task; the player is told who joined |
| GET | /sandbox/api/agent/tasks/SID/messages | | [{from: player/agent/bot, author, text, at}] |
| POST | /sandbox/api/agent/tasks/SID/messages | {text, file: {name, data}} | Task; it reaches the player |
| GET | /sandbox/api/agent/media/SID | | a file in a task's chat (pictures inline) |
| POST | /sandbox/api/agent/tasks/SID/close | {} | Task; the player is told, asked to rate |
| GET | /sandbox/api/cases | ?limit=50&after=REF (optional) | [Case], latest update first; a page |
| GET | /sandbox/api/cases/REF | | Case with history, transcript and files |
| GET | /sandbox/api/cases/REF/files/ID | | a file kept with the case (pictures inline) |
| POST | /sandbox/api/faults | {target: discord/twilio, status: 429/500/"timeout", count} | next calls fail |
| POST | /sandbox/api/faults | {target: discord, refuse_dms: name} | the player blocks DMs from the bot |
| POST | /sandbox/api/reload | | the reload result {ok, version, errors} (no token) |
| GET, POST | /sandbox/api/clock | {now: ISO 8601, or null for real time} | the clock, as in State |

- State: {guild, channels: [{name, topic, can_view: {user: bool}, can_send: {user: bool}}],
  users: [{name, id, roles, locale (their app's), language: {how: chosen/seen, locale} or null (the
  bot's)}], commands: [{name, description, options: [{name, type,
  description, required, choices}], channels, roles, dm}], config: {version, name,
  last_reload: {ok, at, version, errors: [{file, line, col, message, hint}], warnings}},
  clock: {now, shifted, hours, timezone, note}, notice}; `commands` ends with `/flexcord reload`
  (admin role); `clock.note` says why the clock is not the real time (moved to business hours),
  `notice` what the page should say about this start (after a restart: Discord starts empty)
- Message: {id, author, bot, text, embeds: [{title, url, description, author, fields, footer}],
  buttons: [{id, label, style, url, disabled}], ephemeral, at, files: [File]}
- File: {name, content_type, size, url} (and who, at for a case's files); `data` sent is base64
- reply: {text, embeds, buttons, ephemeral, messages: [Message]}
- form: {id, title, fields: [{name, label, style, required, min_length, max_length, type, max_files}]}
- Task: {sid, status, case, queue, priority, player, agent, attributes, at}
- Case: {ref, template, title, status, user_name, where, fields, rating, created_at,
  history: [{at, from, status, who, note, text}], transcript: [{at, author, text, direction}]}

The case list comes a page at a time (50 cases unless ?limit= says otherwise, at most 500), read
from the store page by page as `flexcord cases list` does. When more cases follow, the answer has a
header `Link: </sandbox/api/cases?after=REF&limit=N>; rel="next"`: the next page.

A "timeout" fault is carried out, but the bot gets no answer (Discord: a timeout; Twilio: a 500),
as when a connection drops at the wrong moment. Refusing DMs answers each DM to the player with
Discord's error 50007 until the sandbox restarts.

Errors are {"error": "what went wrong, in plain words"} with a 4xx status (503: flexcord could not
save a message; it is kept and retried).

Another website open in the same browser must not drive the sandbox: a POST must say
`Content-Type: application/json` (415 otherwise; a plain form cannot), and the `Host` and any
`Origin` must name the sandbox itself (403 otherwise): a loopback name (127.0.0.1, localhost,
[::1]) or the address given with `--host`; listening on every address, any Host, and an
Origin only of that same host.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from quart import Blueprint, Response, jsonify, request, send_from_directory

from engine.agentdesk.blueprint import file_response
from engine.sandbox.clock import parse_moment
from engine.sandbox.guild import Refused
from engine.sandbox.locales import spoken_locales

if TYPE_CHECKING:
    from engine.sandbox.app import Sandbox

STATIC = Path(__file__).parent / "static"
FAULTS = (429, 500, "timeout")
CASES_PAGE = 50
MAX_FILES = 10  # files on one message, as Discord takes them
MAX_CASES_PAGE = 500
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
EVERY_ADDRESS = frozenset({"0.0.0.0", "::", ""})


def _error(error: Refused) -> tuple[Response, int]:
    return jsonify({"error": error.message}), error.status


def _hostname(value: str) -> str:
    """The host name of a Host header or an Origin ('http://[::1]:8080' -> '::1'), lower case."""
    value = value.strip().lower()
    if "://" in value:
        value = urlsplit(value).netloc
    if value.startswith("["):
        return value[1:].partition("]")[0]
    return value.rpartition(":")[0] if value.count(":") == 1 else value


def guard(listen_host: str) -> Callable[[], Awaitable[None]]:
    """A check before every sandbox request: JSON for POSTs, and Host and Origin naming the sandbox."""
    anywhere = listen_host.strip().lower().strip("[]") in EVERY_ADDRESS
    allowed = LOOPBACK_NAMES | {listen_host.strip().lower().strip("[]")}

    async def check() -> None:
        host = request.headers.get("Host", "")
        names = [("Host", host)]
        origin = request.headers.get("Origin")
        if origin is not None:
            names.append(("Origin", origin))
        for header, value in names:
            # listening everywhere, any name may reach it, but a page only from the sandbox itself
            known = _hostname(value) == _hostname(host) if anywhere else _hostname(value) in allowed
            if not known:
                raise Refused(f"{header} '{value}' is not this sandbox; open it at its own address.", 403)
        if request.method == "POST" and request.mimetype != "application/json":
            raise Refused("Send the body as JSON, with Content-Type: application/json.", 415)

    return check


async def _body() -> dict[str, Any]:
    data = await request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused("Send a JSON object as the request body.", 400)
    return data


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise Refused(f"'{name}' is missing.", 400)
    return value


def _list(data: dict[str, object], name: str) -> list[object]:
    value = data.get(name) or []
    if not isinstance(value, list) or len(value) > MAX_FILES:
        raise Refused(f"'{name}' must be a list of at most {MAX_FILES}.", 400)
    return value


def _file(given: object) -> tuple[str, bytes]:
    """A file the page attached: {name, data (its bytes in base64)}."""
    if not isinstance(given, dict) or not isinstance(given.get("name"), str) or not given["name"].strip():
        raise Refused("Each file needs a name and its data in base64.", 400)
    try:
        return given["name"].strip(), base64.b64decode(str(given.get("data") or ""), validate=True)
    except ValueError as exc:
        raise Refused(f"The data of {given['name']} is not base64.", 400) from exc


def _map(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise Refused(f"'{name}' must be an object of name: value.", 400)
    return value


def sandbox_blueprint(sandbox: Sandbox) -> Blueprint:
    """The page at / and the JSON API under /sandbox/api/ (see the module docstring)."""
    page = Blueprint("sandbox", __name__)
    page.register_error_handler(Refused, _error)
    page.before_request(guard(sandbox.host))
    _page_routes(page, sandbox)
    _player_routes(page, sandbox)
    _agent_routes(page, sandbox)
    _tool_routes(page, sandbox)
    return page


UNSAVED = "flexcord could not save this message (its database refused the write); it is kept and retried."


def _page_routes(page: Blueprint, sandbox: Sandbox) -> None:
    """The page, its files, and the state it draws."""

    @page.get("/")
    async def index() -> Response:
        return await send_from_directory(STATIC, "index.html")

    @page.get("/sandbox/static/<path:name>")
    async def static_file(name: str) -> Response:
        return await send_from_directory(STATIC, name)

    @page.get("/sandbox/api/state")
    async def state() -> Response:
        found = sandbox.state()
        spoken = await spoken_locales(sandbox.store, sandbox.guild.user_ids())
        for user in found["users"]:
            user["language"] = spoken.get(user["name"])  # what the bot speaks to them
        return jsonify(found)


def _player_routes(page: Blueprint, sandbox: Sandbox) -> None:
    """What the server's people see and do."""
    guild, players = sandbox.guild, sandbox.players

    @page.get("/sandbox/api/messages")
    async def messages() -> Response:
        user = request.args.get("user", "")
        channel = request.args.get("channel", "")
        if not user or not channel:
            raise Refused("Say whose messages and where: ?user=ash&channel=dm", 400)
        return jsonify(guild.messages(user, channel))

    @page.post("/sandbox/api/messages")
    async def post_message() -> Response:
        data = await _body()
        waiting = sandbox.runtime.waiting_to_store
        files = [_file(given) for given in _list(data, "files")]
        text = _field(data, "text") if not files else str(data.get("text") or "")
        sent = await players.send(_field(data, "user"), _field(data, "channel"), text, files)
        if sandbox.runtime.waiting_to_store > waiting:  # SimCord returns once the bot handled it
            raise Refused(UNSAVED, 503)
        return jsonify(sent)

    @page.get("/sandbox/api/files/<int:channel>/<int:attachment>/<name>")
    async def discord_file(channel: int, attachment: int, name: str) -> Response:
        data = guild.file(channel, attachment, name)
        if data is None:
            raise Refused("That file is gone (the emulated Discord starts empty after a restart).", 404)
        return file_response(name, data)

    @page.post("/sandbox/api/commands")
    async def command() -> Response:
        data = await _body()
        name = _field(data, "name").lstrip("/")
        spec = sandbox.runtime.config.commands.get(name)
        given = {  # a file option's value: the file picked, {name, data}
            key: _file(value) if isinstance(value, dict) else value
            for key, value in _map(data, "options").items()
        }
        options = players.option_values(spec, given)
        return jsonify(await players.command(_field(data, "user"), _field(data, "channel"), name, options))

    @page.post("/sandbox/api/forms")
    async def form() -> Response:
        data = await _body()
        values = {
            name: [_file(given) for given in value] if isinstance(value, list) else value
            for name, value in _map(data, "values").items()
        }  # a file field's value: the files picked, each {name, data}
        return jsonify(await players.submit(_field(data, "user"), _field(data, "form"), values))

    @page.post("/sandbox/api/buttons")
    async def button() -> Response:
        data = await _body()
        return jsonify(
            await players.click(_field(data, "user"), _field(data, "message"), _field(data, "button"))
        )


def _agent_routes(page: Blueprint, sandbox: Sandbox) -> None:
    """The agent desk: tasks, their chat, and the cases."""
    desk = sandbox.desk

    @page.get("/sandbox/api/agent/tasks")
    async def tasks() -> Response:
        return jsonify(await desk.tasks())

    async def agent_action(action: Callable[[], Awaitable[dict[str, Any]]]) -> Response:
        return jsonify(await action())

    @page.post("/sandbox/api/agent/tasks/<sid>/accept")
    async def accept(sid: str) -> Response:
        data = await _body()
        return await agent_action(lambda: desk.accept(sid, str(data.get("agent") or "Agent")))

    @page.get("/sandbox/api/agent/tasks/<sid>/messages")
    async def task_messages(sid: str) -> Response:
        return jsonify(await desk.messages(sid))

    @page.post("/sandbox/api/agent/tasks/<sid>/messages")
    async def agent_says(sid: str) -> Response:
        data = await _body()
        file = _file(data["file"]) if data.get("file") is not None else None
        text = _field(data, "text") if file is None else str(data.get("text") or "")
        return await agent_action(lambda: desk.say(sid, text, file))

    @page.get("/sandbox/api/agent/media/<sid>")
    async def agent_media(sid: str) -> Response:
        return file_response(sid, await desk.media(sid))

    @page.post("/sandbox/api/agent/tasks/<sid>/close")
    async def close(sid: str) -> Response:
        return await agent_action(lambda: desk.close(sid))

    @page.post("/sandbox/api/agent/tasks/<sid>/complete")
    async def complete(sid: str) -> Response:
        return await agent_action(lambda: desk.complete(sid))

    @page.get("/sandbox/api/cases")
    async def cases() -> Response:
        limit = request.args.get("limit", str(CASES_PAGE))
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_CASES_PAGE:
            raise Refused(f"limit must be a number from 1 to {MAX_CASES_PAGE}.", 400)
        found, following = await desk.cases(int(limit), request.args.get("after") or None)
        answer = jsonify(found)
        if following is not None:
            answer.headers["Link"] = f'</sandbox/api/cases?after={following}&limit={limit}>; rel="next"'
        return answer

    @page.get("/sandbox/api/cases/<ref>")
    async def case(ref: str) -> Response:
        return jsonify(await desk.case(ref))

    @page.get("/sandbox/api/cases/<ref>/files/<int:file_id>")
    async def case_file(ref: str, file_id: int) -> Response:
        record, data = await desk.case_file(ref, file_id)
        return file_response(record.name, data)


def _tool_routes(page: Blueprint, sandbox: Sandbox) -> None:
    """What a tester does: faults on either side, a reload, the clock."""
    guild, desk = sandbox.guild, sandbox.desk

    @page.post("/sandbox/api/faults")
    async def faults() -> Response:
        data = await _body()
        target, refuse = data.get("target"), data.get("refuse_dms")
        if target == "discord" and isinstance(refuse, str):
            await guild.refuse_dms(guild.person(refuse))
            return jsonify({"ok": True, "target": target, "refuse_dms": refuse})
        status, count = data.get("status"), data.get("count", 1)
        if status not in FAULTS or not isinstance(count, int) or not 1 <= count <= 100:
            raise Refused('Send {target, status: 429, 500 or "timeout", count: 1 to 100}.', 400)
        if target == "discord":
            await guild.inject_fault(status, count)
        elif target == "twilio":
            await desk.inject_fault(status, count)
        else:
            raise Refused("target must be 'discord' or 'twilio'.", 400)
        return jsonify({"ok": True, "target": target, "status": status, "count": count})

    @page.post("/sandbox/api/reload")
    async def reload() -> Response:
        result = await sandbox.reload("sandbox page")
        return jsonify(result)

    @page.get("/sandbox/api/clock")
    async def get_clock() -> Response:
        return jsonify(sandbox.clock_json())

    @page.post("/sandbox/api/clock")
    async def set_clock() -> Response:
        data = await _body()
        given = data.get("now")
        try:
            moment = parse_moment(given) if isinstance(given, str) and given.strip() else None
        except ValueError as exc:
            raise Refused(str(exc), 400) from exc
        await sandbox.set_clock(moment)
        return jsonify(sandbox.clock_json())


def diagnostic_json(diagnostic: Any, root: Path) -> dict[str, Any]:
    """A config problem for the page: file (relative to the bot's folder), line, col, message, hint."""
    data = asdict(diagnostic)
    shown = {key: data.get(key) for key in ("file", "line", "col", "severity", "message", "hint")}
    with contextlib.suppress(ValueError):
        shown["file"] = str(Path(str(shown["file"])).resolve().relative_to(root.resolve()))
    return shown
