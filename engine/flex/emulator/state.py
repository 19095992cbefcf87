"""What the Flex emulator remembers: conversations, participants, messages, webhooks and Flex tasks.

Rendering follows Twilio's JSON shapes (sid prefixes, ISO dates, url and links) closely enough
for the twilio SDK's instance classes; `base` is the emulator's own URL so links lead back here.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.flex.emulator.media import Media

TaskStatus = str  # pending | assigned | wrapping | completed | canceled


def new_sid(prefix: str) -> str:
    """A Twilio-shaped sid: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def stamp(moment: datetime | None = None) -> str:
    """A Twilio timestamp ("2026-11-23T18:00:00Z") of `moment`, default now."""
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> str:
    return stamp()


def safe_identity(name: str) -> str:
    """An agent's display name as a Twilio identity ("Ash Ketchum" -> "ash_ketchum")."""
    return re.sub(r"[^a-z0-9_.\-]", "_", name.strip().lower()) or "agent"


@dataclass
class Participant:
    sid: str
    conversation_sid: str
    identity: str
    attributes: str = "{}"
    date_created: str = field(default_factory=now)


@dataclass
class Message:
    sid: str
    conversation_sid: str
    index: int
    author: str
    body: str
    attributes: str = "{}"
    participant_sid: str | None = None
    date_created: str = field(default_factory=now)
    media: list[dict[str, Any]] | None = None  # engine.flex.emulator.media.Media.entry() of each file


@dataclass
class Webhook:
    sid: str
    conversation_sid: str
    target: str
    url: str | None
    method: str
    filters: tuple[str, ...]
    date_created: str = field(default_factory=now)


@dataclass
class Conversation:
    sid: str
    friendly_name: str | None
    unique_name: str | None
    attributes: str = "{}"
    state: str = "active"
    timers: dict[str, str] = field(default_factory=dict)  # Timers.Inactive / Timers.Closed as given
    date_created: str = field(default_factory=now)
    date_updated: str = field(default_factory=now)
    participants: dict[str, Participant] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    webhooks: dict[str, Webhook] = field(default_factory=dict)


@dataclass
class Task:
    """A Flex task made by an Interaction: what an agent sees in the emulator's task list."""

    sid: str
    interaction_sid: str
    channel_sid: str
    conversation_sid: str
    attributes: dict[str, Any]
    routing: dict[str, Any]
    status: TaskStatus = "pending"
    channel_status: str = "setup"  # setup -> active or failed (engine.flex.emulator.flow) -> closed
    agent: str | None = None
    agent_participant: str | None = None
    date_created: str = field(default_factory=now)
    invite_sid: str | None = None  # set when an invite (a transfer) made this task

    def summary(self) -> dict[str, object]:
        return {
            "sid": self.sid,
            "status": self.status,
            "conversation": self.conversation_sid,
            "interaction": self.interaction_sid,
            "channel": self.channel_sid,
            "attributes": self.attributes,
            "agent": self.agent,
            "queue": self.attributes.get("queue"),
            "priority": self.routing.get("priority", self.attributes.get("priority", 0)),
            "channel_status": self.channel_status,
            "date_created": self.date_created,
        }


class FlexState:
    """Every resource the emulator holds, by sid."""

    def __init__(self, account_sid: str) -> None:
        self.account_sid = account_sid
        self.chat_service_sid = "IS" + uuid.uuid5(uuid.NAMESPACE_URL, account_sid).hex
        self.conversations: dict[str, Conversation] = {}
        self.tasks: dict[str, Task] = {}
        self.interactions: dict[str, Task] = {}
        self.media: dict[str, Media] = {}  # sid -> the file uploaded under it

    def task_for(self, conversation_sid: str) -> Task | None:
        """The newest task routing this conversation, if any."""
        found = [t for t in self.tasks.values() if t.conversation_sid == conversation_sid]
        return found[-1] if found else None

    # --- rendering -----------------------------------------------------------------------

    def conversation_json(self, c: Conversation, base: str) -> dict[str, object]:
        url = f"{base}/v1/Conversations/{c.sid}"
        return {
            "sid": c.sid,
            "account_sid": self.account_sid,
            "chat_service_sid": self.chat_service_sid,
            "messaging_service_sid": None,
            "friendly_name": c.friendly_name,
            "unique_name": c.unique_name,
            "attributes": c.attributes,
            "date_created": c.date_created,
            "date_updated": c.date_updated,
            "state": c.state,
            "timers": {name.lower(): value for name, value in c.timers.items()},
            "bindings": {},
            "url": url,
            "links": {
                "participants": f"{url}/Participants",
                "messages": f"{url}/Messages",
                "webhooks": f"{url}/Webhooks",
            },
        }

    def participant_json(self, p: Participant, base: str) -> dict[str, object]:
        return {
            "sid": p.sid,
            "account_sid": self.account_sid,
            "conversation_sid": p.conversation_sid,
            "identity": p.identity,
            "attributes": p.attributes,
            "messaging_binding": None,
            "role_sid": None,
            "date_created": p.date_created,
            "date_updated": p.date_created,
            "url": f"{base}/v1/Conversations/{p.conversation_sid}/Participants/{p.sid}",
            "last_read_message_index": None,
            "last_read_timestamp": None,
        }

    def message_json(self, m: Message, base: str) -> dict[str, object]:
        url = f"{base}/v1/Conversations/{m.conversation_sid}/Messages/{m.sid}"
        return {
            "sid": m.sid,
            "account_sid": self.account_sid,
            "conversation_sid": m.conversation_sid,
            "body": m.body,
            "media": m.media,
            "author": m.author,
            "participant_sid": m.participant_sid,
            "attributes": m.attributes,
            "date_created": m.date_created,
            "date_updated": m.date_created,
            "index": m.index,
            "delivery": None,
            "content_sid": None,
            "url": url,
            "links": {"delivery_receipts": f"{url}/Receipts"},
        }

    def webhook_json(self, w: Webhook, base: str) -> dict[str, object]:
        return {
            "sid": w.sid,
            "account_sid": self.account_sid,
            "conversation_sid": w.conversation_sid,
            "target": w.target,
            "url": f"{base}/v1/Conversations/{w.conversation_sid}/Webhooks/{w.sid}",
            "configuration": {"url": w.url, "method": w.method, "filters": list(w.filters)},
            "date_created": w.date_created,
            "date_updated": w.date_created,
        }

    def participant_conversation_json(self, p: Participant, c: Conversation, base: str) -> dict[str, object]:
        return {
            "account_sid": self.account_sid,
            "chat_service_sid": self.chat_service_sid,
            "participant_sid": p.sid,
            "participant_user_sid": None,
            "participant_identity": p.identity,
            "participant_messaging_binding": None,
            "conversation_sid": c.sid,
            "conversation_unique_name": c.unique_name,
            "conversation_friendly_name": c.friendly_name,
            "conversation_attributes": c.attributes,
            "conversation_date_created": c.date_created,
            "conversation_date_updated": c.date_updated,
            "conversation_created_by": "system",
            "conversation_state": c.state,
            "conversation_timers": {},
            "links": {
                "participant": f"{base}/v1/Conversations/{c.sid}/Participants/{p.sid}",
                "conversation": f"{base}/v1/Conversations/{c.sid}",
            },
        }

    def interaction_json(self, t: Task, base: str) -> dict[str, object]:
        url = f"{base}/v1/Interactions/{t.interaction_sid}"
        return {
            "sid": t.interaction_sid,
            "channel": {"type": "chat", "sid": t.channel_sid},
            "routing": {
                "reservation": None,
                "properties": {
                    **{k: v for k, v in t.routing.items() if k != "attributes"},
                    "sid": t.sid,
                    "assignment_status": t.status,
                    "account_sid": self.account_sid,
                    "attributes": json.dumps(t.attributes),
                    "date_created": t.date_created,
                },
            },
            "interaction_context_sid": None,
            "webhook_ttid": None,
            "url": url,
            "links": {"channels": f"{url}/Channels"},
        }

    def invite_json(self, t: Task, base: str) -> dict[str, object]:
        url = f"{base}/v1/Interactions/{t.interaction_sid}/Channels/{t.channel_sid}/Invites/{t.invite_sid}"
        properties = {**{k: v for k, v in t.routing.items() if k != "attributes"}, "sid": t.sid}
        return {
            "sid": t.invite_sid,
            "interaction_sid": t.interaction_sid,
            "channel_sid": t.channel_sid,
            "routing": {"properties": {**properties, "attributes": json.dumps(t.attributes)}},
            "url": url,
        }

    def channel_json(self, t: Task, base: str) -> dict[str, object]:
        url = f"{base}/v1/Interactions/{t.interaction_sid}/Channels/{t.channel_sid}"
        return {
            "sid": t.channel_sid,
            "interaction_sid": t.interaction_sid,
            "type": "chat",
            "status": t.channel_status,
            "error_code": None,
            "error_message": None,
            "url": url,
            "links": {
                "participants": f"{url}/Participants",
                "invites": f"{url}/Invites",
                "transfers": f"{url}/Transfers",
            },
        }


def json_object(value: str) -> dict[str, object]:
    """A JSON object read from text; {} when the text is not one."""
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
