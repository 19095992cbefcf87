"""Building blocks shared by every flexcord JSON Schema: names, durations, texts and actions.

Each pattern has plain words (PATTERN_WORDS) that explain.py uses to explain a value that
does not fit. Actions dispatch on their one key (one property per action), never `oneOf`, so a
mistake inside `handoff:` is reported inside `handoff:` instead of as "matches no branch".
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

SLUG = r"^[-_a-z0-9]+$"
COMMAND_NAME = r"^[^\x00-\x20\x7fA-Z!-,./:-@\[-^`{-~]+$"
"""No space, capital A-Z or ASCII punctuation but - and _: what every regex engine (Python's, Rust's,
the editor's JavaScript) agrees on; engine.config.checks.discord applies Discord's full rule."""
IDENTIFIER = r"^[a-z_][a-z0-9_]*$"
LOCALE = r"^[a-z]{2,3}(-[A-Z0-9]{2,3})?$"
PREFIX = r"^[A-Z][A-Z0-9]{0,9}$"
DURATION = r"^[1-9][0-9]*[smhd]([0-9]+[smhd])*$"
RATE = r"^[1-9][0-9]*/[1-9][0-9]*[smhd]([0-9]+[smhd])*$"
_DAY = "(mon|tue|wed|thu|fri|sat|sun)"
DAYS = rf"^(daily|weekdays|weekends|{_DAY}(-{_DAY})?(, ?{_DAY}(-{_DAY})?)*)$"
_TIME = "([01]?[0-9]|2[0-3]):[0-5][0-9]"
_RANGE = rf"{_TIME} ?- ?({_TIME}|24:00)"
TIMES = rf"^{_RANGE}(, ?{_RANGE})*$"
DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
STORAGE = r"^((sqlite:///|postgres(ql)?://).+)?$"
LISTEN = r"^(.+:[0-9]{1,5})?$"
URL = r"^https?://\S+$"
URL_OR_EMPTY = r"^(https?://\S+)?$"
FILE_SIZE = r"^[0-9]+ ?(B|KB|MB)$"
MIME_TYPE = r"^[a-z]+/[a-z0-9.+-]+$"

_ENV_NAME = r"\$\{[A-Za-z_][A-Za-z0-9_]*"
ENV_WHOLE_NUMBER = rf"^{_ENV_NAME}(:-[0-9]+)?\}}$"
ENV_NUMBER = rf"^{_ENV_NAME}(:-[0-9]+(\.[0-9]+)?)?\}}$"
"""A number setting taken from the environment, as an editor sees it: `${VARIABLE:-65536}`."""
_HOST_PORT = "(?:.+:[0-9]{1,5})"
LISTEN_FROM_ENV = (
    rf"^(?:{_HOST_PORT}?|{_ENV_NAME}(?::-{_HOST_PORT}?)?\}}|.+:{_ENV_NAME}(?::-[0-9]{{1,5}})?\}})$"
)
"""host:port, all of it or only the port from the environment: `0.0.0.0:${PORT:-8080}`."""


def from_env(pattern: str) -> str:
    """`pattern` (anchored with ^...$), or a `${VAR}` / `${VAR:-default}` whose default fits it.

    The CLI checks values after filling the variables in, an editor checks the file as written:
    with this, both accept `public_url: ${FLEXCORD_PUBLIC_URL:-http://127.0.0.1:8080}`.
    """
    inner = pattern.removeprefix("^").removesuffix("$")
    return f"^(?:{inner}|{_ENV_NAME}(?::-{inner})?\\}})$"


PATTERN_WORDS: dict[str, tuple[str, str]] = {
    SLUG: ("name", "use lowercase letters, digits, - and _ only, like bug-report"),
    COMMAND_NAME: (
        "name",
        "use lowercase letters (of any alphabet), digits, - and _ only, like bug_report or помощь",
    ),
    IDENTIFIER: (
        "name",
        "use lowercase letters, digits and _ only, starting with a letter, like handoff_started",
    ),
    PREFIX: ("case prefix", "use 1 to 10 capital letters or digits, starting with a letter, like BUG"),
    DURATION: ("duration", "write a number and a unit: 30s, 10m, 1h or 2d"),
    RATE: ("limit", "write uses per time, like 2/10m (2 times every 10 minutes)"),
    DAYS: (
        "day",
        "use mon, tue, wed, thu, fri, sat, sun, a range like mon-fri, a list like sat,sun, or daily",
    ),
    TIMES: ("time range", "write it like 09:00-18:00 (24-hour clock); several: 09:00-12:00, 13:00-18:00"),
    DATE: ("date", "write it like 2026-12-25"),
    STORAGE: (
        "storage address",
        "write it like sqlite:///flexcord.db, or postgresql://user:${DB_PASSWORD}@host/database",
    ),
    LISTEN: ("listen address", "write host:port, like 127.0.0.1:8080"),
    LOCALE: (
        "locale",
        "write a language code as Discord names it, like en-US, es-ES, es-419, pt-BR, fr or tl",
    ),
    URL: ("web address", "write a full address starting with https://"),
    URL_OR_EMPTY: ("web address", "write a full address starting with https://"),
    FILE_SIZE: ("file size", "write a number and a unit, like 500KB or 2MB"),
}
"""For each pattern: what the value is called and how to write it."""
PATTERN_WORDS.update({from_env(pattern): words for pattern, words in list(PATTERN_WORDS.items())})
PATTERN_WORDS[LISTEN_FROM_ENV] = PATTERN_WORDS[LISTEN]
PATTERN_WORDS[ENV_WHOLE_NUMBER] = (
    "whole number",
    "write a whole number like 65536, or ${VARIABLE} or ${VARIABLE:-65536} to take it from the environment",
)
PATTERN_WORDS[ENV_NUMBER] = (
    "number",
    "write a number like 0.5, or ${VARIABLE} or ${VARIABLE:-0.5} to take it from the environment",
)


def pattern_error_message(pattern: str) -> str | None:
    """The plain words an editor shows for a value that does not fit `pattern` (patternErrorMessage)."""
    words = PATTERN_WORDS.get(pattern)
    if words is None:
        return None
    noun, how = words
    return f"Not a valid {noun}: {how[0].upper()}{how[1:]}."


CONVERSATION_STATES = ("bot", "queued", "agent", "closed")
BARE_ACTIONS = ("leave_queue", "close")
"""Actions written as a bare word: `do: [leave_queue]`."""
ACTION_EXAMPLES = {
    "reply": "reply: Thanks {{ user.name }}!",
    "dm": "dm: {message: handoff_started}",
    "post": "post: {channel: mod-log, text: ...}",
    "open_case": "open_case: bug",
    "update_case": "update_case: {ref: '{{ options.ref }}', status: fixed}",
    "chatbot": "chatbot: faq",
    "handoff": "handoff: {queue: support}",
}
"""How each action that takes a value is written, for hints."""


def prop(title: str, description: str, **schema: Any) -> Schema:
    """A property schema with the title and description editors show on hover."""
    return {"title": title, "description": description, **schema}


def ref(name: str, title: str, description: str, **extra: Any) -> Schema:
    return prop(title, description, **{"$ref": f"#/$defs/{name}"}, **extra)


def section(title: str, description: str, properties: dict[str, Schema], **extra: Any) -> Schema:
    """A mapping with known keys only: a misspelt key is an error, not silently ignored."""
    return prop(title, description, type="object", properties=properties, additionalProperties=False, **extra)


def named(title: str, description: str, names: Schema, entry: Schema, **extra: Any) -> Schema:
    """A mapping from names the community manager chooses to entries of one shape."""
    return prop(title, description, type="object", propertyNames=names, additionalProperties=entry, **extra)


def text(title: str, description: str, *, low: int = 0, high: int = 4000) -> Schema:
    bounds: Schema = {"maxLength": high}
    if low:
        bounds["minLength"] = low
    return prop(title, description, type="string", **bounds)


def translated(schema: Schema) -> Schema:
    """A text, or one per locale ({en-US: ..., es-ES: ...}), each written like `schema`.

    String keywords apply to the text, object keywords to the map, so a plain text that breaks a
    rule is explained as plainly as before."""
    one = {k: v for k, v in schema.items() if k not in ("title", "description", "type")}
    return {
        **schema,
        "type": ["string", "object"],
        "propertyNames": {"$ref": "#/$defs/locale"},
        "additionalProperties": {"type": "string", **one},
        "minProperties": 1,
    }


def names_list(title: str, description: str, item: Schema) -> Schema:
    return prop(title, description, type="array", items=item, uniqueItems=True)


def one_or_many(title: str, description: str, item: Schema) -> Schema:
    """A single value or a list of them: `where: dm` or `where: [dm, bug-report]`."""
    keywords = {k: v for k, v in item.items() if k not in ("title", "description", "type", "enum")}
    schema = prop(title, description, type=["string", "array"], **keywords)
    schema["items"] = item
    schema["minItems"] = 1
    if "enum" in item:
        schema["if"] = {"type": "string"}
        schema["then"] = {"enum": item["enum"]}
    return schema


def _message_or_text(title: str, description: str) -> Schema:
    """A text, a text per locale ({en-US: ..., es-ES: ...}), or {message: name}."""
    return prop(
        title,
        description,
        type=["string", "object"],
        maxLength=4000,
        minProperties=1,
        **{
            "if": {"type": "object", "required": ["message"]},
            "then": {
                "properties": {
                    "message": ref("messageName", "Message", "The name of an entry under 'messages:'.")
                },
                "additionalProperties": False,
            },
            "else": {
                "propertyNames": {"$ref": "#/$defs/locale"},
                "additionalProperties": {"type": "string", "maxLength": 4000},
            },
        },
    )


def _actions() -> dict[str, Schema]:
    return {
        "reply": _message_or_text(
            "Reply",
            "Answer where it happened (privately for a slash command, in the DM for a DM): "
            "a text (or one per locale: {en-US: ..., es-ES: ...}), or {message: name} to say one of the "
            "'messages:'.",
        ),
        "dm": _message_or_text(
            "Direct message",
            "Send the player a direct message: a text (or one per locale), or {message: name}.",
        ),
        "post": section(
            "Post in a channel",
            "Post a message in a channel: {channel: name, text: ...}.",
            {
                "channel": ref("channelName", "Channel", "The channel to post in."),
                "text": ref(
                    "translatedText",
                    "Text",
                    "What to post (in the language of the player it is about, when it has one per "
                    "locale); {{ ... }} fills in details.",
                ),
            },
            required=["channel", "text"],
        ),
        "open_case": ref(
            "templateName", "Open a case", "Open a case from the template with this name (under 'cases:')."
        ),
        "update_case": section(
            "Update a case",
            "Change a case's status and/or add a note: {ref: '{{ options.ref }}', status: ..., note: ...}.",
            {
                "ref": text(
                    "Case reference", "Which case, like BUG-12 or '{{ options.ref }}'.", low=1, high=200
                ),
                "status": text("Status", "The new status, one of the template's statuses.", high=200),
                "note": text("Note", "A note for the case history.", high=4000),
            },
            required=["ref"],
        ),
    }


def _conversation_actions() -> dict[str, Schema]:
    return {
        "chatbot": ref("chatbotName", "Chatbot", "Let this chatbot (under 'chatbots:') answer the message."),
        "handoff": section(
            "Hand off to an agent",
            "Hand the conversation to a live agent in Flex: {queue: name, priority: 0-100}.",
            {
                "queue": ref("queueName", "Queue", "The queue (under 'queues:') the agent is chosen from."),
                "priority": prop(
                    "Priority",
                    "Higher goes first in the queue: 0 to 100.",
                    type="integer",
                    minimum=0,
                    maximum=100,
                ),
            },
            required=["queue"],
        ),
        "leave_queue": prop(
            "Leave the queue",
            "Take the player out of the queue (their case stays open). Write it bare: '- leave_queue'.",
            const=True,
        ),
        "close": prop("Close", "End the conversation with the agent. Write it bare: '- close'.", const=True),
    }


ACTIONS: dict[str, Schema] = {**_actions(), **_conversation_actions()}


def definitions() -> dict[str, Schema]:
    """The shared `$defs` of every schema."""
    return {**_names(), **_values(), **_locale_values()}


def _names() -> dict[str, Schema]:
    """Names a community manager chooses, and where each is declared."""
    slug = {"type": "string", "pattern": SLUG, "minLength": 1}
    return {
        "channelName": {
            "title": "Channel name",
            "description": "A Discord text channel: lowercase letters, digits, - and _ (at most 100).",
            **slug,
            "maxLength": 100,
        },
        "roleName": {
            "title": "Role name",
            "description": "A Discord role.",
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
        },
        "templateName": {
            "title": "Case template name",
            "description": "A case template under 'cases:'.",
            **slug,
            "maxLength": 32,
        },
        "chatbotName": {
            "title": "Chatbot name",
            "description": "A chatbot under 'chatbots:'.",
            **slug,
            "maxLength": 32,
        },
        "queueName": {
            "title": "Queue name",
            "description": "A queue under 'queues:'.",
            **slug,
            "maxLength": 64,
        },
        "messageName": {
            "title": "Message name",
            "description": "An entry under 'messages:'.",
            "type": "string",
            "pattern": IDENTIFIER,
            "maxLength": 100,
        },
    }


def _values() -> dict[str, Schema]:
    """Values written the same way everywhere: durations, limits, texts, role lists, actions."""
    return {
        "duration": {
            "title": "Duration",
            "description": "A length of time: 30s, 10m, 1h or 2d.",
            "type": "string",
            "pattern": DURATION,
        },
        "rate": {
            "title": "Limit",
            "description": "Uses per time, like 2/10m: 2 times every 10 minutes.",
            "type": "string",
            "pattern": RATE,
        },
        "text": {
            "title": "Text",
            "description": "What the bot says, at most 2000 characters once filled in. "
            "{{ user.name }}, {{ case.ref }} ... fill in details.",
            "type": "string",
            "maxLength": 4000,
        },
        "roles": {
            "title": "Roles",
            "description": "Discord roles, as a list: [admin, moderator].",
            "type": "array",
            "items": {"$ref": "#/$defs/roleName"},
            "uniqueItems": True,
        },
        "actions": {
            "title": "Actions",
            "description": "What happens, in order. Each item is a bare word (leave_queue, close) "
            "or one 'action: value' pair, like 'open_case: bug'.",
            "type": "array",
            "minItems": 1,
            "items": {"$ref": "#/$defs/action"},
        },
        "action": {
            "title": "Action",
            "description": "One action: " + ", ".join(ACTIONS) + ".",
            "type": ["string", "object"],
            "if": {"type": "string"},
            "then": {"enum": list(BARE_ACTIONS)},
            "properties": ACTIONS,
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
        },
    }


def _locale_values() -> dict[str, Schema]:
    """Locales, and texts written once or once per locale."""
    return {
        "locale": {
            "title": "Locale",
            "description": "A language as Discord names it (en-US, es-ES, es-419, pt-BR, fr, hi) or tl, ...",
            "type": "string",
            "pattern": LOCALE,
        },
        "translatedText": translated(
            {
                "title": "Text",
                "description": "What the bot says: one text, or one per locale ({en-US: ..., es-ES: ...}).",
                "type": "string",
                "maxLength": 4000,
            }
        ),
    }
