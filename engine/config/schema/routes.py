"""JSON Schema of the route sections community managers edit: roles, channels, commands, cases,
rules, queues, chatbots and messages. Discord's limits are written here so `flexcord validate`
catches them, not the first sync with Discord.
"""

from __future__ import annotations

from engine.config.schema import threads
from engine.config.schema.cases import case_template
from engine.config.schema.definitions import (
    COMMAND_NAME,
    CONVERSATION_STATES,
    LOCALE,
    SLUG,
    URL,
    Schema,
    named,
    names_list,
    one_or_many,
    prop,
    ref,
    section,
    text,
    translated,
)

OPTION_TYPES = ("string", "integer", "number", "boolean", "choice", "user", "channel", "role", "file")

_ROLES_HINT = "Discord roles, as a list: [admin, moderator]. Leave it out to allow everyone."


def _channel() -> Schema:
    return section(
        "Channel",
        "A text channel and who may do what in it.",
        {
            "topic": text("Topic", "The channel topic shown under its name.", high=1024),
            "view": ref("roles", "Who may see it", "Roles that may see the channel. " + _ROLES_HINT),
            "send": ref("roles", "Who may post", "Roles that may post in the channel. " + _ROLES_HINT),
            "threads": ref("roles", "Who may start threads", "Roles that may start threads. " + _ROLES_HINT),
            "forum": threads.forum(),
            "feeds": prop(
                "Feeds",
                "Official sources (RSS/Atom) whose new entries are posted here.",
                type="array",
                items=prop(
                    "Feed",
                    "A feed address, or {url, every} to say how often to look.",
                    type=["string", "object"],
                    pattern=URL,
                    properties={
                        "url": prop("Address", "The feed's web address.", type="string", pattern=URL),
                        "every": ref("duration", "How often", "How often to look for new entries, like 10m."),
                    },
                    required=["url"],
                    additionalProperties=False,
                ),
            ),
            "announce_token": text(
                "Announce token",
                "A secret that lets other systems post here through POST /hooks/announce/<channel>.",
                high=200,
            ),
        },
    )


def _option() -> Schema:
    return section(
        "Option",
        "Something the player fills in when typing the command.",
        {
            "type": prop(
                "Type",
                "What kind of value: "
                + ", ".join(OPTION_TYPES)
                + " (file: the player attaches one file, checked by the attachments: settings).",
                enum=list(OPTION_TYPES),
                default="string",
            ),
            "description": translated(
                text(
                    "Description",
                    "Shown to the player under the option (1 to 100 characters).",
                    low=1,
                    high=100,
                )
            ),
            "required": prop(
                "Required", "Whether the player must fill it in (default true).", type="boolean", default=True
            ),
            "choices": prop(
                "Choices",
                "For type choice: the values the player picks from (at most 25), each a text or one "
                "per locale.",
                type="array",
                items=translated(
                    prop(
                        "Choice",
                        "One value to pick (1 to 100 characters), or its name per locale: "
                        "{en-US: fixed, es-ES: corregido} (the default locale's is the value).",
                        type="string",
                        minLength=1,
                        maxLength=100,
                    )
                ),
                minItems=1,
                maxItems=25,
                uniqueItems=True,
            ),
            "min": prop("Minimum", "Smallest number allowed, or shortest text length.", type="number"),
            "max": prop("Maximum", "Largest number allowed, or longest text length.", type="number"),
        },
        **{
            "if": {"properties": {"type": {"const": "choice"}}, "required": ["type"]},
            "then": {"required": ["choices"]},
        },
    )


def _command() -> Schema:
    return section(
        "Slash command",
        "A command players or staff type, like /bug.",
        {
            "description": translated(
                text(
                    "Description",
                    "Shown next to the command in Discord (1 to 100 characters).",
                    low=1,
                    high=100,
                )
            ),
            "names": prop(
                "Names by locale",
                "The command's name in other languages: {es-ES: error, fr: bug} (Discord's rules for names).",
                type="object",
                propertyNames={"$ref": "#/$defs/locale"},
                additionalProperties=prop("Name", "The name in that language.", **_COMMAND_NAME),
            ),
            "channels": names_list(
                "Channels",
                "Channels where the command works. Leave it out for every channel.",
                {"$ref": "#/$defs/channelName"},
            ),
            "roles": ref("roles", "Roles", "Roles that may use the command. " + _ROLES_HINT),
            "dm": prop("In DMs", "Whether the command also works in a DM with the bot.", type="boolean"),
            "cooldown": ref("rate", "Cooldown", "How often one player may use it, like 2/10m."),
            "options": named(
                "Options",
                "What the player fills in, by name (at most 25).",
                prop(
                    "Option name",
                    "Lowercase letters of any alphabet, digits, - and _ (at most 32).",
                    **_COMMAND_NAME,
                ),
                _option(),
                maxProperties=25,
            ),
            "do": ref("actions", "Do", "What happens when the command is used, in order."),
        },
        required=["description", "do"],
    )


def _condition() -> Schema:
    where_item = prop(
        "Where", "dm, or a channel name.", type="string", pattern=SLUG, minLength=1, maxLength=100
    )
    return section(
        "When",
        "When the rule applies. Every part given must hold; leave a part out to not care about it.",
        {
            "where": one_or_many("Where", "dm, a channel name, or a list of them.", where_item),
            "says": one_or_many(
                "Says",
                "Words or phrases; the rule applies if the message has any of them (whole words, any case).",
                prop("Word or phrase", "A word or phrase.", type="string", minLength=1, maxLength=200),
            ),
            "matches": text(
                "Matches",
                "A regular expression searched in the message (any letter case); "
                "no backreferences, no lookarounds.",
                low=1,
                high=1000,
            ),
            "roles": ref("roles", "Roles", "The player has any of these roles. " + _ROLES_HINT),
            "state": one_or_many(
                "State",
                "Where the conversation is: bot, queued, agent or closed (default: bot and closed).",
                prop("State", "bot, queued, agent or closed.", type="string", enum=list(CONVERSATION_STATES)),
            ),
            "hours": prop(
                "Hours", "open or closed: only during (or outside) business hours.", enum=["open", "closed"]
            ),
            "language": one_or_many(
                "Language",
                "The player's language is one of these locales: [es-ES, es-419]; a bare code (es) means any "
                "locale of that language.",
                prop(
                    "Locale",
                    "A locale like es-ES, or a language code like es.",
                    type="string",
                    pattern=LOCALE,
                ),
            ),
        },
    )


def _rule() -> Schema:
    return section(
        "Rule",
        "A routing rule. Rules are read top to bottom; the first that matches wins.",
        {
            "name": text("Name", "A name for the rule, shown by 'flexcord route'.", low=1, high=100),
            "when": _condition(),
            "do": ref("actions", "Do", "What happens when the rule matches, in order."),
        },
        required=["name", "do"],
    )


def _chatbot() -> Schema:
    return section(
        "Chatbot",
        "A bot that answers players: the built-in knowledge-base bot, or an HTTP (Rasa REST) bot.",
        {
            "type": prop("Type", "knowledge_base (built in) or http.", enum=["knowledge_base", "http"]),
            "suggestions": prop(
                "Suggestions",
                "How many articles to suggest (1 to 10).",
                type="integer",
                minimum=1,
                maximum=10,
            ),
            "min_confidence": prop(
                "Minimum confidence",
                "How sure (0 to 1) the bot must be that an article answers the player; below it, the bot"
                " says it is not sure and offers an agent. 0.5 by default.",
                type="number",
                minimum=0,
                maximum=1,
            ),
            "url": prop(
                "Address", "For type http: the bot's REST webhook address.", type="string", pattern=URL
            ),
            "timeout": ref("duration", "Timeout", "For type http: how long to wait for an answer, like 5s."),
            "agent_button": text(
                "Agent button",
                "Label of the button that asks for a person (1 to 80 characters).",
                low=1,
                high=80,
            ),
            "solved_button": text(
                "Solved button",
                "Label of the button that says it helped (1 to 80 characters).",
                low=1,
                high=80,
            ),
        },
        **{
            "if": {"properties": {"type": {"const": "http"}}, "required": ["type"]},
            "then": {"required": ["url"]},
        },
    )


def _queue() -> Schema:
    return section(
        "Queue",
        "A Flex queue.",
        {
            "description": text("Description", "What this queue is for.", high=200),
            "conversation": threads.conversation(),
            "skills": names_list(
                "Skills",
                "Agent skills the task asks for.",
                prop("Skill", "A skill name.", type="string", minLength=1, maxLength=100),
            ),
            "sla": section(
                "Service level",
                "Targets the reports check: how soon an agent answers, how soon the case is closed.",
                {
                    "first_response": ref(
                        "duration", "First response", "An agent joins within this time, like 5m."
                    ),
                    "resolution": ref("duration", "Resolution", "The case is closed within this, like 2d."),
                },
            ),
        },
    )


_COMMAND_NAME = {"type": "string", "pattern": COMMAND_NAME, "maxLength": 32}


def route_properties() -> dict[str, Schema]:
    """The route sections, as top-level properties of a schema."""
    return {
        "roles": ref("roles", "Roles", "Who is who in the Discord server: [admin, moderator]."),
        "channels": named(
            "Channels",
            "Text channels and who may do what in each.",
            {"$ref": "#/$defs/channelName"},
            _channel(),
        ),
        "commands": named(
            "Slash commands",
            "Commands players and staff type (at most 100 in all files together).",
            prop(
                "Command name",
                "Lowercase letters of any alphabet, digits, - and _ (at most 32), like bug_report.",
                **_COMMAND_NAME,
            ),
            _command(),
            maxProperties=100,
        ),
        "cases": named(
            "Case templates",
            "Kinds of cases (tickets) and how they are opened.",
            {"$ref": "#/$defs/templateName"},
            case_template(),
        ),
        "rules": prop(
            "Rules",
            "How the bot answers a message; read top to bottom, the first match wins.",
            type="array",
            items=_rule(),
        ),
        "queues": named(
            "Queues",
            "Flex queues a handoff can go to.",
            {"$ref": "#/$defs/queueName"},
            _queue(),
        ),
        "chatbots": named(
            "Chatbots",
            "Bots that answer players before (or instead of) an agent.",
            {"$ref": "#/$defs/chatbotName"},
            _chatbot(),
        ),
        "messages": named(
            "Messages",
            "Everything the bot says on its own, by name; {{ ... }} fills in details.",
            {"$ref": "#/$defs/messageName"},
            {"$ref": "#/$defs/translatedText"},
        ),
    }
