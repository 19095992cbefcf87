"""Several replicas on one PostgreSQL: which one holds the Discord gateway, and what the others do.

Exactly one replica holds the gateway: a leased row (`leases`, named GATEWAY) it renews every
RENEW_EVERY seconds. The others try every SWEEP_EVERY seconds and take over once the lease lapses,
so a dead holder is replaced within LEASE + SWEEP_EVERY seconds. Only the holder delivers the
Discord lanes (DMs and posts go out through its connection); every replica delivers the
contact-center lanes, serves the webhooks and the admin endpoints, and sweeps the shared outbox
for items another replica wrote or left behind (their leases lapse, see engine.store.postgres).
Each replica records the config version it runs; when they differ the log warns, and
`flexcord db status` shows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from engine.metrics import Metrics
from engine.runtime.outbox import Outbox
from engine.store import Replica

log = logging.getLogger(__name__)

GATEWAY = "discord-gateway"
LEASE = timedelta(seconds=10)
RENEW_EVERY = 3.0  # seconds between the holder's renewals
SWEEP_EVERY = 1.0  # seconds between sweeps of the shared outbox (and a standby's tries)
STANDBY_LANES = ("contact:",)  # what a replica without the gateway delivers


class Gateway(Protocol):
    """How the bot meets Discord: `start` returns once connecting is under way, `stop` disconnects."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@runtime_checkable
class SharedStore(Protocol):
    """A store several replicas share (engine.store.postgres.PostgresStore)."""

    replica: str

    async def take_lease(self, name: str, now: datetime, length: timedelta) -> bool: ...

    async def lease_holder(self, name: str) -> str | None: ...

    async def record_replica(self, config_version: str, now: datetime) -> list[Replica]: ...


class GatewayLease:
    """A Gateway that connects only while this replica holds the lease; the others stand by."""

    def __init__(
        self,
        store: SharedStore,
        outbox: Outbox,
        metrics: Metrics,
        *,
        clock: Callable[[], datetime],
        config_version: Callable[[], str],
        lost: Callable[[], None],
    ) -> None:
        self.inner: Gateway | None = None  # the real connection, given by Bot.start
        self.store, self.outbox, self.metrics = store, outbox, metrics
        self.clock, self.config_version, self.lost = clock, config_version, lost
        self.held = False
        self._task: asyncio.Task[None] | None = None
        self._renewed = 0.0
        self._standing_since = time.monotonic()
        self._versions: frozenset[str] = frozenset()
        outbox.may_deliver = self.may_deliver

    def may_deliver(self, lane: str) -> bool:
        return self.held or lane.startswith(STANDBY_LANES)

    async def start(self) -> None:
        await self._turn()
        self._task = asyncio.create_task(self._loop(), name="gateway-lease")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.held:
            self.held = False
            self.metrics.gateway_leader.set(0)
            if self.inner is not None:
                await self.inner.stop()
            with contextlib.suppress(Exception):  # a stopping replica frees the gateway at once
                await self.store.take_lease(GATEWAY, self.clock(), timedelta(seconds=-1))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            try:
                if not self.held or time.monotonic() - self._renewed >= RENEW_EVERY:
                    await self._turn()
            except Exception:  # the database is away: try again on the next round
                log.exception("the gateway lease could not be checked")
            self.outbox.sweep_soon()

    async def _turn(self) -> None:
        got = await self.store.take_lease(GATEWAY, self.clock(), LEASE)
        if got:
            self._renewed = time.monotonic()
        if got and not self.held:
            waited = time.monotonic() - self._standing_since
            self.held = True
            self.metrics.gateway_leader.set(1)
            self.metrics.gateway_takeovers.inc()
            log.warning(
                "replica %s holds the Discord gateway (took it after %.1f s)", self.store.replica, waited
            )
            assert self.inner is not None, "Bot.start gives the gateway first"
            await self.inner.start()
            self.outbox.sweep_soon()
        elif not got and self.held:  # another replica took it: this one's connection must end
            self.held = False
            self.metrics.gateway_leader.set(0)
            log.error("replica %s lost the Discord gateway lease; stopping", self.store.replica)
            self.lost()
        elif not got:
            self.metrics.gateway_leader.set(0)
        await self._record()

    async def _record(self) -> None:
        replicas = await self.store.record_replica(self.config_version(), self.clock())
        versions = frozenset(r.config_version for r in replicas)
        if len(versions) > 1 and versions != self._versions:
            log.warning(
                "the replicas run different rules (config versions %s); give them the same files",
                ", ".join(sorted(versions)),
            )
        self._versions = versions

    async def ready(self) -> tuple[str, bool, str] | None:
        """/readyz for a standby: ready (it serves webhooks), saying who holds the gateway."""
        if self.held:
            return None
        holder = await self.store.lease_holder(GATEWAY)
        return "discord", True, f"standing by; replica {holder or '(none yet)'} holds the Discord gateway"
