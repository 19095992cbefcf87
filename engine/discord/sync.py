"""Slash-command sync without waste: hash the command payloads and sync only when the hash changed.

Discord rate-limits command registration, and a sync at every start-up (or reload) is the classic
waste. The payloads Discord would receive are hashed canonically and kept in the store per scope
(the guild id, or "global"), with the payload itself so the log can say what was added, changed
or removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import discord
from discord import app_commands

log = logging.getLogger(__name__)


class SettingsStore(Protocol):
    """The part of the store this module uses."""

    async def get_setting(self, key: str) -> str | None: ...

    async def put_setting(self, key: str, value: str) -> None: ...


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a sync did: `changed` is False when Discord already had these commands."""

    changed: bool
    added: tuple[str, ...] = ()
    changed_names: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.changed:
            return "slash commands unchanged"
        parts = [
            f"{label} {', '.join('/' + n for n in names)}"
            for label, names in (
                ("added", self.added),
                ("changed", self.changed_names),
                ("removed", self.removed),
            )
            if names
        ]
        return "slash commands synced: " + ("; ".join(parts) or "re-registered")


def payloads(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> dict[str, object]:
    """The payload of each command in one scope of the tree, by name."""
    return {command.name: command.to_dict(tree) for command in tree.get_commands(guild=guild)}


async def translated_payloads(
    tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None
) -> dict[str, object]:
    """The payloads Discord receives, with each command's localizations when the tree has a translator."""
    translator = tree.translator
    if translator is None:
        return payloads(tree, guild)
    return {
        command.name: await command.get_translated_payload(tree, translator)
        for command in tree.get_commands(guild=guild)
    }


def canonical_hash(commands: Mapping[str, Any]) -> str:
    """sha256 of the payloads as canonical JSON (sorted keys and names, no whitespace)."""
    text = json.dumps(commands, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    """(added, changed, removed) command names between two payload maps."""
    added = tuple(sorted(set(after) - set(before)))
    removed = tuple(sorted(set(before) - set(after)))
    changed = tuple(
        sorted(
            name
            for name in set(before) & set(after)
            if canonical_hash({name: before[name]}) != canonical_hash({name: after[name]})
        )
    )
    return added, changed, removed


def _key(scope: str) -> str:
    return f"discord.commands.{scope}"


async def sync_scope(
    tree: app_commands.CommandTree[Any],
    store: SettingsStore,
    guild: discord.abc.Snowflake | None,
    *,
    force: bool = False,
) -> SyncResult:
    """Sync one scope (a guild, or global when `guild` is None) if its payload hash changed."""
    scope = str(guild.id) if guild is not None else "global"
    current = await translated_payloads(tree, guild)
    digest = canonical_hash(current)
    saved_text = await store.get_setting(_key(scope))
    saved: dict[str, Any] = json.loads(saved_text) if saved_text else {}
    previous: dict[str, Any] = saved.get("payload") or {}
    if not force and saved.get("hash") == digest:
        return SyncResult(False)
    await tree.sync(guild=guild)
    await store.put_setting(_key(scope), json.dumps({"hash": digest, "payload": current}, sort_keys=True))
    added, changed, removed = diff(previous, current)
    result = SyncResult(True, added, changed, removed)
    log.info("%s (%s)", result, "global" if guild is None else f"server {scope}")
    return result


async def forget_synced(store: SettingsStore, scopes: tuple[str, ...]) -> None:
    """Forget what was synced to these scopes (a Discord that starts empty), so the next sync sends all."""
    for scope in scopes:
        await store.put_setting(_key(scope), "")


def merge(results: list[SyncResult]) -> SyncResult:
    """One result for several scopes."""
    return SyncResult(
        changed=any(r.changed for r in results),
        added=tuple(sorted({n for r in results for n in r.added})),
        changed_names=tuple(sorted({n for r in results for n in r.changed_names})),
        removed=tuple(sorted({n for r in results for n in r.removed})),
    )
