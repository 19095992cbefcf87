"""Turn the loaded, schema-valid YAML document into the frozen Config the engine runs.

The loader (engine.config.loader) has already checked shapes against the JSON Schema; what is
left here is what a schema cannot say: durations such as `10m`, cooldowns such as `2/10m`,
opening hours such as `mon-fri: "09:00-18:00"`, and the action syntax under `do:`. Values keep
their file:line (from MarkedDict) as `Source`, so `flexcord route` can point at a rule.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Literal

from engine.config.model import (
    CONVERSATION_STATES,
    Action,
    CaseTemplate,
    Channel,
    Chatbot,
    CloseConversation,
    Command,
    Condition,
    Config,
    ConversationState,
    Cooldown,
    DiscordSettings,
    Feed,
    FlexSettings,
    FormField,
    Handoff,
    Hours,
    LeaveQueue,
    Limits,
    OpenCase,
    Option,
    Post,
    Queue,
    Reply,
    Rule,
    RunChatbot,
    SendDm,
    ServerSettings,
    Source,
    UpdateCase,
    frozen_map,
)
from engine.config.yamlnodes import Mark, mark_of
from engine.hours import parse_hours_spec

__all__ = [
    "CompileError",
    "compile_action",
    "compile_actions",
    "compile_config",
    "parse_cooldown",
    "parse_duration",
    "parse_hours",
]

ACTION_NAMES = (
    "reply",
    "dm",
    "post",
    "open_case",
    "update_case",
    "chatbot",
    "handoff",
    "leave_queue",
    "close",
)


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
    config = Config(
        version=version,
        name=str(doc.get("name") or discord.get("guild") or "flexcord"),
        root=root,
        files=tuple(files),
        discord=_discord(discord),
        flex=_flex(_section(doc, "flex")),
        server=_server(_section(doc, "server")),
        storage=str(doc.get("storage") or "sqlite:///flexcord.db"),
        knowledge_base=_text(doc.get("knowledge_base")),
        roles=tuple(str(r) for r in doc.get("roles") or ()),
        channels=frozen_map(_named(doc, "channels", _channel)),
        commands=frozen_map(_named(doc, "commands", _command)),
        cases=frozen_map(_named(doc, "cases", _case)),
        rules=rules,
        queues=frozen_map(_named(doc, "queues", _queue)),
        chatbots=frozen_map(_named(doc, "chatbots", _chatbot)),
        messages=frozen_map({str(k): str(v) for k, v in (doc.get("messages") or {}).items()}),
        hours=parse_hours(doc["hours"], mark_of(doc, "hours")) if doc.get("hours") else None,
        limits=_limits(_section(doc, "limits")),
    )
    try:
        index = RuleIndex(rules)
    except RuleError as exc:
        source = rules[exc.position].source
        raise CompileError(str(exc), Mark(source.file, source.line, source.col) if source else None) from None
    return replace(config, index=index)


# --- values a schema cannot check ------------------------------------------------------------


class CompileError(ValueError):
    """A value the schema let through but that cannot be used; `mark` says where it was written."""

    def __init__(self, message: str, mark: Mark | None = None) -> None:
        self.message = message
        self.mark = mark
        super().__init__(f"{mark}: {message}" if mark else message)


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"\s*(\d+)\s*([smhd])\s*")


def parse_duration(value: Any, mark: Mark | None = None) -> int:
    """Seconds in a duration: `30s`, `10m`, `1h`, `2d`, `1h30m`, or a plain number of seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    text = str(value).strip().lower()
    if text.isdigit():
        return int(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != text.replace(" ", ""):
        raise CompileError(f"'{value}' is not a duration; write it like 30s, 10m, 1h or 2d", mark)
    return sum(int(number) * _UNITS[unit] for number, unit in parts)


def parse_cooldown(value: Any, mark: Mark | None = None) -> Cooldown:
    """`2/10m` -> at most 2 uses every 10 minutes."""
    uses, sep, per = str(value).partition("/")
    if not sep or not uses.strip().isdigit() or int(uses) < 1:
        raise CompileError(f"'{value}' is not a limit; write it like 2/10m (2 times every 10 minutes)", mark)
    seconds = parse_duration(per, mark)
    if seconds < 1:
        raise CompileError(f"'{value}': the time in a limit must be at least 1s", mark)
    return Cooldown(uses=int(uses), per_seconds=seconds)


def parse_hours(node: Mapping[str, Any], mark: Mark | None = None) -> Hours:
    """Opening hours from `{timezone, open: {"mon-fri": "09:00-18:00"}, closed_on: [dates]}`."""
    try:
        return parse_hours_spec(node)
    except ValueError as exc:
        raise CompileError(str(exc), mark_of(node, "open") or mark) from None


# --- helpers ---------------------------------------------------------------------------------


def _source(mark: Mark | None) -> Source | None:
    return Source(mark.file, mark.line, mark.col) if mark is not None else None


def _section(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    """A setting that may be missing or left empty (an unset ${VAR:-}); both mean None."""
    if value is None or value == "":
        return None
    return str(value)


def _names(value: Any) -> tuple[str, ...]:
    """A single name or a list of names; channel names may be written with a leading '#'."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(str(item).lstrip("#") for item in items)


def _optional_names(node: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    return _names(node[key]) if node.get(key) is not None else None


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
        token=_text(node.get("token")),
        guild=str(node.get("guild") or ""),
        admin_channel=_text(node.get("admin_channel")),
        admin_role=str(node.get("admin_role") or "admin"),
        apply_permissions=bool(node.get("apply_permissions", False)),
    )


def _flex(node: Mapping[str, Any]) -> FlexSettings:
    return FlexSettings(
        account_sid=_text(node.get("account_sid")),
        auth_token=_text(node.get("auth_token")),
        workspace_sid=_text(node.get("workspace_sid")),
        workflow_sid=_text(node.get("workflow_sid")),
        task_channel=str(node.get("task_channel") or "chat"),
    )


def _server(node: Mapping[str, Any]) -> ServerSettings:
    listen = str(node.get("listen") or "127.0.0.1:8080")
    return ServerSettings(
        public_url=str(node.get("public_url") or f"http://{listen}").rstrip("/"),
        listen=listen,
        admin_token=_text(node.get("admin_token")),
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
        topic=_text(node.get("topic")),
        view=_optional_names(node, "view"),
        send=_optional_names(node, "send"),
        threads=_optional_names(node, "threads"),
        feeds=tuple(_feed(item, mark_of(feeds, i)) for i, item in enumerate(feeds)),
        announce_token=_text(node.get("announce_token")),
        source=_source(mark),
    )


def _option(name: str, node: Mapping[str, Any]) -> Option:
    low, high = node.get("min"), node.get("max")
    return Option(
        name=name,
        type=node.get("type", "string"),
        description=str(node.get("description") or name),
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
        description=str(node.get("description") or name),
        actions=compile_actions(node.get("do") or []),
        channels=_names(node.get("channels")),
        roles=_names(node.get("roles")),
        options=tuple(_option(str(k), v or {}) for k, v in options.items()),
        cooldown=parse_cooldown(cooldown, mark_of(node, "cooldown")) if cooldown else None,
        dm=bool(node.get("dm", False)),
        source=_source(mark),
    )


def _form_field(name: str, node: Mapping[str, Any]) -> FormField:
    low = node.get("min_length", node.get("min"))
    high = node.get("max_length", node.get("max"))
    return FormField(
        name=name,
        label=str(node.get("label") or name),
        style=node.get("style", "short"),
        required=bool(node.get("required", True)),
        min_length=int(low) if low is not None else None,
        max_length=int(high) if high is not None else None,
        placeholder=_text(node.get("placeholder")),
    )


def _case(name: str, node: Mapping[str, Any], mark: Mark | None) -> CaseTemplate:
    form = node.get("form") or {}
    statuses = tuple(str(s) for s in node.get("statuses") or ("open", "closed"))
    return CaseTemplate(
        name=name,
        prefix=str(node.get("prefix") or name.upper()),
        title=str(node.get("title") or name),
        form=tuple(_form_field(str(k), v or {}) for k, v in form.items()),
        post_to=str(node["post_to"]).lstrip("#") if node.get("post_to") else None,
        reply=_text(node.get("reply")),
        statuses=statuses,
        notify_on=tuple(str(s) for s in node.get("notify_on") or ()),
        source=_source(mark),
    )


def _queue(name: str, node: Mapping[str, Any], _mark: Mark | None) -> Queue:
    return Queue(name=name, description=_text(node.get("description")), skills=_names(node.get("skills")))


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
        min_score=float(node.get("min_score", 0.0)),
        url=_text(node.get("url")),
        timeout_seconds=float(timeout) if timeout is not None else 5.0,
        agent_button=_text(node["agent_button"]) if "agent_button" in node else "Talk to an agent",
        solved_button=_text(node["solved_button"]) if "solved_button" in node else "That solved it",
    )


# --- actions ---------------------------------------------------------------------------------


def compile_actions(items: Sequence[Any]) -> tuple[Action, ...]:
    """Compile a `do:` list."""
    marks = getattr(items, "item_marks", ())
    return tuple(
        compile_action(item, marks[i] if i < len(marks) else mark_of(items, i))
        for i, item in enumerate(items)
    )


def _message_action(kind: Any, value: Any) -> Action:
    if isinstance(value, Mapping):
        message = _text(value.get("message"))
        text = _text(value.get("text"))
        return kind(text=text, message=message)  # type: ignore[no-any-return]
    return kind(text=str(value))  # type: ignore[no-any-return]


def compile_action(item: Any, mark: Mark | None = None) -> Action:
    """One item of a `do:` list: a bare name (`close`) or a one-key mapping (`open_case: bug`)."""
    value: Any
    if isinstance(item, str):
        name, value = item, None
    elif isinstance(item, Mapping) and len(item) == 1:
        name, value = next(iter(item.items()))
    else:
        raise CompileError("an action is a name such as 'close' or one 'name: value' pair", mark)
    bare = value is None or value == {}
    if name == "leave_queue" and bare:
        return LeaveQueue()
    if name == "close" and bare:
        return CloseConversation()
    if bare:
        raise CompileError(f"action '{name}' needs a value (for example '{name}: ...')", mark)
    if name == "reply":
        return _message_action(Reply, value)
    if name == "dm":
        return _message_action(SendDm, value)
    if name == "post":
        return Post(channel=str(value["channel"]).lstrip("#"), text=str(value["text"]))
    if name == "open_case":
        return OpenCase(str(value["template"] if isinstance(value, Mapping) else value))
    if name == "update_case":
        return UpdateCase(
            ref=str(value["ref"]), status=_text(value.get("status")), note=_text(value.get("note"))
        )
    if name == "chatbot":
        return RunChatbot(str(value["chatbot"] if isinstance(value, Mapping) else value))
    if name == "handoff":
        if isinstance(value, Mapping):
            return Handoff(queue=str(value["queue"]), priority=int(value.get("priority") or 0))
        return Handoff(queue=str(value))
    raise CompileError(f"unknown action '{name}' (expected one of: {', '.join(ACTION_NAMES)})", mark)


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
        where=_names(node.get("where")),
        says=tuple(str(s) for s in ([says] if isinstance(says, str) else says or ())),
        matches=str(matches) if matches is not None else None,
        roles=_names(node.get("roles")),
        state=_states(node.get("state"), node, mark),
        hours=node.get("hours"),
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
