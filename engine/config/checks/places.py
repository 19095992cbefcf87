"""Checks of where conversations and reports live: case threads, forum posts and their tags."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from engine.config.diagnostics import Diagnostic, did_you_mean
from engine.config.yaml.nodes import Mark, MarkedDict, mark_of

INTENT_HINT = (
    "turn on Message Content Intent in the Discord Developer Portal (your app > Bot > Privileged "
    "Gateway Intents); see 'Case threads' in the README. DMs keep working without it"
)


def _entries(doc: MarkedDict, section: str) -> Iterator[tuple[str, MarkedDict]]:
    node = doc.get(section)
    if isinstance(node, MarkedDict):
        for name, entry in node.items():
            if isinstance(entry, MarkedDict):
                yield name, entry


def _at(node: MarkedDict, key: str) -> Mark:
    return mark_of(node, key) or node.mark


def check_places(
    doc: MarkedDict, skip_sections: Collection[str] = (), *, partial: bool = False
) -> list[Diagnostic]:
    """Problems with case threads and forum posts that the schema cannot see.

    `partial`: some files could not be read, so a name they may declare is not reported missing.
    """
    if partial:
        skip_sections = {*skip_sections, "channels", "roles"}
    problems: list[Diagnostic] = []
    discord = doc.get("discord")
    threads = discord.get("threads") if isinstance(discord, MarkedDict) else None
    found = doc.get("channels")
    channels: MarkedDict = found if isinstance(found, MarkedDict) else MarkedDict()
    listed = doc.get("roles")
    roles: list[Any] = listed if isinstance(listed, list) else []
    users = [
        (f"{kind} '{name}'", entry)
        for section, kind in (("cases", "case template"), ("queues", "queue"))
        for name, entry in _entries(doc, section)
        if entry.get("conversation") == "thread"
    ]
    for user, entry in users:
        if isinstance(threads, MarkedDict):
            message = (
                f"{user} has its conversation in a thread: that needs the privileged Message Content intent"
            )
            problems.append(Diagnostic(*_where(_at(entry, "conversation")), "warning", message, INTENT_HINT))
        else:
            problems.append(
                _error(
                    _at(entry, "conversation"),
                    f"{user} has its conversation in a thread, but no channel is set for case threads",
                    "add 'threads: {channel: support}' under 'discord:' in flexcord.yaml",
                )
            )
    if isinstance(threads, MarkedDict):
        problems += _thread_settings(threads, channels, roles, skip_sections)
    if "channels" not in skip_sections:  # unread channels may be the forums
        problems += _forum_tags(doc, channels)
    return problems


def _thread_settings(
    threads: MarkedDict, channels: MarkedDict, roles: list[Any], skip_sections: Collection[str]
) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    channel = threads.get("channel")
    if isinstance(channel, str) and channel not in channels and "channels" not in skip_sections:
        hint = did_you_mean(channel, list(channels)) or "declare it under 'channels:'"
        problems.append(
            _error(_at(threads, "channel"), f"channel '{channel}' for case threads is not declared", hint)
        )
    elif (
        isinstance(channel, str)
        and isinstance(channels.get(channel), MarkedDict)
        and channels[channel].get("forum")
    ):
        problems.append(
            _error(
                _at(threads, "channel"),
                f"case threads cannot open in '{channel}': it is a forum",
                "name a text channel; forums hold case posts (post_to)",
            )
        )
    staff = threads.get("staff")
    if isinstance(staff, str) and staff not in roles and "roles" not in skip_sections:
        hint = did_you_mean(staff, [str(r) for r in roles]) or "declare it under 'roles:'"
        problems.append(
            _error(_at(threads, "staff"), f"role '{staff}' for case threads is not declared", hint)
        )
    return problems


def _forum_tags(doc: MarkedDict, channels: MarkedDict) -> list[Diagnostic]:
    """Status tags only show on a forum post: warn when a template with tags posts elsewhere."""
    problems: list[Diagnostic] = []
    for name, case in _entries(doc, "cases"):
        statuses = case.get("statuses")
        tagged = isinstance(statuses, dict) and any(
            isinstance(v, dict) and v.get("tag") for v in statuses.values()
        )
        target = case.get("post_to")
        spec = channels.get(target) if isinstance(target, str) else None
        if tagged and not (isinstance(spec, MarkedDict) and spec.get("forum")):
            problems.append(
                Diagnostic(
                    *_where(_at(case, "statuses")),
                    "warning",
                    f"case template '{name}' gives its statuses forum tags, but does not post to a forum",
                    "set post_to to a channel with 'forum: true', or leave the tags out",
                )
            )
    return problems


def _where(mark: Mark) -> tuple[str, int, int]:
    return mark.file, mark.line, mark.col


def _error(mark: Mark, message: str, hint: str) -> Diagnostic:
    return Diagnostic(mark.file, mark.line, mark.col, "error", message, hint)
