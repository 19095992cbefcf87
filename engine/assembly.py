"""The running bot put together once, for `flexcord run` and `flexcord sandbox` alike.

`assemble` opens the store and builds the Flex contact center, the Discord client, the runtime,
the metrics, the reloader and the web app, each wired to the others. `Bot.start` connects
Discord through a `Gateway` (the real one with the bot's token, or an emulated server), then
starts the runtime, the web server, the periodic tick and, if asked, the file watcher;
`Bot.stop` stops them in the reverse order. What production and the sandbox do differently
is a parameter: the clock, where Flex is, how a config becomes a runtime generation, extra
pages, who follows a reload and whether the admin channel hears of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from quart import Quart

from engine.admin import admin_blueprint
from engine.agentdesk.blueprint import agent_pages
from engine.config.model import Config
from engine.discord import FlexcordClient, announce_blueprint, create_client
from engine.discord.announcements import FeedFetch
from engine.events import OutMessage
from engine.flex import TwilioContactCenter
from engine.metrics import Metrics
from engine.reload import (
    DiscordFollower,
    FileTrigger,
    Prepare,
    Reloader,
    ReloadListener,
    slash_command_trigger,
)
from engine.replicas import Gateway, GatewayLease, SharedStore
from engine.reports.page import reports_blueprint
from engine.reports.queries import outbox_pending
from engine.runtime import Generation, Runtime, utc_now
from engine.runtime import prepare as prepare_generation
from engine.runtime.desk import AgentDesk
from engine.server import ReadyCheck, ServerServices, config_ready, create_app, serve, store_ready
from engine.store import Store, open_store

log = logging.getLogger(__name__)

TICK_EVERY = 30.0  # seconds between runtime ticks (queue timeouts, due retries)
FINISH_REQUESTS_WITHIN = 10.0  # seconds the web server has on stop for the requests in flight


@dataclass(eq=False)
class Bot:
    """The assembled bot: its parts, and the order in which they start and stop."""

    config_path: Path
    store: Store
    contact: TwilioContactCenter
    client: FlexcordClient
    runtime: Runtime
    metrics: Metrics
    reloader: Reloader
    app: Quart
    lease: GatewayLease | None = None  # several replicas share the store: the gateway goes to one
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _server: asyncio.Task[None] | None = field(default=None, init=False)
    _tasks: list[asyncio.Future[Any]] = field(default_factory=list, init=False)
    _stops: list[Callable[[], Awaitable[Any]]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self._stops += [self.store.close, self.contact.aclose]  # the bot owns what assemble opened

    async def start(
        self,
        gateway: Gateway,
        *,
        listen: str | socket.socket | None = None,
        watch: bool = False,
        tick_every: float = TICK_EVERY,
    ) -> None:
        """Connect Discord, resume pending deliveries, serve the app on `listen`, tick, and watch files.

        `listen` is "host:port" (server.listen of the config when not given) or an open socket,
        so that a port chosen by the system is known before anything starts.
        """
        if self.lease is not None:
            self.lease.inner, gateway = gateway, self.lease
        await gateway.start()
        self._stops.append(gateway.stop)
        await self.runtime.start()
        self._stops.append(self.runtime.stop)
        where = listen if listen is not None else self.runtime.config.server.listen
        if isinstance(where, socket.socket):
            where = f"fd://{os.dup(where.fileno())}"  # Hypercorn takes ownership of the descriptor
        self._server = asyncio.create_task(serve(self.app, where, self.stopping), name="web")
        self._tasks.append(self._server)
        self.spawn(self._tick(tick_every))
        if watch:
            self.spawn(FileTrigger(self.reloader).watch())

    def spawn(self, work: Awaitable[Any]) -> None:
        """Run `work` beside the bot until it stops; `wait` returns if it ends first."""
        self._tasks.append(asyncio.ensure_future(work))

    def request_stop(self) -> None:
        """Ask the bot to stop (what SIGTERM and Ctrl+C do); `wait` then returns."""
        self.stopping.set()

    async def wait(self, *also: asyncio.Future[Any]) -> None:
        """Run until a stop is asked for or a part ends: the web server, a spawned task, one of `also`.

        A part that ended with an error raises it here.
        """
        asked = asyncio.ensure_future(self.stopping.wait())
        try:
            done, _ = await asyncio.wait([asked, *self._tasks, *also], return_when=asyncio.FIRST_COMPLETED)
        finally:
            asked.cancel()
        for part in done:
            failure = None if part is asked or part.cancelled() else part.exception()
            if failure is not None:
                raise failure

    async def stop(self) -> None:
        """Stop serving (the requests in flight finish), the spawned work, then the rest in reverse order."""
        self.stopping.set()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server, FINISH_REQUESTS_WITHIN)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._server = None
        await unwind(self._stops, "the bot")

    async def _tick(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.runtime.tick()
            except Exception:
                log.exception("the runtime's tick failed")


async def unwind(steps: list[Callable[[], Awaitable[Any]]], what: str) -> None:
    """Run the stop `steps` last first, emptying the list; a failing step is logged, the rest still run."""
    while steps:
        step = steps.pop()
        try:
            await step()
        except Exception:
            log.exception("stopping %s: a step failed", what)


def watch_signals(
    metrics: Metrics, store: Store, client: FlexcordClient, clock: Callable[[], datetime]
) -> None:
    """Before each scrape of /metrics: is Discord connected, how many outbox items wait and for how long."""

    async def scrape(m: Metrics) -> None:
        m.discord_connected.set(1 if client.is_ready() and not client.is_closed() else 0)
        m.outbox_backlog(await outbox_pending(store, clock()))

    metrics.before_scrape(scrape)


async def _open_parts(
    config: Config, make_generation: Prepare, *, contact_base_url: str | None, initialise_storage: bool
) -> tuple[Store, TwilioContactCenter, Generation]:
    """The store, the Flex contact center and the first generation; what was opened is closed on failure."""
    store = await open_store(config.storage, root=config.root, initialise=initialise_storage)
    try:
        contact = TwilioContactCenter(config.flex, config.server.public_url, base_url=contact_base_url)
    except BaseException:
        await store.close()
        raise
    try:
        generation = await make_generation(config)
    except BaseException:
        await contact.aclose()
        await store.close()
        raise
    return store, contact, generation


def _admin_channel(config: Callable[[], Config], client: FlexcordClient) -> Callable[[str], Awaitable[None]]:
    """Posts a notice in the admin channel of the config serving now (nothing when it names none)."""

    async def notify(text: str) -> None:
        channel = config().discord.admin_channel
        if channel:
            await client.chat.post(channel, OutMessage(text=text))

    return notify


def _discord_ready(client: FlexcordClient, lease: GatewayLease | None) -> ReadyCheck:
    """/readyz: the Discord client is connected to its server (or another replica holds it)."""

    async def discord_ready() -> tuple[str, bool, str]:
        standby = None if lease is None else await lease.ready()
        if standby is not None:
            return standby
        guild = client.guild
        ok = client.is_ready() and guild is not None
        return "discord", ok, f"connected to {guild.name}" if guild is not None else "not connected yet"

    return discord_ready


async def assemble(
    config_path: str | Path,
    config: Config,
    *,
    offline: bool,
    contact_base_url: str | None = None,
    clock: Callable[[], datetime] = utc_now,
    fetch_feed: FeedFetch | None = None,
    prepare: Prepare | None = None,
    listeners: Iterable[ReloadListener] | None = None,
    notify_admins: bool = True,
    reports_public: bool = False,
    initialise_storage: bool = False,
) -> Bot:
    """The bot for `config`, built but not started (only its store is open).

    - `offline`: how the reloader builds the config (False: secrets from the environment);
    - `contact_base_url`: where the twilio SDK reaches Flex (None: Twilio itself);
    - `clock`: the runtime's time; `fetch_feed`: how announcement feeds are read;
    - `prepare`: how a config becomes a runtime generation, the first one and every reload's;
    - `listeners`: who follows a reload (default: the Discord client re-syncs commands and permissions);
    - `notify_admins`: the admin channel hears of a refused reload (and of a follower that failed);
    - `reports_public`: /reports needs no admin token (the sandbox);
    - `initialise_storage`: begin an empty database where a kept one is missing (else StorageError).

    More pages can be registered on `bot.app` before `bot.start`.
    """
    make_generation: Prepare = prepare or prepare_generation
    store, contact, generation = await _open_parts(
        config, make_generation, contact_base_url=contact_base_url, initialise_storage=initialise_storage
    )
    runtime: Runtime | None = None  # the client reads the config (its intents) before the runtime exists
    live = lambda: runtime.config if runtime is not None else config  # noqa: E731
    client = create_client(None, config_provider=live, store=store, fetch_feed=fetch_feed)
    metrics = Metrics()
    notify = _admin_channel(live, client)
    alert = notify if notify_admins else None
    runtime = Runtime(generation, store, client.chat, contact, clock=clock, observer=metrics, alert=alert)
    client.runtime = runtime

    reloader = Reloader(
        config_path,
        runtime,
        listeners=[DiscordFollower(client)] if listeners is None else listeners,
        offline=offline,
        notify=notify if notify_admins else None,
        metrics=metrics,
        prepare=make_generation,
    )
    client.reload_callback = slash_command_trigger(reloader)
    stopping = asyncio.Event()
    lease = None
    if isinstance(store, SharedStore):
        version = lambda: runtime.config.version  # noqa: E731
        lease = GatewayLease(
            store, runtime.outbox, metrics, clock=clock, config_version=version, lost=stopping.set
        )
    watch_signals(metrics, store, client, clock)
    app = create_app(
        ServerServices(
            runtime=runtime,
            ready_checks=[config_ready(runtime), store_ready(store), _discord_ready(client, lease)],
            blueprints=[
                admin_blueprint(reloader, metrics),
                announce_blueprint(lambda: runtime.config, client.chat.post),
                reports_blueprint(store, lambda: runtime.config, clock, public=reports_public),
                agent_pages(AgentDesk(runtime), lambda: runtime.config.flex.auth_token or ""),
            ],
            observer=metrics,
        )
    )
    return Bot(
        Path(config_path), store, contact, client, runtime, metrics, reloader, app, lease, stopping=stopping
    )


__all__ = ["TICK_EVERY", "Bot", "Gateway", "assemble", "unwind"]
