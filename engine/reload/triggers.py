"""What starts a reload: SIGHUP, an edited file, the `/flexcord reload` slash command (and POST /admin/reload,
in engine.admin). Each only asks the coordinator (`Reloader.request`), which merges requests that
overlap; none of them touches the config itself.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, awatch

from engine.config.model import Config
from engine.reload.coordinator import Reloader
from engine.reload.result import describe
from engine.reload.watch import WatchSet

log = logging.getLogger(__name__)

SlashCommandReload = Callable[[], Awaitable[tuple[bool, str]]]
"""Reloads for `/flexcord reload`; returns (ok, text that fits one Discord message)."""


class SignalTrigger:
    """Reload on SIGHUP (or another signal), where the platform has one."""

    def __init__(self, reloader: Reloader) -> None:
        self.reloader = reloader
        self._installed: list[signal.Signals] = []

    def install(self, signum: signal.Signals | None = None) -> bool:
        """Reload on `signum` (SIGHUP by default); False where the platform or thread cannot have one."""
        sig = signum if signum is not None else getattr(signal, "SIGHUP", None)
        if sig is None:
            return False
        try:
            asyncio.get_running_loop().add_signal_handler(sig, self.reloader.request_soon, sig.name)
        except (NotImplementedError, RuntimeError, ValueError):
            return False
        self._installed.append(sig)
        return True

    def remove(self) -> None:
        """Stop reloading on the signals installed."""
        loop = asyncio.get_running_loop()
        for sig in self._installed:
            loop.remove_signal_handler(sig)
        self._installed.clear()


class FileTrigger:
    """Reload whenever a config file, a new include or a KB article changes.

    While `watch` runs it follows the reloads as a listener: when the config's files or folders
    change, the watcher restarts on the new folders.
    """

    def __init__(self, reloader: Reloader, *, debounce_ms: int = 300) -> None:
        self.reloader = reloader
        self.debounce_ms = debounce_ms
        self.watching = asyncio.Event()  # set while the file watcher runs
        self._watched: WatchSet | None = None
        self._restart: asyncio.Event | None = None

    async def watch(self) -> None:
        """Watch until cancelled."""
        self.reloader.add_listener(self)
        try:
            while True:
                self._watched = WatchSet.of(self.reloader.path, self.reloader.config)
                folders = self._watched.paths()
                self._restart = asyncio.Event()
                log.info("watching %s for config changes", ", ".join(folders))
                changes_seen = awatch(
                    *folders,
                    watch_filter=self._relevant,
                    debounce=self.debounce_ms,
                    stop_event=self._restart,
                    recursive=False,
                )
                self.watching.set()  # the watcher exists once the loop below first waits
                async for changes in changes_seen:
                    names = sorted({Path(name).name for _, name in changes})
                    self.reloader.request_soon("edited " + ", ".join(names))
        finally:
            self.watching.clear()
            self.reloader.remove_listener(self)

    async def config_swapped(self, old: Config, new: Config) -> None:
        """Follow the new config's files; restart the watcher only if its folders changed."""
        if self._watched is None or self._restart is None:
            return
        watched = await asyncio.to_thread(WatchSet.of, self.reloader.path, new)
        if watched.paths() != self._watched.paths():
            self._restart.set()
        else:
            self._watched = watched

    def _relevant(self, _change: Change, name: str) -> bool:
        return self._watched is not None and self._watched.relevant(name)


def slash_command_trigger(reloader: Reloader) -> SlashCommandReload:
    """What `/flexcord reload` runs (the Discord side checks the admin role first)."""

    async def reload() -> tuple[bool, str]:
        result = await reloader.request("/flexcord reload")
        return result.ok, describe(result)

    return reload


__all__ = ["FileTrigger", "SignalTrigger", "SlashCommandReload", "slash_command_trigger"]
