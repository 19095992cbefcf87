"""The Discord side of flexcord (discord.py): slash commands and forms from YAML, DMs, permissions, feeds.

Gateway intents: `guilds` and `dm_messages` only; no privileged intent (see engine.discord.client).
"""

from engine.discord.announcements import FeedPoller, announce_blueprint
from engine.discord.chat import DiscordChat
from engine.discord.client import FlexcordClient, create_client, intents
from engine.discord.permissions import GuildSnapshot, Plan, apply, plan, snapshot
from engine.discord.sync import SyncResult

__all__ = [
    "DiscordChat",
    "FeedPoller",
    "FlexcordClient",
    "GuildSnapshot",
    "Plan",
    "SyncResult",
    "announce_blueprint",
    "apply",
    "create_client",
    "intents",
    "plan",
    "snapshot",
]
