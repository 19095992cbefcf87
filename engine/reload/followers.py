"""Listeners that follow a reload on the Discord side, through a protocol (no discord import here)."""

from __future__ import annotations

import logging
from typing import Protocol

from engine.config.model import Config

log = logging.getLogger(__name__)


class DiscordSide(Protocol):
    """What engine.discord's client offers after a reload (FlexcordClient has both)."""

    async def refresh_commands(self, config: Config | None = None) -> object:
        """Rebuild the slash commands from `config`; sync with Discord only if their payload changed."""
        ...

    async def apply_permissions(self) -> object:
        """Make the channel permissions match the config serving now."""
        ...


class DiscordFollower:
    """After a swap: slash commands re-synced when their payload changed, permissions applied if asked."""

    def __init__(self, discord: DiscordSide) -> None:
        self.discord = discord

    async def config_swapped(self, old: Config, new: Config) -> None:
        synced = await self.discord.refresh_commands(new)
        log.info("after reload to %s: %s", new.version, synced)
        if new.discord.apply_permissions:
            await self.discord.apply_permissions()


__all__ = ["DiscordFollower", "DiscordSide"]
