"""JSON Schema of the operator's settings, which only flexcord.yaml holds: how the bot connects to
Discord and Flex, its web server, storage, business hours and limits.
"""

from __future__ import annotations

from engine.config.schema import threads
from engine.config.schema.definitions import (
    DATE,
    DAYS,
    FILE_SIZE,
    LISTEN_FROM_ENV,
    MIME_TYPE,
    STORAGE,
    TIMES,
    URL_OR_EMPTY,
    Schema,
    from_env,
    one_or_many,
    prop,
    ref,
    section,
    text,
)

__all__ = ["settings_properties"]


def _secret(title: str, description: str) -> Schema:
    return text(title, description + " Write it as ${VARIABLE} so it stays out of the file.", high=500)


def settings_properties() -> dict[str, Schema]:
    """The operator's settings: only flexcord.yaml holds these."""
    return {
        "version": prop("Version", "The config language version; always 1.", const=1),
        "name": text("Name", "A name for this bot, shown in logs and the sandbox.", low=1, high=100),
        "discord": _discord(),
        "flex": _flex(),
        "server": _server(),
        "storage": prop(
            "Storage",
            "Where cases and conversations are kept: sqlite:///path/to/file.db (one process), or "
            "postgresql://user:${DB_PASSWORD}@host/database for several replicas.",
            type="string",
            pattern=from_env(STORAGE),
        ),
        "knowledge_base": text(
            "Knowledge base", "The folder of knowledge-base articles (*.md), like kb/.", high=500
        ),
        "include": one_or_many(
            "Include",
            "Route files to read, as patterns relative to this file: [routes/*.yaml].",
            prop("Pattern", "A file pattern, like routes/*.yaml.", type="string", minLength=1),
        ),
        "locales": _locales(),
        "hours": _hours(),
        "limits": _limits(),
        "retention": _retention(),
        "attachments": _attachments(),
    }


def _discord() -> Schema:
    """How the bot connects to Discord."""
    return section(
        "Discord",
        "How the bot connects to Discord.",
        {
            "token": _secret("Bot token", "The Discord bot token."),
            "guild": prop(
                "Server",
                "The Discord server (guild): its name or id.",
                type=["string", "integer"],
                minLength=1,
                maxLength=100,
            ),
            "admin_channel": ref(
                "channelName",
                "Admin channel",
                "Where reload failures and delivery problems are reported.",
            ),
            "admin_role": prop(
                "Admin role",
                "The role allowed to run admin commands (default admin).",
                type="string",
                minLength=1,
                maxLength=100,
                default="admin",
            ),
            "apply_permissions": prop(
                "Apply permissions",
                "true: make channel permissions match the config at start-up.",
                type="boolean",
            ),
            "threads": threads.threads_settings(),
        },
        required=["guild"],
    )


def _flex() -> Schema:
    """How the bot reaches the Flex contact center."""
    return section(
        "Twilio Flex",
        "How the bot reaches the Flex contact center.",
        {
            "account_sid": _secret("Account SID", "The Twilio account SID (AC...)."),
            "auth_token": _secret("Auth token", "The Twilio auth token; also checks webhook signatures."),
            "workspace_sid": _secret("Workspace SID", "The TaskRouter workspace SID (WS...)."),
            "workflow_sid": _secret("Workflow SID", "The TaskRouter workflow SID (WW...)."),
            "task_channel": text(
                "Task channel", "The TaskRouter task channel (default chat).", low=1, high=64
            ),
        },
    )


def _server() -> Schema:
    """The webhook and admin server."""
    return section(
        "Web server",
        "The webhook and admin server.",
        {
            "public_url": prop(
                "Public address",
                "The address Twilio reaches this server at (https://...).",
                type="string",
                pattern=from_env(URL_OR_EMPTY),
            ),
            "listen": prop(
                "Listen on",
                "host:port to listen on, like 127.0.0.1:8080; the port may come from the environment:"
                " 0.0.0.0:${PORT:-8080}.",
                type="string",
                pattern=LISTEN_FROM_ENV,
            ),
            "admin_token": _secret("Admin token", "Guards the admin endpoints (reload)."),
            "max_body_bytes": prop(
                "Largest request",
                "Largest request body accepted, in bytes (1024 to 10485760).",
                type="integer",
                minimum=1024,
                maximum=10485760,
                default=65536,
            ),
        },
    )


def _hours() -> Schema:
    """When agents are available."""
    times = {"type": "string", "pattern": TIMES}
    return section(
        "Business hours",
        "When agents are available; rules can say hours: open or hours: closed.",
        {
            "timezone": prop(
                "Timezone",
                "A timezone name, like America/Los_Angeles or UTC.",
                type="string",
                minLength=1,
            ),
            "open": prop(
                "Open",
                'Opening hours by day: mon-fri: "09:00-18:00", sat: ["10:00-12:00", "13:00-16:00"].',
                type="object",
                propertyNames={"type": "string", "pattern": DAYS},
                additionalProperties=prop(
                    "Hours",
                    '"HH:MM-HH:MM" (24-hour clock), or a list of them.',
                    type=["string", "array"],
                    pattern=TIMES,
                    items=times,
                    minItems=1,
                ),
            ),
            "closed_on": prop(
                "Closed on",
                "Dates when support is closed all day: [2026-12-25].",
                type="array",
                items=prop("Date", "A date like 2026-12-25.", type="string", pattern=DATE),
                uniqueItems=True,
            ),
        },
        required=["timezone", "open"],
    )


def _locales() -> Schema:
    """The languages the bot speaks."""
    return section(
        "Locales",
        "The languages the bot speaks: the default one and every supported one.",
        {
            "default": ref("locale", "Default locale", "What players get when their language has no text."),
            "supported": prop(
                "Supported locales",
                "Every language the bot answers in: [en-US, es-ES, pt-BR, fr, hi, tl].",
                type="array",
                items={"$ref": "#/$defs/locale"},
                uniqueItems=True,
            ),
        },
    )


def _limits() -> Schema:
    """Bounds that protect agents and the bot."""
    return section(
        "Limits",
        "Bounds that protect agents and the bot.",
        {
            "player_messages": ref(
                "rate", "Player messages", "Messages a player may send to an agent, like 10/1m."
            ),
            "queue_timeout": ref(
                "duration", "Queue timeout", "Tell the player if nobody picked up by then.", default="15m"
            ),
            "message_length": prop(
                "Message length",
                "Longest message a player may send (1 to 2000).",
                type="integer",
                minimum=1,
                maximum=2000,
                default=2000,
            ),
        },
    )


def _retention() -> Schema:
    """How long records are kept."""
    return section(
        "Retention",
        "How long records are kept before they are deleted.",
        {
            "delivered": ref(
                "duration",
                "Delivered messages",
                "Keep delivered outgoing messages this long (7d).",
                default="7d",
            ),
            "transcripts": ref(
                "duration", "Transcripts", "Delete transcript lines older than this (unset: kept)."
            ),
        },
    )


def _attachments() -> Schema:
    """Which files players and agents may send (the type is read from the file's bytes)."""
    return section(
        "Attachments",
        "Which files players may send and forms may take. The type is read from the file itself,"
        " so a program renamed .png is refused.",
        {
            "types": prop(
                "Allowed types",
                "File types allowed, as MIME types: [image/png, image/jpeg, application/pdf].",
                type="array",
                minItems=1,
                uniqueItems=True,
                items=prop("Type", "A MIME type, like image/png.", type="string", pattern=MIME_TYPE),
            ),
            "max_size": prop(
                "Largest file",
                "The largest file taken, like 2MB or 500KB (at most 5MB, Flex's limit).",
                type="string",
                pattern=FILE_SIZE,
            ),
            "max_per_message": prop(
                "Files per message",
                "How many files one message may carry (1 to 10).",
                type="integer",
                minimum=1,
                maximum=10,
                default=5,
            ),
        },
    )
