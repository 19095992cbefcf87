"""Hot reload that never breaks a running bot: every trigger goes through `Reloader.request`.

All fallible work happens before any live state is touched: the new config is built off the
event loop (load, schema, checks, compile), the runtime prepares its next generation (templates,
knowledge base) and listeners prepare theirs (e.g. the slash-command payload). Only then does the
runtime swap one reference. A refused reload leaves the old config serving, says why (file:line:col)
to the caller, the log, the admin channel, and sets flexcord_config_last_reload_successful to 0.

Requests that arrive while a reload runs are merged into one follow-up reload; reloads never overlap.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from watchfiles import Change, awatch

from engine.config import build
from engine.config.diagnostics import ConfigError, Diagnostic
from engine.config.model import Config, frozen_map
from engine.metrics import Metrics
from engine.reload.result import ReloadResult, describe
from engine.reload.watch import WatchSet

log = logging.getLogger(__name__)

LOGGED_PROBLEMS = 20


class Runtime(Protocol):
    """What the reloader needs from engine.runtime.Runtime: the serving config and one swap."""

    @property
    def config(self) -> Config: ...

    def swap(self, generation: Any) -> None: ...


Prepare = Callable[[Config], Awaitable[Any]]
"""Builds a runtime generation for a config (templates, knowledge base); engine.runtime.prepare."""


async def _runtime_prepare(config: Config) -> Any:
    from engine.runtime import prepare

    return await prepare(config)


class ReloadListener(Protocol):
    """Told after a new config went live (e.g. the Discord side re-syncs commands and permissions).

    A listener may also define `async def prepare_reload(new: Config) -> None`: it runs before the
    swap, and raising there (ConfigError or any error) refuses the reload.
    """

    async def config_swapped(self, old: Config, new: Config) -> None: ...


Notify = Callable[[str], Awaitable[None]]


def _problem(path: str | Path, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(file=str(path), line=1, col=1, severity="error", message=message, hint=hint)


class Reloader:
    """Rebuilds the config from `path` on request and swaps it into `runtime` only if it is sound."""

    def __init__(
        self,
        path: str | Path,
        runtime: Runtime,
        *,
        listeners: Iterable[ReloadListener] = (),
        env: Mapping[str, str] | None = None,
        offline: bool = True,
        notify: Notify | None = None,
        metrics: Metrics | None = None,
        debounce_ms: int = 300,
        prepare: Prepare | None = None,
    ) -> None:
        self.path = Path(path)
        self.runtime = runtime
        self.prepare: Prepare = prepare or _runtime_prepare
        self.listeners: list[ReloadListener] = list(listeners)
        self.env = env
        self.offline = offline
        self.notify = notify
        self.metrics = metrics
        self.debounce_ms = debounce_ms
        self.last: ReloadResult | None = None
        self._lock = asyncio.Lock()
        self._queued: tuple[asyncio.Future[ReloadResult], list[str]] | None = None
        self._waiters: list[asyncio.Future[ReloadResult]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.watching = asyncio.Event()  # set while `watch` has its file watcher running
        self._watched: WatchSet | None = None
        self._watch_restart: asyncio.Event | None = None
        self._signals: list[signal.Signals] = []
        if metrics is not None:
            metrics.config_loaded(runtime.config.version, runtime.config.name)

    @property
    def config(self) -> Config:
        """The config serving now."""
        return self.runtime.config

    def add_listener(self, listener: ReloadListener) -> None:
        self.listeners.append(listener)

    # --- the one path every trigger takes -----------------------------------------------------

    async def request(self, reason: str) -> ReloadResult:
        """Reload (or join the reload that will run next) and return the result that covered this request."""
        if self._queued is None:
            future: asyncio.Future[ReloadResult] = asyncio.get_running_loop().create_future()
            self._queued = (future, [])
            self._spawn(self._run(future))
        future, reasons = self._queued
        if reason not in reasons:
            reasons.append(reason)
        return await asyncio.shield(future)

    def next_result(self) -> asyncio.Future[ReloadResult]:
        """A future for the next reload to finish, whatever triggered it (take it before triggering)."""
        future: asyncio.Future[ReloadResult] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        return future

    async def reload_callback(self) -> tuple[bool, str]:
        """For the `/flexcord reload` slash command: (ok, text that fits one Discord message)."""
        result = await self.request("/flexcord reload")
        return result.ok, describe(result)

    async def _run(self, future: asyncio.Future[ReloadResult]) -> None:
        try:
            async with self._lock:
                assert self._queued is not None and self._queued[0] is future
                reasons = self._queued[1]
                self._queued = None  # from here on, new requests queue the next reload
                result = await self._reload(", ".join(reasons))
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:  # _reload turns every expected failure into a result
            log.exception("config reload crashed")
            future.set_exception(exc)
            return
        self.last = result
        future.set_result(result)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(result)

    async def _reload(self, reason: str) -> ReloadResult:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        old = self.runtime.config

        def done(ok: bool, version: str, changed: bool, diagnostics: Iterable[Diagnostic]) -> ReloadResult:
            return ReloadResult(
                ok=ok,
                version=version,
                old_version=old.version,
                changed=changed,
                diagnostics=tuple(diagnostics),
                duration_s=time.perf_counter() - started,
                reason=reason,
                timings=frozen_map(timings),
            )

        step = time.perf_counter()
        try:
            built = await asyncio.to_thread(build, self.path, env=self.env, offline=self.offline)
        except ConfigError as exc:
            return await self._refused(done(False, old.version, False, exc.diagnostics))
        except Exception as exc:
            log.exception("building the config failed")
            return await self._refused(
                done(False, old.version, False, [_problem(self.path, f"could not load: {exc}")])
            )
        timings["build"] = time.perf_counter() - step
        diagnostics = list(built.diagnostics)
        new = built.config
        if not built.ok or new is None:
            return await self._refused(done(False, old.version, False, diagnostics))
        if new.version == old.version:
            if self.metrics is not None:
                self.metrics.reload_succeeded(new.version, new.name, changed=False)
            return await self._succeeded(done(True, old.version, False, diagnostics))

        step = time.perf_counter()
        try:
            generation = await self.prepare(new)
            timings["prepare"] = time.perf_counter() - step
            step = time.perf_counter()
            for listener in list(self.listeners):
                prepare = getattr(listener, "prepare_reload", None)
                if prepare is not None:
                    await prepare(new)
            timings["listeners_prepare"] = time.perf_counter() - step
        except ConfigError as exc:
            return await self._refused(done(False, old.version, False, exc.diagnostics))
        except Exception as exc:
            log.exception("preparing the new config failed")
            problem = _problem(self.path, f"the new config could not be prepared: {exc}")
            return await self._refused(done(False, old.version, False, [*diagnostics, problem]))

        step = time.perf_counter()
        self.runtime.swap(generation)  # the only live change
        timings["swap"] = time.perf_counter() - step
        if self.metrics is not None:
            self.metrics.reload_succeeded(new.version, new.name, changed=True)
        await self._watch_update()

        step = time.perf_counter()
        followers = await self._tell_listeners(old, new)
        timings["listeners"] = time.perf_counter() - step
        return await self._succeeded(
            done(True, new.version, True, [*diagnostics, *followers]), tell=bool(followers)
        )

    async def _tell_listeners(self, old: Config, new: Config) -> list[Diagnostic]:
        """Each listener learns of the swap; a failing one is reported, never undoes the swap."""
        problems = []
        for listener in list(self.listeners):
            try:
                await listener.config_swapped(old, new)
            except Exception as exc:
                name = type(listener).__name__
                log.exception("%s failed after the config was swapped", name)
                problems.append(
                    Diagnostic(
                        file="(reload)",
                        line=1,
                        col=1,
                        severity="warning",
                        message=f"the new config is serving, but {name} could not follow it: {exc}",
                        hint="fix the cause and reload again",
                    )
                )
        return problems

    async def _succeeded(self, result: ReloadResult, *, tell: bool = False) -> ReloadResult:
        """Log a good reload; the admin channel hears of it if a follower failed or it ends a failure."""
        if self.metrics is not None:
            self.metrics.reload_took(result.duration_s)
        self._log(result)
        if tell or (self.last is not None and not self.last.ok):
            await self._notify(describe(result))
        return result

    async def _refused(self, result: ReloadResult) -> ReloadResult:
        if self.metrics is not None:
            self.metrics.reload_failed()
            self.metrics.reload_took(result.duration_s)
        self._log(result)
        await self._notify(describe(result))
        return result

    def _log(self, result: ReloadResult) -> None:
        """The summary, then the problems (at most LOGGED_PROBLEMS of them: `flexcord validate` lists all)."""
        level = logging.INFO if result.ok else logging.ERROR
        log.log(level, "%s (%.3f s)", result.summary(), result.duration_s)
        problems = result.warnings if result.ok else result.errors
        for problem in problems[:LOGGED_PROBLEMS]:
            log.log(logging.WARNING if result.ok else logging.ERROR, "%s", problem)
        if len(problems) > LOGGED_PROBLEMS:
            log.log(
                level,
                "... and %d more; run `flexcord validate` to see them all",
                len(problems) - LOGGED_PROBLEMS,
            )

    async def _notify(self, text: str) -> None:
        if self.notify is None:
            return
        try:
            await asyncio.wait_for(self.notify(text), timeout=30)
        except Exception:
            log.exception("could not tell the admin channel about the reload")

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- triggers: SIGHUP and file edits ------------------------------------------------------

    def install_signal_handler(self, signum: signal.Signals | None = None) -> bool:
        """Reload on SIGHUP (or `signum`); False where the platform or thread cannot have one."""
        sig = signum if signum is not None else getattr(signal, "SIGHUP", None)
        if sig is None:
            return False
        try:
            asyncio.get_running_loop().add_signal_handler(sig, self._on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):
            return False
        self._signals.append(sig)
        return True

    def remove_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in self._signals:
            loop.remove_signal_handler(sig)
        self._signals.clear()

    def _on_signal(self, sig: signal.Signals) -> None:
        self._spawn(self.request(sig.name))

    async def watch(self) -> None:
        """Reload whenever a config file, an include or a KB article changes; runs until cancelled."""
        try:
            while True:
                self._watched = WatchSet.of(self.path, self.runtime.config)
                folders = self._watched.paths()
                self._watch_restart = asyncio.Event()
                log.info("watching %s for config changes", ", ".join(folders))
                changes_seen = awatch(
                    *folders,
                    watch_filter=self._relevant,
                    debounce=self.debounce_ms,
                    stop_event=self._watch_restart,
                    recursive=False,
                )
                self.watching.set()  # the watcher exists once the loop below first waits
                async for changes in changes_seen:
                    names = sorted({Path(name).name for _, name in changes})
                    self._spawn(self.request("edited " + ", ".join(names)))
        finally:
            self.watching.clear()

    def _relevant(self, _change: Change, name: str) -> bool:
        return self._watched is not None and self._watched.relevant(name)

    async def _watch_update(self) -> None:
        """Follow the new config's files; restart the watcher only if its folders changed."""
        if self._watched is None or self._watch_restart is None:
            return
        watched = await asyncio.to_thread(WatchSet.of, self.path, self.runtime.config)
        if watched.paths() != self._watched.paths():
            self._watch_restart.set()
        else:
            self._watched = watched


__all__ = ["Notify", "Prepare", "ReloadListener", "Reloader", "Runtime"]
