"""The seams between the core and the platforms: the chat side (Discord) and the contact center (Flex).

Each port is a small Protocol. The runtime only talks to these; engine.discord and engine.flex
implement them for real, and tests/support holds in-memory twins used by the core's tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from engine.attachments import Upload
from engine.config.model import frozen_map
from engine.events import OutMessage


class DeliveryError(Exception):
    """A send failed. `permanent` means retrying cannot help (e.g. the player blocks DMs).

    `dm_closed`: the player does not accept direct messages from the bot (a case thread can help).
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        dm_closed: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.dm_closed = dm_closed


class ChatSide(Protocol):
    """Where players are: sends to a player's DMs and to channels. Returns the platform message id."""

    async def send_dm(self, user_id: str, message: OutMessage, files: Sequence[Upload] = ()) -> str:
        """DM a player, with `files` uploaded after the text."""
        ...

    async def post(self, channel: str, message: OutMessage, *, tags: tuple[str, ...] = ()) -> str:
        """Post in a channel; in a forum, a post of its own wearing `tags`."""
        ...

    async def edit(
        self,
        channel: str,
        message_id: str,
        message: OutMessage,
        *,
        tags: tuple[str, ...] = (),
        closed: bool = False,
    ) -> None:
        """Replace a message posted in a channel (a case's post following the case); a forum post's
        tags are replaced too, and a `closed` one is locked."""
        ...


@runtime_checkable
class ThreadSide(Protocol):
    """Private case threads: opened for a player, written in, closed (archived and locked) and reopened."""

    async def open_thread(self, channel: str, name: str, user_id: str, staff: str | None) -> str: ...

    async def send_thread(self, thread_id: str, message: OutMessage, files: Sequence[Upload] = ()) -> str:
        """Say something in a case thread, with `files` uploaded after the text."""
        ...

    async def close_thread(self, thread_id: str, *, closed: bool) -> None: ...


@dataclass(frozen=True, slots=True)
class HandoffRequest:
    """Everything the contact center needs to route a player to an agent."""

    user_id: str
    user_name: str
    case_ref: str
    queue: str
    priority: int = 0
    skills: tuple[str, ...] = ()
    case_fields: Mapping[str, str] = field(default_factory=frozen_map)
    transcript: tuple[tuple[str, str], ...] = ()  # (author, text), oldest first, for the agent
    transcript_at: tuple[datetime, ...] = ()  # when each transcript line was said (same order)
    language: str | None = None  # the player's locale, for a TaskRouter workflow to route by


@dataclass(frozen=True, slots=True)
class HandoffTicket:
    """The contact center's ids for a started handoff.

    `conversation_sid` is the conversation every later call and event refers to; `interaction_sid`
    is Flex's Interaction that routed it to an agent (kept for people tracing a case in Flex).
    """

    conversation_sid: str
    interaction_sid: str | None = None


@dataclass(frozen=True, slots=True)
class Transfer:
    """An agent moving a player to another queue, or to a named agent of it (`agent`)."""

    queue: str
    reason: str = ""
    skills: tuple[str, ...] = ()
    agent: str | None = None
    by: str | None = None  # who transferred
    back: bool = False  # routing back to the queue a failed transfer came from


class ContactCenter(Protocol):
    """Where agents are (Twilio Flex). Events come back through Runtime.on_contact_event."""

    async def start_handoff(self, request: HandoffRequest) -> HandoffTicket: ...

    async def send(self, conversation_sid: str, user_id: str, text: str, key: str) -> None: ...

    async def notify(self, conversation_sid: str, text: str, key: str) -> None:
        """Tell the agent something from flexcord itself (not from the player), once per key."""
        ...

    async def send_file(self, conversation_sid: str, user_id: str, file: Upload, key: str) -> None:
        """Post one of the player's files to the agent, as its own message, once per key."""
        ...

    async def fetch_file(self, conversation_sid: str, media_sid: str) -> Upload:
        """A file the agent sent (its id from ContactEvent.media)."""
        ...

    async def close(self, conversation_sid: str) -> None: ...

    async def transfer(self, conversation_sid: str, transfer: Transfer) -> None:
        """Route the conversation to another queue (or a named agent), keeping the case's details."""
        ...
