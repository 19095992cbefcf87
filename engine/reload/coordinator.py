"""Hot reload that never breaks a running bot: every trigger (see triggers.py) calls `Reloader.request`.

One reload reads and checks the files, builds the next generation, swaps it in, then tells the
followers: read -> check -> build -> swap -> tell followers.

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
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from engine.config.diagnostics import ConfigError, Diagnostic
from engine.config.model import Config, frozen_map
from engine.metrics import Metrics
from engine.reload.offloop import build_for_reload, hold, release, short_switches
from engine.reload.result import ReloadResult, describe
from engine.reload.sources import Sources
from engine.steps import sliced

log = logging.getLogger(__name__)

LOGGED_PROBLEMS = 20
_NOT_BUILT = object()  # what _build returns when the new config could not be prepared


class Runtime(Protocol):
    """What the reloader needs from engine.runtime.Runtime: the serving config and one swap."""

    @property
    def config(self) -> Config: ...

    def swap(self, generation: Any) -> None: ...


Prepare = Callable[[Config], Awaitable[Any]]
"""Builds a runtime generation for a config (templates, knowledge base); engine.runtime.prepare."""


async def _runtime_prepare(config: Config) -> object:
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
        self.last: ReloadResult | None = None
        self._lock = asyncio.Lock()
        self._queued: tuple[asyncio.Future[ReloadResult], list[str]] | None = None
        self._waiters: list[asyncio.Future[ReloadResult]] = []
        self._tasks: set[asyncio.Future[object]] = set()
        self._sources: Sources | None = None  # known after the first build
        self._fingerprint: tuple[str, str] | None = None  # (files' fingerprint, the version built from them)
        self._retired: list[object] = []  # what the last reload left behind, freed off the loop
        if metrics is not None:
            metrics.config_loaded(runtime.config.version, runtime.config.name)

    @property
    def config(self) -> Config:
        """The config serving now."""
        return self.runtime.config

    async def settled(self) -> None:
        """Return once no reload is running and what the last one replaced has been freed."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def add_listener(self, listener: ReloadListener) -> None:
        self.listeners.append(listener)

    def remove_listener(self, listener: ReloadListener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

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

    def request_soon(self, reason: str) -> None:
        """Ask for a reload without waiting for it (for triggers that cannot wait: a signal, a file event)."""
        self._spawn(self.request(reason))

    async def _run(self, future: asyncio.Future[ReloadResult]) -> None:
        try:
            async with self._lock:
                assert self._queued is not None and self._queued[0] is future
                reasons = self._queued[1]
                self._queued = None  # from here on, new requests queue the next reload
                with short_switches():
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
        await self._release_retired()

    async def _release_retired(self) -> None:
        """Free the replaced generation (or a config that did not go live) in pieces, a slice at a
        time on the loop: dropped at once, 10,000 rules would stall it for about 60 ms (release.py)."""
        retired, self._retired = self._retired, []
        if retired:
            held = await sliced(hold(retired))
            del retired
            await sliced(release(held))

    async def _reload(self, reason: str) -> ReloadResult:
        """read -> check -> build -> swap -> tell followers; every failure before the swap refuses it."""
        attempt = _Attempt(reason, self.runtime.config)
        new = await self._read_and_check(attempt)
        if new is None:
            return await self._refused(attempt.result(False))
        if new is not attempt.old:
            self._retired.append(new)  # until it goes live
        if new.version == attempt.old.version:
            if self.metrics is not None:
                self.metrics.reload_succeeded(new.version, new.name, changed=False)
            return await self._succeeded(attempt.result(True))
        generation = await self._build(attempt, new)
        if generation is _NOT_BUILT:
            return await self._refused(attempt.result(False))
        with attempt.step("swap"):
            self._retired[:] = [getattr(self.runtime, "generation", None)]
            self.runtime.swap(generation)  # the only live change
        if self.metrics is not None:
            self.metrics.reload_succeeded(new.version, new.name, changed=True)
        with attempt.step("listeners"):
            followers = await self._tell_listeners(attempt.old, new)
        attempt.diagnostics += followers
        return await self._succeeded(attempt.result(True, new.version), tell=bool(followers))

    async def _read_and_check(self, attempt: _Attempt) -> Config | None:
        """The new config, read off the loop and checked; None (with the problems noted) if unsound.
        Files whose bytes are those the serving config was built from are not read again."""
        sources, fingerprint = self._sources, None
        if sources is not None:
            with attempt.step("fingerprint"):
                fingerprint = await asyncio.to_thread(sources.read)
            if fingerprint is not None and self._fingerprint == (fingerprint, self.runtime.config.version):
                return self.runtime.config
        try:
            with attempt.step("build"):
                built, read = await build_for_reload(self.path, self.env, self.offline)
        except ConfigError as exc:
            attempt.diagnostics += exc.diagnostics
            return None
        except Exception as exc:
            log.exception("building the config failed")
            attempt.diagnostics.append(_problem(self.path, f"could not load: {exc}"))
            return None
        attempt.diagnostics += built.diagnostics
        if not built.ok or built.config is None:
            return None
        self._sources = (sources and sources.following(read)) or read
        if fingerprint is not None and self._sources is sources:
            self._fingerprint = (fingerprint, built.config.version)
        return built.config

    async def _build(self, attempt: _Attempt, new: Config) -> object:
        """The runtime's next generation, and each listener's `prepare_reload`; _NOT_BUILT if one failed."""
        try:
            with attempt.step("prepare"):
                generation: object = await self.prepare(new)
            with attempt.step("listeners_prepare"):
                for listener in list(self.listeners):
                    prepare = getattr(listener, "prepare_reload", None)
                    if prepare is not None:
                        await prepare(new)
        except ConfigError as exc:
            attempt.diagnostics[:] = exc.diagnostics
            return _NOT_BUILT
        except Exception as exc:
            log.exception("preparing the new config failed")
            attempt.diagnostics.append(_problem(self.path, f"the new config could not be prepared: {exc}"))
            return _NOT_BUILT
        return generation

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

    def _spawn(self, coroutine: Awaitable[object]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


@dataclass(eq=False)
class _Attempt:
    """One reload in progress: why, from which config, its problems so far and how long each step took."""

    reason: str
    old: Config
    diagnostics: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def step(self, name: str) -> _Timed:
        return _Timed(self.timings, name)

    def result(self, ok: bool, version: str | None = None) -> ReloadResult:
        """How it went; `version` is the new config's when it went live (the old one otherwise)."""
        return ReloadResult(
            ok=ok,
            version=version or self.old.version,
            old_version=self.old.version,
            changed=version is not None,
            diagnostics=tuple(self.diagnostics),
            duration_s=time.perf_counter() - self.started,
            reason=self.reason,
            timings=frozen_map(self.timings),
        )


class _Timed:
    """`with attempt.step("build"):` records the step's duration when it ends without an error."""

    def __init__(self, timings: dict[str, float], name: str) -> None:
        self.timings, self.name = timings, name

    def __enter__(self) -> None:
        self.began = time.perf_counter()

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.timings[self.name] = time.perf_counter() - self.began


__all__ = ["Notify", "Prepare", "ReloadListener", "Reloader", "Runtime"]
