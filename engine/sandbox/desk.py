"""The agent's desk in the sandbox: Flex tasks from the Flex emulator, and the case records.

An agent accepting, writing and closing here goes through the emulator's agent API exactly as
the Flex UI would through Twilio: the emulator fires its signed webhooks at flexcord's webhook
server, and the player hears about it on Discord. The emulator may run in the sandbox's process
or on its own (`flexcord sandbox --flex-url`); the desk reaches it over HTTP either way. Cases
are read from flexcord's own store.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from engine.attachments import sniff
from engine.flex.emulator import Emulator
from engine.flex.emulator.state import safe_identity
from engine.flex.identity import is_customer
from engine.sandbox.guild import Refused
from engine.store import AttachmentRecord, CaseRecord, Store

OPEN_TASK = ("pending", "reserved", "assigned")
DONE_TASK = ("completed", "canceled")  # gone from the agent's list, as in Flex


class AgentDesk:
    """What an agent sees and does: tasks (newest first), their chat, and every case with its history.

    `emulator` is the in-process emulator's state when there is one (tests look at it).
    """

    def __init__(self, emulator_url: str, store: Store, emulator: Emulator | None = None) -> None:
        self.url = emulator_url.rstrip("/")
        self.store = store
        self.emulator = emulator
        self._http: aiohttp.ClientSession | None = None

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _agent_api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the emulator's agent API; its refusals become `Refused` with Twilio's words."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            async with self._http.request(method, f"{self.url}/emulator{path}", json=body) as answer:
                data = await answer.json(content_type=None)
                if answer.status >= 400:
                    message = data.get("message") if isinstance(data, dict) else None
                    raise Refused(
                        str(message or f"the Flex emulator answered {answer.status}"), answer.status
                    )
                return data
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Refused(f"The Flex emulator at {self.url} does not answer: {exc}", 502) from exc

    # --- tasks ---------------------------------------------------------------------------------

    async def tasks(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self._agent_api("GET", "/tasks")
        found.sort(key=lambda task: str(task.get("date_created") or ""), reverse=True)
        return [_task_json(task) for task in found if task.get("status") not in DONE_TASK]

    async def _task(self, sid: str) -> dict[str, Any]:
        task: dict[str, Any] = await self._agent_api("GET", f"/tasks/{sid}")
        return task

    async def accept(self, sid: str, agent: str) -> dict[str, Any]:
        """The agent takes the task and joins the player's conversation."""
        name = agent.strip() or "Agent"
        return _task_json(await self._agent_api("POST", f"/tasks/{sid}/accept", {"agent": name}))

    async def say(self, sid: str, text: str, file: tuple[str, bytes] | None = None) -> dict[str, Any]:
        """The agent writes to the player, with a file if given (Flex takes one file a message)."""
        if not text.strip() and file is None:
            raise Refused("Type a message or attach a file first.", 400)
        task = await self._task(sid)
        if task.get("agent") is None:
            raise Refused("Accept the task first, then write to the player.", 409)
        if task.get("status") not in OPEN_TASK:
            raise Refused("This chat is closed.", 409)
        body: dict[str, object] = {"text": text}
        if file is not None:
            name, data = file
            encoded = base64.b64encode(data).decode("ascii")
            body["file"] = {"name": name, "content_type": sniff(data, name), "data": encoded}
        await self._agent_api("POST", f"/tasks/{sid}/messages", body)
        return _task_json(await self._task(sid))

    async def media(self, media_sid: str) -> bytes:
        """A file in a task's chat, as the agent's desk downloads it from Flex."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            async with self._http.get(f"{self.url}/emulator/media/{quote(media_sid)}") as answer:
                if answer.status >= 400:
                    raise Refused(f"There is no file {media_sid} in Flex.", 404)
                return await answer.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Refused(f"The Flex emulator at {self.url} does not answer: {exc}", 502) from exc

    async def case_file(self, ref: str, file_id: int) -> tuple[AttachmentRecord, bytes]:
        """A file kept with case `ref`."""
        async with self.store.view() as view:
            found = await view.get_attachment(file_id)
        if found is None or found[0].case_ref != ref:
            raise Refused(f"Case {ref} keeps no such file.", 404)
        return found

    async def close(self, sid: str) -> dict[str, Any]:
        """The agent ends the chat as Flex UI does: the task goes to wrap-up, the player is told."""
        task = await self._task(sid)
        if task.get("status") not in OPEN_TASK:
            raise Refused("This chat is already closed.", 409)
        if task.get("agent") is None:
            return _task_json(await self._agent_api("POST", f"/tasks/{sid}/close"))
        return _task_json(await self._agent_api("POST", f"/tasks/{sid}/wrapup"))

    async def complete(self, sid: str) -> dict[str, Any]:
        """The agent finishes wrap-up: the task is completed and leaves the list."""
        task = await self._task(sid)
        if task.get("status") != "wrapping":
            raise Refused("End the chat first; a task is completed after its wrap-up.", 409)
        return _task_json(await self._agent_api("POST", f"/tasks/{sid}/complete"))

    async def messages(self, sid: str) -> list[dict[str, Any]]:
        """The conversation so far, as the agent sees it: who wrote (player, agent or bot) and what."""
        task = await self._task(sid)
        found: list[dict[str, Any]] = await self._agent_api("GET", f"/tasks/{sid}/messages")
        agent = safe_identity(task["agent"]) if task.get("agent") else None
        player = str(task.get("attributes", {}).get("customerName") or "player")
        shown = []
        for message in found:
            author = str(message.get("author") or "")
            if is_customer(author):
                who, name = "player", player
            elif agent is not None and author == agent:
                who, name = "agent", task.get("agent") or author
            else:
                who, name = "bot", author
            files = [_media_json(media) for media in message.get("media") or []]
            shown.append(
                {
                    "from": who,
                    "author": name,
                    "text": message.get("body"),
                    "at": message.get("date_created"),
                    "files": files,
                }
            )
        return shown

    async def inject_fault(self, status: int | str, count: int) -> None:
        """Make the emulated Twilio answer flexcord's next `count` calls with `status`.

        "timeout": the calls are carried out, but flexcord gets a 500 instead of the answer.
        """
        lost = status == "timeout"
        fault = {
            "status": 500 if lost else status,
            "count": count,
            "retry_after": 1.0 if status == 429 else None,
            "after": lost,
        }
        await self._agent_api("POST", "/faults", fault)

    # --- cases ---------------------------------------------------------------------------------

    async def cases(self, limit: int, after: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """One page of cases, most recently updated first, starting after the case `after`; and the
        ref to ask the next page after, or None on the last page. Only the page is read."""
        start = None
        if after is not None:
            start = await self.store.get_case(after.upper())
            if start is None:
                raise Refused(f"There is no case {after.upper()}.", 404)
        found = await self.store.list_cases(limit=limit + 1, after=start)
        following = found[limit - 1].ref if len(found) > limit else None
        return [_case_json(case) for case in found[:limit]], following

    async def case(self, ref: str) -> dict[str, Any]:
        found = await self.store.get_case(ref)
        if found is None:
            raise Refused(f"There is no case {ref}.", 404)
        history = await self.store.case_history(ref)
        transcript = await self.store.case_transcript(ref)
        files = await self.store.case_attachments(ref)
        return {
            **_case_json(found),
            "files": [_kept_json(ref, file) for file in files],
            "history": [
                {
                    "at": event.at.isoformat(),
                    "from": event.from_status,
                    "status": event.to_status,
                    "who": event.who,
                    "note": event.note,
                    "text": _history_line(event.from_status, event.to_status, event.who, event.note),
                }
                for event in history
            ],
            "transcript": [
                {
                    "at": line.at.isoformat(),
                    "author": line.author,
                    "text": line.text,
                    "direction": line.direction,
                }
                for line in transcript
            ],
        }


def _task_json(task: dict[str, Any]) -> dict[str, Any]:
    """A task (as the emulator's agent API lists it) for the page."""
    attributes = dict(task.get("attributes") or {})
    return {
        "sid": task.get("sid"),
        "status": task.get("status"),
        "case": attributes.get("case"),
        "queue": attributes.get("queue"),
        "priority": task.get("priority", attributes.get("priority", 0)),
        "player": attributes.get("customerName"),
        "agent": task.get("agent"),
        "attributes": attributes,
        "at": task.get("date_created"),
    }


def _media_json(media: Mapping[str, object]) -> dict[str, object]:
    """A file in the chat (a message's `media` entry), and where the page reads it."""
    return {
        "name": media.get("filename") or media.get("sid"),
        "content_type": media.get("content_type"),
        "size": media.get("size"),
        "url": f"/sandbox/api/agent/media/{media.get('sid')}",
    }


def _kept_json(ref: str, file: AttachmentRecord) -> dict[str, object]:
    """A file kept with a case: name, type, size, who, when, and where the page reads it."""
    return {
        "name": file.name,
        "content_type": file.content_type,
        "size": file.size,
        "who": file.who,
        "at": file.at.isoformat(),
        "url": f"/sandbox/api/cases/{quote(ref)}/files/{file.id}",
    }


def _history_line(before: str | None, after: str, who: str, note: str | None) -> str:
    """'opened by ash', 'open → closed by Nurse Joy: chat closed', 'note by mod_jenny: ...'."""
    if before is None:
        change = "opened"
    elif before != after:
        change = f"{before} → {after}"
    else:
        change = "note"
    return f"{change} by {who}" + (f": {note}" if note and note != change else "")


def _case_json(case: CaseRecord) -> dict[str, Any]:
    return {
        "ref": case.ref,
        "template": case.template,
        "title": case.title,
        "status": case.status,
        "user_id": case.reporter_id,
        "user_name": case.reporter_name,
        "where": case.where,
        "fields": json.loads(json.dumps(dict(case.fields))),
        "rating": case.rating,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
    }
