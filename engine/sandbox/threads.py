"""Case threads and forum posts in the sandbox's server: forums with their status tags, and who sees what.

A thread is addressed on the page and in the API as "thread:<id>", like a channel name. A case
thread is private: its player sees it, and so does whoever may manage threads in its channel (the
staff role, as `flexcord plan` sets it up). A forum post is seen by everyone who sees the forum.
"""

from __future__ import annotations

from typing import Any

import discord
from simcord import ChannelHandle

from engine.config.model import Config

PREFIX = "thread:"
PRIVATE_THREAD = 12
FORUM = 15


def key(thread_id: int) -> str:
    return f"{PREFIX}{thread_id}"


def is_key(name: str) -> bool:
    return name.startswith(PREFIX)


def forum_tags(config: Config, channel: str) -> list[str]:
    """The tags a forum offers: the status tags of every case template posting there, in order."""
    names: list[str] = []
    for template in config.cases.values():
        if template.post_to == channel:
            names += [tag for tag in template.status_tags.values() if tag not in names]
    return names[:20]  # Discord's limit of tags per forum


def tag_payloads(names: list[str], ids: list[int]) -> list[dict[str, Any]]:
    return [
        {"id": str(i), "name": n, "moderated": False, "emoji_id": None, "emoji_name": None}
        for n, i in zip(names, ids, strict=True)
    ]


def find(channels: dict[str, ChannelHandle], name: str) -> ChannelHandle | None:
    """The thread "thread:<id>" among the threads of the server's channels."""
    wanted = name[len(PREFIX) :]
    for handle in channels.values():
        for thread in handle.threads:
            if str(thread.id) == wanted:
                return thread
    return None


def can_view(thread: ChannelHandle, member_id: int, parent: discord.Permissions) -> bool:
    """Whether a person sees a thread: a member of a private one, or allowed to manage threads."""
    model = thread._channel
    if model.type != PRIVATE_THREAD:
        return bool(parent.view_channel)
    return member_id in model.thread_members or parent.manage_threads or parent.administrator


def thread_json(thread: ChannelHandle, tags: dict[int, str], can: dict[str, bool]) -> dict[str, Any]:
    """A thread or forum post as the page lists it under its channel."""
    model = thread._channel
    meta = model.thread_metadata
    return {
        "key": key(thread.id),
        "name": thread.name,
        "kind": "thread" if model.type == PRIVATE_THREAD else "post",
        "tags": [tags[t] for t in model.applied_tags if t in tags],
        "locked": bool(meta is not None and meta.locked),
        "archived": bool(meta is not None and meta.archived),
        "can_view": can,
    }


def is_forum(channel: ChannelHandle) -> bool:
    return bool(channel._channel.type == FORUM)


def available(forum: ChannelHandle) -> dict[int, str]:
    """A forum's tags by id."""
    return {int(tag["id"]): str(tag["name"]) for tag in getattr(forum._channel, "available_tags", None) or []}
