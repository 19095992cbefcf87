"""The agent's desk in the sandbox: Flex tasks from the local Flex emulator, and the case records.

An agent accepting, writing and closing here goes through the emulator exactly as the Flex UI
would through Twilio: the emulator fires its signed webhooks at flexcord's webhook server, and
the player hears about it on Discord. Cases are read from flexcord's own store.
"""

from __future__ import annotations

import json
from typing import Any

from engine.flex.emulator import Emulator, Fault, TwilioError
from engine.flex.emulator.state import Task, safe_identity
from engine.flex.identity import is_customer
from engine.sandbox.guild import Refused
from engine.store import CaseRecord, Store

OPEN_TASK = ("pending", "reserved", "assigned")


class AgentDesk:
    """What an agent sees and does: tasks (newest first), their chat, and every case with its history."""

    def __init__(self, emulator: Emulator, store: Store) -> None:
        self.emulator = emulator
        self.store = store

    # --- tasks ---------------------------------------------------------------------------------

    def tasks(self) -> list[dict[str, Any]]:
        tasks = sorted(self.emulator.state.tasks.values(), key=lambda t: t.date_created, reverse=True)
        return [self._task_json(task) for task in tasks]

    @staticmethod
    def _task_json(task: Task) -> dict[str, Any]:
        attributes = dict(task.attributes)
        return {
            "sid": task.sid,
            "status": task.status,
            "case": attributes.get("case"),
            "queue": attributes.get("queue"),
            "priority": task.routing.get("priority", attributes.get("priority", 0)),
            "player": attributes.get("customerName"),
            "agent": task.agent,
            "attributes": attributes,
            "at": task.date_created,
        }

    def _task(self, sid: str) -> Task:
        task = self.emulator.state.tasks.get(sid)
        if task is None:
            raise Refused(f"There is no task {sid}.", 404)
        return task

    async def accept(self, sid: str, agent: str) -> dict[str, Any]:
        """The agent takes the task and joins the player's conversation."""
        task = self._task(sid)
        name = agent.strip() or "Agent"
        await self._twilio(self.emulator.accept(task, name))
        return self._task_json(task)

    async def say(self, sid: str, text: str) -> dict[str, Any]:
        """The agent writes to the player."""
        task = self._task(sid)
        if not text.strip():
            raise Refused("Type a message first.", 400)
        if task.agent is None:
            raise Refused("Accept the task first, then write to the player.", 409)
        if task.status not in OPEN_TASK:
            raise Refused("This chat is closed.", 409)
        await self._twilio(self.emulator.agent_says(task, text))
        return self._task_json(task)

    async def close(self, sid: str) -> dict[str, Any]:
        """The agent ends the chat (the player is told, and asked to rate it)."""
        task = self._task(sid)
        if task.status not in OPEN_TASK:
            raise Refused("This chat is already closed.", 409)
        await self._twilio(self.emulator.agent_closes(task))
        return self._task_json(task)

    def messages(self, sid: str) -> list[dict[str, Any]]:
        """The conversation so far, as the agent sees it: who wrote (player, agent or bot) and what."""
        task = self._task(sid)
        conversation = self.emulator.state.conversations.get(task.conversation_sid)
        if conversation is None:
            return []
        agent = safe_identity(task.agent) if task.agent else None
        player = str(task.attributes.get("customerName") or "player")
        shown = []
        for message in conversation.messages:
            if is_customer(message.author):
                who, name = "player", player
            elif agent is not None and message.author == agent:
                who, name = "agent", task.agent or message.author
            else:
                who, name = "bot", message.author
            shown.append({"from": who, "author": name, "text": message.body, "at": message.date_created})
        return shown

    def inject_fault(self, status: int, count: int) -> None:
        """Make the emulated Twilio answer flexcord's next `count` calls with `status`."""
        self.emulator.faults.append(
            Fault(status=status, count=count, retry_after=1.0 if status == 429 else None)
        )

    @staticmethod
    async def _twilio(call: Any) -> None:
        try:
            await call
        except TwilioError as exc:
            raise Refused(exc.message, exc.status) from exc

    # --- cases ---------------------------------------------------------------------------------

    async def cases(self) -> list[dict[str, Any]]:
        found = await self.store.list_cases()
        return [_case_json(case) for case in sorted(found, key=lambda c: c.created_at, reverse=True)]

    async def case(self, ref: str) -> dict[str, Any]:
        found = await self.store.get_case(ref)
        if found is None:
            raise Refused(f"There is no case {ref}.", 404)
        history = await self.store.case_history(ref)
        transcript = await self.store.case_transcript(ref)
        return {
            **_case_json(found),
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
