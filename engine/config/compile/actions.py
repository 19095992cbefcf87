"""The actions a community manager writes under `do:`, compiled to engine.config.model's Action classes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.config.compile.locales import default_text
from engine.config.compile.values import CompileError, text_or_none
from engine.config.model import (
    Action,
    CloseConversation,
    Handoff,
    LeaveQueue,
    OpenCase,
    Post,
    Reply,
    RunChatbot,
    SendDm,
    UpdateCase,
)
from engine.config.yaml.nodes import Mark, mark_of

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


def compile_actions(items: Sequence[Any], owner: str = "") -> tuple[Action, ...]:
    """Compile a `do:` list of `owner` (`commands.helpme`, `rules.live agent`: where the
    translations of its texts are kept, see engine.config.compile.texts)."""
    marks = getattr(items, "item_marks", ())
    return tuple(
        compile_action(item, marks[i] if i < len(marks) else mark_of(items, i), f"{owner}.do.{i}")
        for i, item in enumerate(items)
    )


def _message_action(kind: type[Reply] | type[SendDm], value: object, key: str) -> Action:
    if isinstance(value, Mapping) and "message" in value:
        return kind(text=text_or_none(value.get("text")), message=text_or_none(value.get("message")))
    if isinstance(value, Mapping):  # a text by locale
        return kind(text=default_text(value), key=key)
    return kind(text=str(value))


def _post(value: Mapping[str, object], key: str) -> Post:
    channel, text = str(value["channel"]).lstrip("#"), value["text"]
    if isinstance(text, Mapping):  # a text by locale
        return Post(channel=channel, text=default_text(text) or "", key=key)
    return Post(channel=channel, text=str(text))


def compile_action(item: Any, mark: Mark | None = None, key: str = "") -> Action:
    """One item of a `do:` list: a bare name (`close`) or a one-key mapping (`open_case: bug`);
    `key` is where its text's translations are (plus the action's name)."""
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
    if name in ("reply", "dm"):
        return _message_action(Reply if name == "reply" else SendDm, value, f"{key}.{name}")
    if name == "post":
        return _post(value, f"{key}.{name}")
    if name == "open_case":
        return OpenCase(str(value["template"] if isinstance(value, Mapping) else value))
    if name == "update_case":
        return UpdateCase(
            ref=str(value["ref"]),
            status=text_or_none(value.get("status")),
            note=text_or_none(value.get("note")),
        )
    if name == "chatbot":
        return RunChatbot(str(value["chatbot"] if isinstance(value, Mapping) else value))
    if name == "handoff":
        if isinstance(value, Mapping):
            return Handoff(queue=str(value["queue"]), priority=int(value.get("priority") or 0))
        return Handoff(queue=str(value))
    raise CompileError(f"unknown action '{name}' (expected one of: {', '.join(ACTION_NAMES)})", mark)
