"""Turn the loaded, schema-valid YAML document into the frozen Config the engine runs.

Values a schema cannot fully check are parsed by values.py (`10m`, `2/10m`, opening hours) and
actions.py (`do:`). Rules, commands, channels and templates keep their file:line as `Source`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Literal

from engine.attachments import DEFAULT_TYPES, FLEX_MAX_BYTES, AttachmentRules
from engine.config.compile.actions import compile_actions
from engine.config.compile.locales import (
    DEFAULT_LOCALE,
    command_names,
    compile_locales,
    default_text,
    default_texts,
    frozen_texts,
    translatable,
    translated_texts,
)
from engine.config.compile.values import (
    CompileError,
    names,
    parse_cooldown,
    parse_duration,
    parse_hours,
    text_or_none,
)
from engine.config.model import (
    CONVERSATION_STATES,
    CaseTemplate,
    Channel,
    Chatbot,
    Command,
    Condition,
    Config,
    ConversationState,
    DiscordSettings,
    Feed,
    FlexSettings,
    FormField,
    Limits,
    Option,
    Queue,
    Retention,
    Rule,
    ServerSettings,
    Source,
    ThreadSettings,
    frozen_map,
)
from engine.config.yaml.nodes import Mark, mark_of

__all__ = ["CompileError", "compile_config"]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Compiling makes many long-lived objects; a garbage collection half-way would only re-walk them
    (with 10,000 rules that is most of the compile time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def compile_config(doc: Mapping[str, Any], *, root: str, files: Sequence[str], version: str) -> Config:
    """Build the Config (with its routing index) from the merged YAML of flexcord.yaml and its includes."""
    with _collector_paused():
        return _compile(doc, root=root, files=files, version=version)


def _compile(doc: Mapping[str, Any], *, root: str, files: Sequence[str], version: str) -> Config:
    from engine.routing.index import RuleError, RuleIndex  # here: engine.routing imports the model

    discord = _section(doc, "discord")
    rules = _rules(doc.get("rules") or [])
    locales = compile_locales(_section(doc, "locales"))
    DEFAULT_LOCALE.set(locales.default)
    config = Config(
        version=version,
        name=str(doc.get("name") or discord.get("guild") or "flexcord"),
        root=root,
        files=tuple(files),
        discord=_discord(discord),
        flex=_flex(_section(doc, "flex")),
        server=_server(_section(doc, "server")),
        storage=str(doc.get("storage") or "sqlite:///flexcord.db"),
        knowledge_base=text_or_none(doc.get("knowledge_base")),
        roles=tuple(str(r) for r in doc.get("roles") or ()),
        channels=frozen_map(_named(doc, "channels", _channel)),
        commands=frozen_map(_named(doc, "commands", _command)),
        cases=frozen_map(_named(doc, "cases", _case)),
        rules=rules,
        queues=frozen_map(_named(doc, "queues", _queue)),
        chatbots=frozen_map(_named(doc, "chatbots", _chatbot)),
        messages=frozen_map(default_texts(doc.get("messages") or {}, locales.default)),
        hours=parse_hours(doc["hours"], mark_of(doc, "hours")) if doc.get("hours") else None,
        limits=_limits(_section(doc, "limits")),
        retention=_retention(_section(doc, "retention")),
        locales=locales,
        translations=frozen_texts(translated_texts(translatable(doc), locales.default), command_names(doc)),
        attachments=_attachments(_section(doc, "attachments"), mark_of(doc, "attachments")),
    )
    try:
        index = RuleIndex(rules)
    except RuleError as exc:
        source = rules[exc.position].source
        raise CompileError(str(exc), Mark(source.file, source.line, source.col) if source else None) from None
    return replace(config, index=index)


def _source(mark: Mark | None) -> Source | None:
    return Source(mark.file, mark.line, mark.col) if mark is not None else None


def _section(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _optional_names(node: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    return names(node[key]) if node.get(key) is not None else None


def _named(doc: Mapping[str, Any], key: str, make: Any) -> dict[str, Any]:
    """Compile each entry of a `name: {...}` section, remembering where its name was written."""
    section = doc.get(key) or {}
    return {
        str(name): make(str(name), body or {}, mark_of(section, name, of_key=True))
        for name, body in section.items()
    }


# --- settings --------------------------------------------------------------------------------


def _discord(node: Mapping[str, Any]) -> DiscordSettings:
    return DiscordSettings(
        token=text_or_none(node.get("token")),
        guild=str(node.get("guild") or ""),
        admin_channel=text_or_none(node.get("admin_channel")),
        admin_role=str(node.get("admin_role") or "admin"),
        apply_permissions=bool(node.get("apply_permissions", False)),
        threads=_threads(node.get("threads")),
    )


def _threads(node: Mapping[str, Any] | None) -> ThreadSettings | None:
    if not node:
        return None
    within = node.get("reopen_within")
    return ThreadSettings(
        channel=str(node["channel"]).lstrip("#"),
        staff=text_or_none(node.get("staff")),
        reopen_within_seconds=parse_duration(within, mark_of(node, "reopen_within")) if within else 86400,
        dm_fallback=bool(node.get("dm_fallback", True)),
    )


def _flex(node: Mapping[str, Any]) -> FlexSettings:
    return FlexSettings(
        account_sid=text_or_none(node.get("account_sid")),
        auth_token=text_or_none(node.get("auth_token")),
        workspace_sid=text_or_none(node.get("workspace_sid")),
        workflow_sid=text_or_none(node.get("workflow_sid")),
        task_channel=str(node.get("task_channel") or "chat"),
    )


def _server(node: Mapping[str, Any]) -> ServerSettings:
    listen = str(node.get("listen") or "127.0.0.1:8080")
    return ServerSettings(
        public_url=str(node.get("public_url") or f"http://{listen}").rstrip("/"),
        listen=listen,
        admin_token=text_or_none(node.get("admin_token")),
        max_body_bytes=int(node.get("max_body_bytes") or 65536),
    )


def _limits(node: Mapping[str, Any]) -> Limits:
    messages = node.get("player_messages")
    timeout = node.get("queue_timeout")
    return Limits(
        player_messages=parse_cooldown(messages, mark_of(node, "player_messages")) if messages else None,
        queue_timeout_seconds=parse_duration(timeout, mark_of(node, "queue_timeout")) if timeout else 900,
        message_length=int(node.get("message_length") or 2000),
    )


def _retention(node: Mapping[str, Any]) -> Retention:
    delivered, transcripts = node.get("delivered"), node.get("transcripts")
    return Retention(
        delivered_seconds=parse_duration(delivered, mark_of(node, "delivered")) if delivered else 7 * 86400,
        transcripts_seconds=parse_duration(transcripts, mark_of(node, "transcripts"))
        if transcripts
        else None,
    )


def _attachments(node: Mapping[str, Any], mark: Mark | None) -> AttachmentRules:
    size = str(node.get("max_size") or "5MB").replace(" ", "")
    number, unit = size.rstrip("KMB"), size[len(size.rstrip("KMB")) :]
    max_bytes = int(number) * {"B": 1, "KB": 1024, "MB": 1024 * 1024}[unit]
    if max_bytes > FLEX_MAX_BYTES:
        raise CompileError("attachments max_size is over 5MB, the largest file Flex takes", mark)
    return AttachmentRules(
        types=tuple(str(t) for t in node.get("types") or DEFAULT_TYPES),
        max_bytes=max_bytes,
        max_per_message=int(node.get("max_per_message") or 5),
    )


# --- server, commands, cases -----------------------------------------------------------------


def _feed(item: Any, mark: Mark | None) -> Feed:
    if isinstance(item, str):
        return Feed(url=item)
    every = item.get("every")
    return Feed(url=str(item["url"]), every_seconds=parse_duration(every, mark) if every else 600)


def _channel(name: str, node: Mapping[str, Any], mark: Mark | None) -> Channel:
    feeds = node.get("feeds") or []
    return Channel(
        name=name,
        topic=text_or_none(node.get("topic")),
        view=_optional_names(node, "view"),
        send=_optional_names(node, "send"),
        threads=_optional_names(node, "threads"),
        forum=bool(node.get("forum", False)),
        feeds=tuple(_feed(item, mark_of(feeds, i)) for i, item in enumerate(feeds)),
        announce_token=text_or_none(node.get("announce_token")),
        source=_source(mark),
    )


def _option(name: str, node: Mapping[str, Any]) -> Option:
    low, high = node.get("min"), node.get("max")
    return Option(
        name=name,
        type=node.get("type", "string"),
        description=default_text(node.get("description")) or name,
        required=bool(node.get("required", True)),
        choices=tuple(str(c) for c in node.get("choices") or ()),
        min=float(low) if low is not None else None,
        max=float(high) if high is not None else None,
    )


def _command(name: str, node: Mapping[str, Any], mark: Mark | None) -> Command:
    cooldown = node.get("cooldown")
    options = node.get("options") or {}
    return Command(
        name=name,
        description=default_text(node.get("description")) or name,
        actions=compile_actions(node.get("do") or []),
        channels=names(node.get("channels")),
        roles=names(node.get("roles")),
        options=tuple(_option(str(k), v or {}) for k, v in options.items()),
        cooldown=parse_cooldown(cooldown, mark_of(node, "cooldown")) if cooldown else None,
        dm=bool(node.get("dm", False)),
        source=_source(mark),
    )


def _form_field(name: str, node: Mapping[str, Any]) -> FormField:
    low, high = node.get("min_length", node.get("min")), node.get("max_length", node.get("max"))
    return FormField(
        name=name,
        label=default_text(node.get("label")) or name,
        kind="file" if node.get("type") == "file" else "text",
        style=node.get("style", "short"),
        required=bool(node.get("required", True)),
        min_length=int(low) if low is not None else None,
        max_length=int(high) if high is not None else None,
        placeholder=default_text(node.get("placeholder")),
    )


def _case(name: str, node: Mapping[str, Any], mark: Mark | None) -> CaseTemplate:
    form = node.get("form") or {}
    given = node.get("statuses") or ("open", "closed")
    statuses = tuple(str(s) for s in given)
    tags = (
        {str(k): str(v["tag"]) for k, v in given.items() if v and v.get("tag")}
        if isinstance(given, Mapping)
        else {}
    )
    return CaseTemplate(
        name=name,
        prefix=str(node.get("prefix") or name.upper()),
        title=str(node.get("title") or name),
        form=tuple(_form_field(str(k), v or {}) for k, v in form.items()),
        post_to=str(node["post_to"]).lstrip("#") if node.get("post_to") else None,
        reply=default_text(node.get("reply")),
        form_title=default_text(node.get("form_title")),
        statuses=statuses,
        notify_on=tuple(str(s) for s in node.get("notify_on") or ()),
        source=_source(mark),
        conversation="thread" if node.get("conversation") == "thread" else "dm",
        status_tags=frozen_map(tags),
    )


def _queue(name: str, node: Mapping[str, Any], _mark: Mark | None) -> Queue:
    sla = node.get("sla") or {}
    targets = {key: parse_duration(sla[key], mark_of(sla, key)) if key in sla else None for key in SLA_KEYS}
    return Queue(
        name=name,
        description=text_or_none(node.get("description")),
        skills=names(node.get("skills")),
        first_response_seconds=targets["first_response"],
        resolution_seconds=targets["resolution"],
        conversation="thread" if node.get("conversation") == "thread" else "dm",
    )


SLA_KEYS = ("first_response", "resolution")


def _chatbot(name: str, node: Mapping[str, Any], mark: Mark | None) -> Chatbot:
    kind: Literal["knowledge_base", "http"] = node.get("type") or (
        "http" if node.get("url") else "knowledge_base"
    )
    timeout = node.get("timeout", node.get("timeout_seconds"))
    if isinstance(timeout, str):
        timeout = parse_duration(timeout, mark_of(node, "timeout"))
    return Chatbot(
        name=name,
        type=kind,
        suggestions=int(node.get("suggestions", 3)),
        min_confidence=float(node.get("min_confidence", 0.5)),
        url=text_or_none(node.get("url")),
        timeout_seconds=float(timeout) if timeout is not None else 5.0,
        agent_button=text_or_none(node["agent_button"]) if "agent_button" in node else "Talk to an agent",
        solved_button=text_or_none(node["solved_button"]) if "solved_button" in node else "That solved it",
    )


# --- rules -----------------------------------------------------------------------------------


def _states(value: Any, node: Mapping[str, Any], rule_mark: Mark | None) -> tuple[ConversationState, ...]:
    if value is None:
        return ("bot", "closed")
    mark = mark_of(node, "state") or rule_mark
    states: list[ConversationState] = []
    for state in [value] if isinstance(value, str) else value:
        if state not in CONVERSATION_STATES:
            raise CompileError(
                f"unknown state '{state}' (expected one of: {', '.join(CONVERSATION_STATES)})", mark
            )
        states.append(state)
    return tuple(states)


def _condition(node: Mapping[str, Any], mark: Mark | None) -> Condition:
    says = node.get("says")
    matches = node.get("matches")
    return Condition(
        where=names(node.get("where")),
        says=tuple(str(s) for s in ([says] if isinstance(says, str) else says or ())),
        matches=str(matches) if matches is not None else None,
        roles=names(node.get("roles")),
        state=_states(node.get("state"), node, mark),
        hours=node.get("hours"),
        language=names(node.get("language")),
    )


def _rules(items: Sequence[Any]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    marks = getattr(items, "item_marks", ())
    for i, node in enumerate(items):
        mark = marks[i] if i < len(marks) else mark_of(items, i)
        name = str(node.get("name") or f"rule {i + 1}")
        if name in seen:
            raise CompileError(f"two rules are named '{name}'; give each rule its own name", mark)
        seen.add(name)
        rules.append(
            Rule(
                name=name,
                when=_condition(node.get("when") or {}, mark),
                actions=compile_actions(node.get("do") or []),
                source=_source(mark),
            )
        )
    return tuple(rules)
