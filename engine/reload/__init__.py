"""Hot reload: rebuild the config, prepare everything off the loop, then swap one reference.

- coordinator: `Reloader`, the one path every reload takes (read -> check -> build -> swap -> tell followers)
- triggers: what asks for a reload (SIGHUP, file edits, the `/flexcord reload` slash command)
- followers: who follows a swap (the Discord side's commands and permissions)
"""

from engine.reload.coordinator import Notify, Prepare, Reloader, ReloadListener, Runtime
from engine.reload.followers import DiscordFollower, DiscordSide
from engine.reload.result import ReloadResult, describe
from engine.reload.triggers import FileTrigger, SignalTrigger, SlashCommandReload, slash_command_trigger
from engine.reload.watch import WatchSet

__all__ = [
    "DiscordFollower",
    "DiscordSide",
    "FileTrigger",
    "Notify",
    "Prepare",
    "ReloadListener",
    "ReloadResult",
    "Reloader",
    "Runtime",
    "SignalTrigger",
    "SlashCommandReload",
    "WatchSet",
    "describe",
    "slash_command_trigger",
]
