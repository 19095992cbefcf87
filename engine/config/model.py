"""The compiled configuration: one frozen, versioned object that everything else reads.

`engine.config.compile.config` builds it from the loaded YAML; a reload replaces it with one
reference swap. Nothing here does I/O. Collections are tuples or read-only mappings so a
Config can be shared between concurrent handlers without copying.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Literal

from engine.attachments import AttachmentRules
from engine.config.record import record
from engine.language import Locales  # the languages the bot speaks

ConversationState = Literal["bot", "queued", "agent", "closed"]
CONVERSATION_STATES: tuple[ConversationState, ...] = ("bot", "queued", "agent", "closed")

OptionType = Literal["string", "integer", "number", "boolean", "choice", "user", "channel", "role", "file"]

DM = "dm"
"""The `where` of a direct message with the bot (any other `where` is a channel name)."""
THREAD = "thread"
"""The `where` of a message in the player's private case thread; like a DM, it is the conversation."""

ConversationPlace = Literal["dm", "thread"]


def in_conversation(where: str) -> bool:
    """True where the player talks with the bot and agents: their DM or their case thread."""
    return where in (DM, THREAD)


def frozen_map(items: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only view of a dict, used for every mapping inside a Config."""
    return MappingProxyType(dict(items or {}))


@record
class Source:
    """Where something was written: file path (as given to the loader), 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


# --- actions -------------------------------------------------------------------------------
# One class per action a community manager can write under `do:`. Text fields hold template
# *sources*; they are rendered by engine.templates at run time with the event's variables.


@record
class Reply:
    """Answer where the event happened: ephemeral for a slash command, in the DM for a DM."""

    text: str | None = None
    message: str | None = None  # name of an entry under `messages:` (instead of text)
    key: str | None = field(default=None, compare=False)  # its translations: Config.translations[locale][key]


@record
class SendDm:
    """Send the player a direct message."""

    text: str | None = None
    message: str | None = None
    key: str | None = field(default=None, compare=False)


@record
class Post:
    """Post a message in a channel."""

    channel: str
    text: str
    key: str | None = field(default=None, compare=False)


@record
class OpenCase:
    """Open a case from a template; a template with a form shows the form first (commands only)."""

    template: str


@record
class UpdateCase:
    """Change a case's status and/or add a note; `ref` is a template such as '{{ options.ref }}'."""

    ref: str
    status: str | None = None
    note: str | None = None


@record
class RunChatbot:
    """Let a chatbot answer the message."""

    chatbot: str


@record
class Handoff:
    """Hand the conversation to a live agent in Flex, routed to `queue`."""

    queue: str
    priority: int = 0


@record
class LeaveQueue:
    """Take the player out of the queue (their case stays open) and back to the bot."""


@record
class CloseConversation:
    """End the conversation with the agent."""


@record
class RelayToAgent:
    """Implicit: while queued or with an agent, an unmatched message goes to the contact center."""


@record
class Refuse:
    """Implicit: the command may not run here or for this user; `reason` is shown to the user."""

    reason: str


Action = (
    Reply
    | SendDm
    | Post
    | OpenCase
    | UpdateCase
    | RunChatbot
    | Handoff
    | LeaveQueue
    | CloseConversation
    | RelayToAgent
    | Refuse
)


# --- the parts of a config ---------------------------------------------------------------


@record
class Feed:
    """An official source whose new entries are posted in a channel."""

    url: str
    every_seconds: int = 600


@record
class Channel:
    """A text channel and who may do what in it. `None` means everyone (@everyone)."""

    name: str
    topic: str | None = None
    view: tuple[str, ...] | None = None
    send: tuple[str, ...] | None = None
    threads: tuple[str, ...] | None = None
    forum: bool = False  # a forum channel: each case posted here gets a post of its own
    feeds: tuple[Feed, ...] = ()
    announce_token: str | None = None  # guards POST /hooks/announce/<channel>
    source: Source | None = None


@record
class Option:
    """One slash-command option."""

    name: str
    type: OptionType
    description: str
    required: bool = True
    choices: tuple[str, ...] = ()
    min: float | None = None  # number range, or string length range for strings
    max: float | None = None


@record
class Cooldown:
    """At most `uses` uses per user every `per_seconds` seconds."""

    uses: int
    per_seconds: int


@record
class Command:
    """A slash command. Empty `channels` means any channel; empty `roles` means anyone."""

    name: str
    description: str
    actions: tuple[Action, ...]
    channels: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    cooldown: Cooldown | None = None
    dm: bool = False  # usable in a DM with the bot
    source: Source | None = None


@record
class FormField:
    """One field of a case form: a Discord modal text input, or a file upload (`kind` file, up to
    `max_length` files, checked by `attachments:`)."""

    name: str
    label: str
    kind: Literal["text", "file"] = "text"
    style: Literal["short", "paragraph"] = "short"
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None
    placeholder: str | None = None


@record
class CaseTemplate:
    """How a kind of case (bug report, feature request, support) is opened and tracked."""

    name: str
    prefix: str
    title: str  # template source
    form: tuple[FormField, ...] = ()
    post_to: str | None = None
    reply: str | None = None  # template source
    form_title: str | None = None  # the form's title (default: "New <name> (<prefix>)")
    statuses: tuple[str, ...] = ("open", "closed")
    notify_on: tuple[str, ...] = ()
    source: Source | None = None
    conversation: ConversationPlace = "dm"
    status_tags: Mapping[str, str] = field(default_factory=frozen_map)  # status -> forum tag


@record
class Condition:
    """When a rule applies. Every given part must hold; an empty part holds always."""

    where: tuple[str, ...] = ()  # "dm" and/or channel names
    says: tuple[str, ...] = ()  # any of these words/phrases, whole words, any case
    matches: str | None = None  # a regular expression (searched, case-insensitive)
    roles: tuple[str, ...] = ()  # the player has any of these roles
    state: tuple[ConversationState, ...] = ("bot", "closed")
    hours: Literal["open", "closed"] | None = None
    language: tuple[str, ...] = ()  # the player's locale is one of these (or of their language: "es")


@record
class Rule:
    """A routing rule: first match wins, top to bottom."""

    name: str
    when: Condition
    actions: tuple[Action, ...]
    source: Source | None = None


@record
class Queue:
    """A Flex queue a handoff can be routed to."""

    name: str
    description: str | None = None
    skills: tuple[str, ...] = ()
    first_response_seconds: int | None = None  # sla.first_response: an agent joins within this
    resolution_seconds: int | None = None  # sla.resolution: the case is closed within this
    conversation: ConversationPlace = "dm"


@record
class Chatbot:
    """A bot that answers players: the built-in knowledge-base bot or an HTTP (Rasa REST) bot."""

    name: str
    type: Literal["knowledge_base", "http"]
    suggestions: int = 3
    min_confidence: float = 0.5  # knowledge_base: below this (0-1) the bot says it is not sure
    url: str | None = None  # http
    timeout_seconds: float = 5.0  # http
    agent_button: str | None = "Talk to an agent"
    solved_button: str | None = "That solved it"


@record
class Hours:
    """Business hours. `weekly[0]` is Monday; each day holds (start, end) minute ranges."""

    timezone: str
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    closed_on: tuple[date, ...] = ()


@record
class Limits:
    """Bounds that protect agents and the bot."""

    player_messages: Cooldown | None = None
    queue_timeout_seconds: int = 900
    message_length: int = 2000


@record
class Retention:
    """How long records are kept: delivered outbox items always pruned, transcripts only when set."""

    delivered_seconds: int = 7 * 86400
    transcripts_seconds: int | None = None


@record
class DiscordSettings:
    token: str | None
    guild: str
    admin_channel: str | None = None
    admin_role: str = "admin"
    apply_permissions: bool = False
    threads: ThreadSettings | None = None


@record
class ThreadSettings:
    """`discord.threads`: the channel private case threads open in, who reads along, reopening."""

    channel: str
    staff: str | None = None
    reopen_within_seconds: int = 86400
    dm_fallback: bool = True


@record
class FlexSettings:
    account_sid: str | None
    auth_token: str | None
    workspace_sid: str | None
    workflow_sid: str | None
    task_channel: str = "chat"


@record
class ServerSettings:
    public_url: str
    listen: str = "127.0.0.1:8080"
    admin_token: str | None = None
    max_body_bytes: int = 65536


@dataclass(frozen=True, eq=False)
class Config:
    """The whole compiled bot. Equal and hashed by `version`, the hash of its source content."""

    version: str
    name: str
    root: str  # folder of flexcord.yaml; relative paths are resolved from here
    files: tuple[str, ...]
    discord: DiscordSettings
    flex: FlexSettings
    server: ServerSettings
    storage: str
    knowledge_base: str | None
    roles: tuple[str, ...]
    channels: Mapping[str, Channel]
    commands: Mapping[str, Command]
    cases: Mapping[str, CaseTemplate]
    rules: tuple[Rule, ...]
    queues: Mapping[str, Queue]
    chatbots: Mapping[str, Chatbot]
    messages: Mapping[str, str]  # name -> template source
    hours: Hours | None
    limits: Limits
    retention: Retention = field(default_factory=Retention)
    locales: Locales = field(default_factory=Locales)
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # locale -> name -> text
    attachments: AttachmentRules = field(default_factory=AttachmentRules)
    index: Any = field(default=None, repr=False)  # engine.routing.RuleIndex, built by compile

    def __hash__(self) -> int:
        return hash(self.version)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and other.version == self.version
