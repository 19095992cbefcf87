"""JSON Schema of where conversations and reports live: DMs, private case threads, forum posts."""

from __future__ import annotations

from engine.config.schema.definitions import Schema, prop, ref, section, text

CONVERSATION_PLACES = ("dm", "thread")


def conversation() -> Schema:
    """`conversation: dm | thread` on a case template or a queue."""
    return prop(
        "Conversation",
        "Where the chat about this case goes on: dm (a direct message with the bot, the default) or "
        "thread (a private thread in the channel named by discord.threads.channel).",
        enum=list(CONVERSATION_PLACES),
    )


def statuses() -> Schema:
    """A case's statuses: a list of names, or a mapping that also names each one's forum tag."""
    status = prop("Status", "A status name.", type="string", minLength=1, maxLength=100)
    as_map = prop(
        "Statuses",
        "The steps a case goes through (the first is where it starts), each with the forum tag "
        "its post wears: {open: {tag: New}, triaged: {tag: Triaged}}.",
        type="object",
        propertyNames=status,
        additionalProperties=section(
            "Status",
            "One step of a case.",
            {"tag": text("Forum tag", "The forum tag the case's post wears in this status.", low=1, high=20)},
        ),
        minProperties=1,
    )
    return {
        "title": "Statuses",
        "description": as_map["description"],
        "type": ["array", "object"],
        "minItems": 1,
        "items": status,
        "uniqueItems": True,
        "propertyNames": status,
        "additionalProperties": as_map["additionalProperties"],
        "minProperties": 1,
    }


def forum() -> Schema:
    """`forum: true` on a channel: a forum channel, where each case gets a post of its own."""
    return prop(
        "Forum",
        "true: this is a forum channel; each case posted here gets a post of its own, with status tags.",
        type="boolean",
    )


def threads_settings() -> Schema:
    """`discord.threads`: where private case threads are opened, who reads along, reopening."""
    return section(
        "Case threads",
        "Private threads for case conversations (conversation: thread, or a player whose DMs are closed).",
        {
            "channel": ref("channelName", "Channel", "The text channel case threads are opened in."),
            "staff": prop(
                "Staff role",
                "A role whose members are added to each case thread to read along, like moderator.",
                type="string",
                minLength=1,
                maxLength=100,
            ),
            "reopen_within": ref(
                "duration",
                "Reopen within",
                "A player writing again this soon after the case closed reopens it (default 1d); "
                "later, a new case starts.",
                default="1d",
            ),
            "dm_fallback": prop(
                "DM fallback",
                "true (default): a player whose DMs are closed is moved to a private case thread.",
                type="boolean",
            ),
        },
        required=["channel"],
    )
