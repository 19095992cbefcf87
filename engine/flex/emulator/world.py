"""The emulated Twilio account: what each API call or agent action changes, and which webhooks it fires.

The REST routes (rest.py) and the agent's JSON API (agent.py) are thin layers over `Emulator`.
Webhooks follow Twilio's rules: a conversation-scoped webhook fires for the events in its
filters; changes made through the REST API fire only with `X-Twilio-Webhook-Enabled: true`,
changes made by an agent (the Flex UI, `Source=SDK`) always fire.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.flex.emulator.delivery import QUICK_WAIT, Delivery, WebhookSender
from engine.flex.emulator.state import (
    Conversation,
    FlexState,
    Message,
    Participant,
    Task,
    Webhook,
    json_object,
    new_sid,
    safe_identity,
    stamp,
)


class TwilioError(Exception):
    """An error answered in Twilio's shape: {code, message, more_info, status}."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


@dataclass
class Fault:
    """Answer the next `count` matching requests with `status` (and/or after `delay` seconds)."""

    status: int | None
    count: int
    retry_after: float | None = None
    delay: float = 0.0
    path: str | None = None
    method: str | None = None
    after: bool = False  # do the work, then answer with `status` (the caller cannot tell it happened)

    def matches(self, method: str, path: str) -> bool:
        return (
            self.count > 0
            and (self.path is None or self.path in path)
            and (self.method is None or self.method.upper() == method.upper())
        )


class Emulator:
    """One emulated account: its resources, faults, contract violations and webhook deliveries."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: WebhookSender,
        receipts: Path | None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.clock = clock  # the emulated Twilio's time (the sandbox's clock); None: the real one
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.state = FlexState(account_sid)
        self.sender = sender
        self.receipts = receipts
        self.faults: list[Fault] = []
        self.violations: list[dict[str, Any]] = []
        self.requests: deque[dict[str, Any]] = deque(maxlen=10_000)
        self.failing_channels = 0  # interaction channels still to be made that will fail

    def now(self) -> str:
        """The emulated Twilio's current time as a Twilio timestamp."""
        return stamp(self.clock() if self.clock is not None else None)

    # --- conversations -------------------------------------------------------------------

    def conversation(self, sid: str) -> Conversation:
        found = self.state.conversations.get(sid) or next(
            (c for c in self.state.conversations.values() if c.unique_name == sid), None
        )
        if found is None:
            raise TwilioError(404, 20404, f"The requested resource /Conversations/{sid} was not found")
        return found

    def create_conversation(
        self, friendly_name: str | None, unique_name: str | None, attributes: str | None, state: str | None
    ) -> Conversation:
        if state == "closed":
            raise TwilioError(400, 50384, "Initial state can't be 'closed'")
        if unique_name and any(c.unique_name == unique_name for c in self.state.conversations.values()):
            raise TwilioError(409, 50353, f"Conversation with unique name {unique_name} already exists")
        c = Conversation(new_sid("CH"), friendly_name, unique_name, _json_text(attributes), state or "active")
        c.date_created = c.date_updated = self.now()
        self.state.conversations[c.sid] = c
        return c

    async def update_conversation(
        self, c: Conversation, fields: dict[str, str], *, source: str, webhooks: bool
    ) -> None:
        if c.state == "closed":
            raise TwilioError(400, 50377, "Can't update conversation as it's in final closed state")
        if "Attributes" in fields:
            c.attributes = _json_text(fields["Attributes"])
        if "FriendlyName" in fields:
            c.friendly_name = fields["FriendlyName"]
        c.timers |= {k.split(".")[1]: v for k, v in fields.items() if k.startswith("Timers.")}
        before = c.state
        c.state = fields.get("State", c.state)
        c.date_updated = self.now()
        if c.state != before:
            task = self.state.task_for(c.sid)
            if c.state == "closed" and task is not None and task.status in ("pending", "assigned"):
                task.status = "wrapping" if task.status == "assigned" else "canceled"
            if webhooks:
                await self.fire(
                    c,
                    "onConversationStateUpdated",
                    {
                        "StateFrom": before,
                        "StateTo": c.state,
                        "Reason": source,
                        "DateUpdated": c.date_updated,
                        "FriendlyName": c.friendly_name or "",
                        "Attributes": c.attributes,
                    },
                    source=source,
                    wait=source == "SDK",
                )

    def delete_conversation(self, sid: str) -> None:
        c = self.conversation(sid)
        del self.state.conversations[c.sid]

    async def add_participant(
        self, c: Conversation, identity: str, attributes: str | None, *, source: str, webhooks: bool
    ) -> Participant:
        if c.state == "closed":
            raise TwilioError(400, 50377, "Can't update conversation as it's in final closed state")
        if any(p.identity == identity for p in c.participants.values()):
            raise TwilioError(409, 50433, "Participant already exists")
        p = Participant(new_sid("MB"), c.sid, identity, _json_text(attributes), self.now())
        c.participants[p.sid] = p
        if webhooks:
            await self.fire(
                c, "onParticipantAdded", self._participant_params(p), source=source, wait=source == "SDK"
            )
        return p

    async def remove_participant(self, c: Conversation, p: Participant, *, source: str) -> None:
        c.participants.pop(p.sid, None)
        await self.fire(
            c, "onParticipantRemoved", self._participant_params(p), source=source, wait=source == "SDK"
        )

    def _participant_params(self, p: Participant) -> dict[str, str]:
        return {
            "ParticipantSid": p.sid,
            "Identity": p.identity,
            "Attributes": p.attributes,
            "DateCreated": p.date_created,
        }

    def add_webhook(
        self, c: Conversation, target: str, url: str | None, method: str, filters: list[str]
    ) -> Webhook:
        if target == "webhook" and not url:
            raise TwilioError(400, 20001, "Configuration.Url is required for a webhook target")
        w = Webhook(new_sid("WH"), c.sid, target, url, method, tuple(filters), self.now())
        c.webhooks[w.sid] = w
        return w

    async def add_message(
        self,
        c: Conversation,
        author: str,
        body: str,
        attributes: str | None,
        *,
        source: str,
        webhooks: bool,
        media: list[dict[str, Any]] | None = None,
    ) -> Message:
        if c.state == "closed":
            raise TwilioError(400, 50377, "Can't update conversation as it's in final closed state")
        if len(body) > 1600:
            raise TwilioError(400, 20001, "Message body is too long: the limit is 1,600 characters")
        author_participant = next((p for p in c.participants.values() if p.identity == author), None)
        m = Message(
            new_sid("IM"),
            c.sid,
            len(c.messages),
            author,
            body,
            _json_text(attributes),
            author_participant.sid if author_participant else None,
            self.now(),
            media,
        )
        c.messages.append(m)
        if source == "API":
            self._receipt(m)
        if webhooks:
            params = {
                "MessageSid": m.sid,
                "Index": str(m.index),
                "Author": m.author,
                "Body": m.body,
                "Attributes": m.attributes,
                "DateCreated": m.date_created,
            }
            if m.media:
                params["Media"] = json.dumps(m.media)
            if m.participant_sid:
                params["ParticipantSid"] = m.participant_sid
            if source == "SDK":
                params["ClientIdentity"] = author
            await self.fire(c, "onMessageAdded", params, source=source, wait=source == "SDK")
        return m

    def _receipt(self, m: Message) -> None:
        if self.receipts is None:
            return
        key = json_object(m.attributes).get("key")
        line = {
            "conversation": m.conversation_sid,
            "body": m.body,
            "key": key,
            "sid": m.sid,
            "author": m.author,
            "at": time.time(),
        }
        with self.receipts.open("a", encoding="utf-8") as out:  # one line, on disk before the answer
            out.write(json.dumps(line) + "\n")
            out.flush()
            os.fsync(out.fileno())

    # --- interactions --------------------------------------------------------------------

    def create_interaction(self, channel: dict[str, Any], routing: dict[str, Any]) -> Task:
        properties = channel.get("properties") or {}
        media = properties.get("media_channel_sid")
        if channel.get("type") is None or not isinstance(media, str):
            raise TwilioError(400, 20001, "Channel needs a type and properties.media_channel_sid")
        conversation = self.conversation(media)
        if conversation.state == "closed":
            raise TwilioError(400, 45354, f"Cannot create a Channel for a closed Conversation {media}")
        route = routing.get("properties") or {}
        if not route.get("workspace_sid") or not route.get("workflow_sid"):
            raise TwilioError(400, 20001, "Routing properties need workspace_sid and workflow_sid")
        attributes = route.get("attributes") or {}
        if isinstance(attributes, str):
            attributes = json_object(attributes)
        task = Task(
            new_sid("WT"), new_sid("KD"), new_sid("UO"), conversation.sid, dict(attributes), dict(route)
        )
        task.date_created = self.now()
        task.attributes |= {
            "conversationSid": conversation.sid,
            "flexInteractionSid": task.interaction_sid,
            "flexInteractionChannelSid": task.channel_sid,
        }
        self.state.tasks[task.sid] = task
        self.state.interactions[task.interaction_sid] = task
        return task

    def interaction(self, sid: str, channel_sid: str | None = None) -> Task:
        task = self.state.interactions.get(sid)
        if task is None or (channel_sid is not None and task.channel_sid != channel_sid):
            raise TwilioError(404, 20404, f"The requested resource /Interactions/{sid} was not found")
        return task

    async def update_channel(self, task: Task, status: str, routing: dict[str, Any]) -> None:
        if status == "inactive" and routing.get("status") != "closed":
            raise TwilioError(400, 20001, "Routing status 'closed' is required to make a channel inactive")
        for each in [t for t in self.state.tasks.values() if t.interaction_sid == task.interaction_sid]:
            each.channel_status = status
            if each.status in ("pending", "assigned", "wrapping"):
                each.status = "canceled" if each.status == "pending" else "completed"
        c = self.state.conversations.get(task.conversation_sid)
        if status == "closed" and c is not None and c.state != "closed":
            await self.update_conversation(c, {"State": "closed"}, source="API", webhooks=False)

    # --- the agent's side ----------------------------------------------------------------

    def task(self, sid: str) -> Task:
        task = self.state.tasks.get(sid)
        if task is None:
            raise TwilioError(404, 20404, f"No task {sid}")
        return task

    async def accept(self, task: Task, agent: str) -> Participant:
        if task.status != "pending":
            raise TwilioError(409, 20409, f"Task {task.sid} is {task.status}, not pending")
        task.status, task.agent = "assigned", agent
        c = self.conversation(task.conversation_sid)
        attributes = json.dumps({"friendlyName": agent, "member_type": "agent"})
        p = await self.add_participant(c, safe_identity(agent), attributes, source="SDK", webhooks=True)
        task.agent_participant = p.sid
        return p

    async def agent_says(self, task: Task, text: str, media: list[dict[str, Any]] | None = None) -> Message:
        if task.agent is None:
            raise TwilioError(409, 20409, f"Task {task.sid} has no agent yet: accept it first")
        c = self.conversation(task.conversation_sid)
        author = safe_identity(task.agent)
        return await self.add_message(c, author, text, None, source="SDK", webhooks=True, media=media)

    async def agent_closes(self, task: Task) -> None:
        c = self.conversation(task.conversation_sid)
        task.channel_status = "closed"
        await self.update_conversation(c, {"State": "closed"}, source="SDK", webhooks=True)
        task.status = "wrapping" if task.agent else "canceled"

    # --- webhooks ------------------------------------------------------------------------

    async def fire(
        self, c: Conversation, event: str, params: dict[str, str], *, source: str, wait: bool
    ) -> list[Delivery]:
        """Send `event` to the conversation's webhooks that listen for it."""
        common = {
            "AccountSid": self.account_sid,
            "ChatServiceSid": self.state.chat_service_sid,
            "ConversationSid": c.sid,
            "EventType": event,
            "Source": source,
        }
        deliveries = [
            self.sender.enqueue(
                event,
                c.sid,
                w.url,
                w.method,
                {**common, **params, "WebhookSid": w.sid, "WebhookType": "webhook"},
            )
            for w in c.webhooks.values()
            if w.target == "webhook" and w.url and event in w.filters
        ]
        if not wait:
            return []
        # An agent's action waits for its webhooks' quick attempts, but not behind an earlier
        # webhook of the conversation that is waiting for a retry: Flex takes the message anyway.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(QUICK_WAIT):
                for delivery in deliveries:
                    await delivery.answered.wait()
        return deliveries

    async def settle(self, timeout: float | None = None) -> bool:
        """Wait for webhooks still being delivered (at shutdown, or in a test); False if some still are."""
        return await self.sender.settle(timeout)

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                return fault
        return None


def _json_text(value: str | None) -> str:
    """Twilio's attributes: valid JSON text, "{}" when not given."""
    if value is None or value == "":
        return "{}"
    try:
        json.loads(value)
    except ValueError:
        raise TwilioError(400, 20001, "Attributes must be a string of valid JSON") from None
    return value
