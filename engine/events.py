"""What happens (Event), what the router decided (Decision), and what the bot says (OutMessage).

Platform adapters translate Discord and Twilio traffic into these types and back; the core
never sees a discord.py or twilio object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from engine.config.model import Action, ConversationState, frozen_map

EventKind = Literal["message", "command", "form", "button"]


@dataclass(frozen=True, slots=True)
class User:
    """A Discord user as the core sees it. `id` is Discord's snowflake as a string."""

    id: str
    name: str
    roles: tuple[str, ...] = ()

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"


@dataclass(frozen=True, slots=True)
class Event:
    """Something a player did.

    - message: `text` typed in `where` ("dm" or a channel name);
    - command: slash command `command` with `options`;
    - form: a submitted case form; `form` is the case template name, `options` the field values;
    - button: a pressed button; `button` is its id ("agent", "solved", "rate:4", ...), `text` its label.
    `id` is the platform's id for the event (a message or interaction id), used to apply it once.
    """

    kind: EventKind
    id: str
    user: User
    where: str
    at: datetime
    text: str = ""
    command: str | None = None
    options: Mapping[str, object] = field(default_factory=frozen_map)
    form: str | None = None
    button: str | None = None
    attachments: tuple[str, ...] = ()  # URLs
    locale: str | None = None  # the player's locale: the client's for interactions, settled by the runtime
    files: tuple[tuple[str, bytes], ...] = ()  # (name, bytes) of each file sent, downloaded at once
    mentions: Mapping[str, str] = field(default_factory=frozen_map)  # user id -> name, for <@id> in text


@dataclass(frozen=True, slots=True)
class Check:
    """One condition of one rule, and whether it held, in words a community manager reads."""

    condition: str  # "where", "says", "matches", "roles", "state", "hours", "channel", "cooldown"...
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """How one candidate rule fared. `skipped` rules were ruled out by the index without a look."""

    rule: str
    matched: bool
    checks: tuple[Check, ...] = ()
    source: str | None = None  # file:line:col of the rule


@dataclass(frozen=True, slots=True)
class Decision:
    """The router's answer: which rule (or command) matched, what to do, and why."""

    rule: str | None
    actions: tuple[Action, ...]
    trace: tuple[RuleTrace, ...] = ()
    explanation: str = ""  # one line: "rule 'live agent' matched: says 'real person'"
    config_version: str = ""


@dataclass(frozen=True, slots=True)
class Embed:
    title: str
    description: str = ""
    url: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    footer: str | None = None


@dataclass(frozen=True, slots=True)
class Button:
    """A button under a message. `id` comes back in a button Event; `url` makes it a link button."""

    id: str
    label: str
    style: Literal["primary", "secondary", "success", "danger", "link"] = "secondary"
    url: str | None = None


@dataclass(frozen=True, slots=True)
class OutMessage:
    """Something the bot says. `author` is set for an agent's message ("Ash (agent)")."""

    text: str = ""
    embeds: tuple[Embed, ...] = ()
    buttons: tuple[Button, ...] = ()
    author: str | None = None
    key: str | None = None  # idempotency key for the send
    files: tuple[str, ...] = ()  # files to attach: "<conversation sid>/<media sid>" of an agent's file


@dataclass(frozen=True, slots=True)
class FormRequest:
    """Show the player a case form (a Discord modal)."""

    template: str
    title: str
    fields: tuple[object, ...]  # engine.config.model.FormField
    command: str | None = None  # the slash command that shows it: its actions after open_case follow


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the runtime did with an Event, for the adapter that delivered it.

    `replies` go back where the event came from (ephemeral for commands, forms and buttons);
    `form` asks the adapter to show a form instead of replying.
    """

    decision: Decision | None
    replies: tuple[OutMessage, ...] = ()
    form: FormRequest | None = None
    ephemeral: bool = True
    state: ConversationState | None = None
    case_ref: str | None = None


ContactEventKind = Literal[
    "agent_joined", "agent_left", "agent_message", "bot_message", "closed", "failed", "transfer_failed"
]


@dataclass(frozen=True, slots=True)
class ContactEvent:
    """Something that happened on the contact-center side, for one handoff.

    `id` is unique per event (MessageSid, EventType+ParticipantSid, ConversationSid+StateTo) so a
    repeated delivery is applied once. `conversation_sid` is the contact center's id for the conversation.
    """

    kind: ContactEventKind
    id: str
    conversation_sid: str
    agent: str | None = None
    text: str = ""
    at: datetime | None = None
    media: tuple[str, ...] = ()  # the contact center's ids of files the agent sent (Twilio media sids)
