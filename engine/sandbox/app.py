"""`flexcord sandbox`: the whole product on one machine, with no accounts, and a page to play both sides.

One process, one event loop:
- the runtime with the given config, its SQLite store under the data folder, hot reload on;
- Discord emulated by SimCord, with the real flexcord bot (engine.discord) attached to it;
- Twilio emulated by the Flex emulator, reached by the real Flex adapter (twilio SDK) on a second,
  internal loopback port: the emulator is its own web app with Twilio's paths (/v1/...), as the
  real Twilio is its own host, so flexcord's public port serves only flexcord. The emulator
  sends its signed webhooks to flexcord's real webhook server, like Twilio does. With
  `flex_url` the sandbox uses an emulator running in another process instead
  (`python -m engine.flex.emulator`), which outlives a crash of the sandbox;
- one public port for the page, the sandbox API, the webhooks, /healthz and /metrics.

Replicas: with `storage` (a postgresql:// URL) and `public_url` (the load balancer in front of
them), several sandboxes on one machine run as replicas of one bot, as `flexcord run` does: one
holds the gateway (its emulated Discord is connected; the others' stay off until they take over),
every one serves the webhooks, and with one shared `discord_receipts` file their emulated
Discords refuse each other's nonces, as the one real Discord would.

A restart on the same data folder carries on: the emulated Discord's server and people keep
their ids, its clock never goes back before the events already recorded (so new message ids
never meet old ones), and with `discord_receipts` its memory of message nonces survives too.
The emulated Discord itself starts empty (no earlier messages, no commands): the bot's record of
commands already synced is forgotten, so they are synced again; the cases stay in the records.

Unless a moment (`clock`) or real time (`real_time`) is asked for, the sandbox opens during
business hours: when support is closed at the start, its clock moves to the next opening.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.admin import result_json
from engine.assembly import Bot, assemble, unwind
from engine.cli.options import SANDBOX_DATA
from engine.config import build
from engine.config.diagnostics import ConfigError
from engine.config.model import Config
from engine.discord.sync import forget_synced
from engine.flex.emulator import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, create_emulator, emulator_of
from engine.hours import describe_next_open, is_open, next_open
from engine.reload import ReloadResult
from engine.reports.demo import DemoWeek, seed_week
from engine.runtime import prepare
from engine.sandbox import threads
from engine.sandbox.api import diagnostic_json, sandbox_blueprint
from engine.sandbox.clock import SandboxClock
from engine.sandbox.desk import AgentDesk
from engine.sandbox.feeds import sample_feed
from engine.sandbox.guild import Refused, SandboxGuild
from engine.sandbox.locales import client_locales
from engine.sandbox.payloads import command_json, commands, reload_command
from engine.sandbox.players import Players
from engine.server import RunningServer, start_server

log = logging.getLogger(__name__)

TICK_EVERY = 5.0  # seconds between runtime ticks (queue timeouts, due retries)
RESTART_GAP = timedelta(seconds=1)  # after a restart, Discord's clock starts past the last recorded event
DEFAULT_DATA = SANDBOX_DATA
EMPTY_AFTER_RESTART = (
    "The sandbox restarted: its emulated Discord starts empty, so earlier chats are not shown. "
    "Their cases and transcripts are kept: see Cases on the right, or flexcord cases list."
)
_SIDS = {"account_sid": "AC", "workspace_sid": "WS", "workflow_sid": "WW"}
SANDBOX_BODY_BYTES = 8 * 1024 * 1024  # a file up to Flex's 5 MB, base64 in JSON


def sandboxed(
    config: Config,
    public_url: str,
    listen: str,
    storage: str,
    auth_token: str,
    account_sid: str | None = None,
) -> Config:
    """The config as the sandbox runs it: its own URL, store and Twilio credentials (never real ones)."""
    sids = {name: prefix + "0" * 32 for name, prefix in _SIDS.items()}
    if account_sid:
        sids["account_sid"] = account_sid
    flex = dataclasses.replace(config.flex, **sids, auth_token=auth_token)
    body = max(config.server.max_body_bytes, SANDBOX_BODY_BYTES)  # the page sends files as base64 JSON
    return dataclasses.replace(
        config,
        server=dataclasses.replace(config.server, public_url=public_url, listen=listen, max_body_bytes=body),
        flex=flex,
        storage=storage,
        discord=dataclasses.replace(config.discord, apply_permissions=True),
    )


def bind(host: str, port: int) -> tuple[socket.socket, int]:
    """Open the public port now, so its number (port 0: any free one) is known before anything starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port} ({exc.strerror}); try another --port") from exc
    sock.listen(1024)
    return sock, int(sock.getsockname()[1])


class Sandbox:
    """Everything `flexcord sandbox` runs; `start()`, then `url`, then `stop()`."""

    def __init__(
        self,
        config_path: str | Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        data: str | Path = DEFAULT_DATA,
        clock: datetime | None = None,
        real_time: bool = False,
        watch: bool = True,
        flex_url: str | None = None,
        discord_receipts: Path | None = None,
        seed_demo_data: bool = False,
        storage: str | None = None,
        public_url: str | None = None,
    ) -> None:
        self.config_path = Path(config_path)
        self.host = host
        self.port = port
        self.data = Path(data)
        self.clock = SandboxClock(clock)
        self.real_time = real_time or clock is not None  # no move to business hours
        self.clock_note: str | None = None  # why the clock is not the real time, for the page and banner
        self.watch = watch
        self.flex_url = flex_url.rstrip("/") if flex_url else None
        self.discord_receipts = discord_receipts
        self.storage = storage  # None: SQLite in the data folder
        self.public_url = public_url  # None: this sandbox's own address
        self.seed_demo_data = seed_demo_data  # a week of made-up history for the /reports page
        self.demo_week: DemoWeek | None = None  # what it wrote (None: not asked, or seeded before)
        self.account_sid: str | None = None
        self.auth_token = secrets.token_hex(16)
        if self.flex_url:  # the emulator on its own takes the credentials it was started with
            self.account_sid = os.environ.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID
            self.auth_token = os.environ.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN
        self.last_reload: dict[str, Any] = {}
        self.notice: str | None = None  # what the page says at the top about this start
        self.emulator: RunningServer | None = None  # the Flex emulator, unless `flex_url` names one
        self.bot: Bot | None = None
        self._cleanup: list[Callable[[], Awaitable[Any]]] = []

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{f'[{shown}]' if ':' in shown else shown}:{self.port}"

    def _sandboxed(self, config: Config) -> Config:
        storage = self.storage or "sqlite:///" + str((self.data / "flexcord.db").resolve())
        listen = f"{self.host}:{self.port}"
        public_url = self.public_url or self.url
        return sandboxed(config, public_url, listen, storage, self.auth_token, self.account_sid)

    async def _prepare(self, config: Config) -> Any:
        return await prepare(self._sandboxed(config))

    async def start(self, listening: Callable[[str], None] | None = None) -> None:
        """Build and start everything; raises ConfigError when the config cannot be used at all.

        `listening` is called with the page's URL as soon as the port is open, before the rest starts.
        """
        sock, self.port = bind(self.host, self.port)
        self._cleanup.append(lambda: asyncio.to_thread(sock.close))
        if listening is not None:
            listening(self.url)
        try:
            built = await asyncio.to_thread(build, self.config_path, offline=True)
            if not built.ok or built.config is None:
                raise ConfigError(built.diagnostics)
            self.data.mkdir(parents=True, exist_ok=True)
            self._open_for_business(built.config)
            await self._start(built.config, sock)
        except BaseException:
            await self.stop()
            raise

    async def _start(self, loaded: Config, sock: socket.socket) -> None:
        config = self._sandboxed(loaded)
        flex_url, emulator = self.flex_url, None
        if flex_url is None:
            emulator_app = create_emulator(
                str(config.flex.account_sid), self.auth_token, spec_check=False, clock=self.clock
            )
            self.emulator = await start_server(emulator_app, "127.0.0.1", 0)
            self._cleanup.append(self.emulator.stop)
            flex_url, emulator = self.emulator.url, emulator_of(emulator_app)
        self.bot = await assemble(
            self.config_path,
            config,
            offline=True,
            contact_base_url=flex_url,
            clock=self.clock,
            fetch_feed=sample_feed,
            prepare=self._prepare,
            listeners=[_Follower(self)],
            reports_public=True,
        )
        self.store, self.client, self.runtime = self.bot.store, self.bot.client, self.bot.runtime
        # The page answers a player when the emulated Discord has settled what the bot does with the
        # message; a Twilio retry due seconds later is not part of that answer (the tick sweeps it too).
        self.runtime.outbox.timer_apart = True
        self.metrics, self.reloader = self.bot.metrics, self.bot.reloader
        await self._carry_on_from_records()
        if self.seed_demo_data:
            self.demo_week = await seed_week(self.store, config, self.clock())
        self.desk = AgentDesk(flex_url, self.store, emulator)
        self._cleanup.append(self.desk.aclose)
        self.guild = SandboxGuild(self.client, config, self.clock, receipts=self.discord_receipts)
        languages = contextlib.ExitStack()  # each person's interactions carry their app's language
        languages.enter_context(client_locales(self.guild.client_locale))
        self._cleanup.append(lambda: asyncio.to_thread(languages.close))
        await forget_synced(self.store, (str(self.guild.guild.id), "global"))  # this Discord is new
        self.players = Players(self.guild)
        self.bot.app.register_blueprint(sandbox_blueprint(self))  # the page and its API
        self._record_reload(True, config.version, ())
        await self.bot.start(self.guild, listen=sock, watch=self.watch, tick_every=TICK_EVERY)
        self.bot.spawn(self._follow_reloads())

    def _open_for_business(self, config: Config) -> None:
        """When support is closed now and no time was asked for, start at the next opening moment."""
        hours = config.hours
        if self.real_time or hours is None or is_open(hours, self.clock()):
            return
        opening = next_open(hours, self.clock())
        if opening is None:
            return
        self.clock.set(opening)
        self.clock_note = (
            f"Support was closed, so the sandbox starts at the next opening: "
            f"{opening.strftime('%a %b %d %H:%M')} ({hours.timezone}). Use --clock now for the real time."
        )

    async def _carry_on_from_records(self) -> None:
        """After a restart, start no earlier than the last recorded Discord event (ids only grow)."""
        async with self.store.view() as view:
            latest = await view.last_processed_at("event:")
        if latest is not None:
            self.notice = EMPTY_AFTER_RESTART
        if latest is not None and self.clock() <= latest + RESTART_GAP:
            log.info("the sandbox carries on from its records, at %s", latest + RESTART_GAP)
            self.clock.set(latest + RESTART_GAP)

    async def stop(self) -> None:
        """Stop the bot (serving first), then the agent desk, the emulator and the public port."""
        if self.bot is not None:
            await self.bot.stop()
        await unwind(self._cleanup, "the sandbox")

    def request_stop(self) -> None:
        """Ask the server to stop (what Ctrl+C does); `wait()` then returns."""
        if self.bot is not None:
            self.bot.request_stop()

    async def wait(self) -> None:
        """Run until a stop is asked for (Ctrl+C) or a part of the bot ends (its error is raised)."""
        if self.bot is not None:
            await self.bot.wait()

    # --- background work -----------------------------------------------------------------------

    async def _follow_reloads(self) -> None:
        while True:
            result = await self.reloader.next_result()
            self._record_reload(result.ok, result.version, result.diagnostics)

    def _record_reload(self, ok: bool, version: str, diagnostics: Any) -> None:
        problems = [diagnostic_json(d, self.config_path.parent) for d in diagnostics]
        self.last_reload = {
            "ok": ok,
            "at": datetime.now(UTC).isoformat(),
            "version": version,
            "errors": [p for p in problems if p["severity"] == "error"],
            "warnings": [p for p in problems if p["severity"] == "warning"],
        }

    async def reload(self, reason: str) -> dict[str, Any]:
        """Reload the rules now; the answer says what is serving and every problem found."""
        result: ReloadResult = await self.reloader.request(reason)
        self._record_reload(result.ok, result.version, result.diagnostics)
        return result_json(result)

    # --- what the page shows -------------------------------------------------------------------

    def announce_tokens(self) -> dict[str, str]:
        """The channels that take announcements over HTTP, with their tokens (the banner shows them)."""
        channels = self.runtime.config.channels
        return {name: c.announce_token for name, c in channels.items() if c.announce_token}

    def clock_json(self) -> dict[str, Any]:
        now = self.clock()
        hours = self.runtime.config.hours
        shown: str | None = None
        if hours is not None:
            shown = "open" if is_open(hours, now) else f"closed, back {describe_next_open(hours, now)}"
        return {
            "now": now.isoformat(),
            "shifted": self.clock.shifted,
            "hours": shown,
            "timezone": hours.timezone if hours is not None else None,
            "note": self.clock_note,
        }

    async def set_clock(self, moment: datetime | None) -> None:
        """Move the sandbox to `moment` (None: real time); Discord's clock can only move forward."""
        target = moment or self.clock.real_now()
        discord_now = self.guild.env.now()
        if target < discord_now:
            raise Refused(
                f"The sandbox's Discord is already at {discord_now.isoformat(timespec='seconds')} and "
                "cannot go back in time. Pick a later moment, or restart the sandbox with --clock.",
                409,
            )
        self.clock.set(moment)
        self.clock_note = None
        await self.guild.follow_clock()

    def state(self) -> dict[str, Any]:
        config = self.runtime.config
        guild = self.guild
        people = list(guild.people.values())
        channels = []
        for name in guild.channels:
            allowed = {p.name: guild.permissions(p, name) for p in people}
            channels.append(
                {
                    "name": name,
                    "topic": guild.topics.get(name),
                    "can_view": {who: bool(perms.view_channel) for who, perms in allowed.items()},
                    "can_send": {who: bool(perms.send_messages) for who, perms in allowed.items()},
                    "forum": threads.is_forum(guild.channels[name]),
                    "threads": guild.threads_of(name),
                }
            )
        return {
            "guild": guild.guild.name,
            "channels": channels,
            "users": [
                {"name": p.name, "id": str(p.member.id), "roles": list(p.roles), "locale": p.locale}
                for p in people
            ],
            "roles": [{"name": name, "id": str(role.id)} for name, role in guild.roles.items()],
            "commands": [*(command_json(c, config) for c in commands(config)), reload_command(config)],
            "config": {"version": config.version, "name": config.name, "last_reload": self.last_reload},
            "clock": self.clock_json(),
            "notice": self.notice,
        }


class _Follower:
    """After a reload: the server gets the new channels, the bot re-syncs commands and permissions."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def config_swapped(self, old: Config, new: Config) -> None:
        await self.sandbox.guild.update(new)
        await self.sandbox.client.refresh_commands()
        await self.sandbox.client.apply_permissions()
