"""Hot reload: rebuild the config, prepare everything off the loop, then swap one reference."""

from engine.reload.followers import DiscordFollower, DiscordSide
from engine.reload.reloader import Notify, Prepare, Reloader, ReloadListener, Runtime
from engine.reload.result import ReloadResult, describe
from engine.reload.watch import WatchSet

__all__ = [
    "DiscordFollower",
    "DiscordSide",
    "Notify",
    "Prepare",
    "ReloadListener",
    "ReloadResult",
    "Reloader",
    "Runtime",
    "WatchSet",
    "describe",
]
