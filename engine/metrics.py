"""Prometheus metrics: is the running config the one on disk, and how much traffic flows where.

Each app instance owns a `Metrics` with its own CollectorRegistry, so two bots (or two tests)
in one process never share counters. The runtime and the webhook server report traffic through
the small `Observer` protocol, which `Metrics` implements; the core never imports Prometheus.
Operator signals come the same way (the outbox's delivery problems, the wait for an agent, webhook
and reload times), plus gauges read just before each scrape (`before_scrape`: outbox backlog,
Discord connection) and the standard process metrics.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

RELOAD_RESULTS = ("success", "failure", "unchanged")
FAQ_OUTCOMES = ("suggested", "unanswered", "solved", "escalated")
TARGETS = ("discord", "flex")
"""Where outbox items go: Discord (DMs, channel posts) or the contact center (handoffs, messages, closes)."""
RETRY_REASONS = ("rate_limited", "temporary", "exception")
FAIL_REASONS = ("refused", "gave_up")
WAIT_BUCKETS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Refresh = Callable[["Metrics"], Awaitable[None]]
"""Work done just before each scrape, e.g. reading the outbox backlog from the store."""


def target_of(kind: str) -> str:
    """The target of an outbox item kind: 'dm' and 'post' go to Discord, the rest to the contact center."""
    return "discord" if kind in ("dm", "post") else "flex"


class Observer(Protocol):
    """What the runtime and the webhook server report as traffic flows (all calls are cheap)."""

    def message_routed(self, rule: str | None) -> None: ...

    def handoff(self, queue: str) -> None: ...

    def case_opened(self, template: str) -> None: ...

    def webhook(self, endpoint: str, result: str) -> None: ...


class Metrics:
    """The flexcord_* metrics of one bot, in a registry of their own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.last_reload_successful = Gauge(
            "flexcord_config_last_reload_successful",
            "1 if the last config reload worked (or nothing changed), 0 if it was refused.",
            registry=r,
        )
        self.last_reload_success_timestamp = Gauge(
            "flexcord_config_last_reload_success_timestamp_seconds",
            "When the config was last loaded or reloaded successfully (Unix time).",
            registry=r,
        )
        self.config_info = Info("flexcord_config", "The config that is serving now.", registry=r)
        self.reloads = Counter("flexcord_config_reloads", "Config reloads by result.", ["result"], registry=r)
        for result in RELOAD_RESULTS:
            self.reloads.labels(result=result)
        self.messages_routed = Counter(
            "flexcord_messages_routed",
            "Player messages routed, by the rule that matched.",
            ["rule"],
            registry=r,
        )
        self.handoffs = Counter(
            "flexcord_handoffs", "Conversations handed to a live agent, by queue.", ["queue"], registry=r
        )
        self.cases_opened = Counter(
            "flexcord_cases_opened", "Cases opened, by case template.", ["template"], registry=r
        )
        self.faq = Counter(
            "flexcord_faq_answers",
            "FAQ bot answers by outcome: suggested (articles shown), unanswered (not sure),"
            " solved ('That solved it'), escalated (asked for an agent after suggestions).",
            ["outcome"],
            registry=r,
        )
        for outcome in FAQ_OUTCOMES:
            self.faq.labels(outcome=outcome)
        self.store_refusals = Counter(
            "flexcord_store_write_failures",
            "Writes the database refused (disk full, read-only...).",
            registry=r,
        )
        self.waiting_to_store = Gauge(
            "flexcord_messages_waiting_for_storage",
            "Player messages kept in memory because the database refused them; 0 when all is saved.",
            registry=r,
        )
        self.webhooks = Counter(
            "flexcord_webhooks",
            "Webhook calls received, by endpoint and result.",
            ["endpoint", "result"],
            registry=r,
        )
        self._operator_signals(r)

    def _operator_signals(self, r: CollectorRegistry) -> None:
        """What an operator watches: outbox backlog, delivery problems, latencies, Discord, the process."""
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=r)  # process_*, python_info, python_gc_*: the standard process metrics
        self.outbox_pending = Gauge(
            "flexcord_outbox_pending", "Outbox items waiting for delivery, by target.", ["target"], registry=r
        )
        self.outbox_oldest_age = Gauge(
            "flexcord_outbox_oldest_pending_age_seconds",
            "Age of the oldest outbox item waiting for delivery, by target (0 when none waits).",
            ["target"],
            registry=r,
        )
        self.deliveries_retried = Counter(
            "flexcord_deliveries_retried",
            "Delivery attempts that failed and will be retried, by target and reason.",
            ["target", "reason"],
            registry=r,
        )
        self.deliveries_failed = Counter(
            "flexcord_deliveries_failed",
            "Deliveries given up, by target and reason (refused: cannot succeed; gave_up: out of attempts).",
            ["target", "reason"],
            registry=r,
        )
        for target in TARGETS:
            self.outbox_pending.labels(target=target)
            self.outbox_oldest_age.labels(target=target)
            for reason in RETRY_REASONS:
                self.deliveries_retried.labels(target=target, reason=reason)
            for reason in FAIL_REASONS:
                self.deliveries_failed.labels(target=target, reason=reason)
        self.handoff_wait = Histogram(
            "flexcord_handoff_wait_seconds",
            "Time from handoff to an agent joining, by queue.",
            ["queue"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.webhook_latency = Histogram(
            "flexcord_webhook_duration_seconds",
            "Time to answer a Twilio webhook, by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.reload_duration = Histogram(
            "flexcord_config_reload_duration_seconds",
            "Time a config reload took (refused ones too).",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.discord_connected = Gauge(
            "flexcord_discord_connected", "1 while the bot is connected to Discord, else 0.", registry=r
        )
        self.gateway_leader = Gauge(
            "flexcord_gateway_leader",
            "1 while this replica holds the Discord gateway (the others stand by), else 0.",
            registry=r,
        )
        self.gateway_takeovers = Counter(
            "flexcord_gateway_takeovers_total",
            "Times this replica took the Discord gateway over (at start, or from a replica that stopped).",
            registry=r,
        )
        self._refreshers: list[Refresh] = []

    # --- config reloads -----------------------------------------------------------------------

    def config_loaded(self, version: str, name: str, *, at: float | None = None) -> None:
        """The config that serves from now on (at start-up or after a reload)."""
        self.last_reload_successful.set(1)
        self.last_reload_success_timestamp.set(time.time() if at is None else at)
        self.config_info.info({"version": version, "name": name})

    def reload_succeeded(
        self, version: str, name: str, *, changed: bool = True, at: float | None = None
    ) -> None:
        """A reload worked; `changed=False` means the files held the config already serving."""
        self.config_loaded(version, name, at=at)
        self.reloads.labels(result="success" if changed else "unchanged").inc()

    def reload_failed(self) -> None:
        """A reload was refused: the old config keeps serving and the gauge says so."""
        self.last_reload_successful.set(0)
        self.reloads.labels(result="failure").inc()

    # --- traffic (the Observer protocol) ------------------------------------------------------

    def message_routed(self, rule: str | None) -> None:
        self.messages_routed.labels(rule=rule or "(none)").inc()

    def handoff(self, queue: str) -> None:
        self.handoffs.labels(queue=queue).inc()

    def case_opened(self, template: str) -> None:
        self.cases_opened.labels(template=template).inc()

    def faq_outcome(self, outcome: str) -> None:
        self.faq.labels(outcome=outcome).inc()

    def webhook(self, endpoint: str, result: str) -> None:
        self.webhooks.labels(endpoint=endpoint, result=result).inc()

    def storage_refused(self, waiting: int) -> None:
        self.store_refusals.inc()
        self.waiting_to_store.set(waiting)

    def storage_recovered(self) -> None:
        self.waiting_to_store.set(0)

    # --- operator signals -----------------------------------------------------------------------

    def reload_took(self, seconds: float) -> None:
        self.reload_duration.observe(seconds)

    def delivery_retried(self, kind: str, reason: str) -> None:
        """An outbox item of `kind` failed and will be tried again (`reason`: one of RETRY_REASONS)."""
        self.deliveries_retried.labels(target=target_of(kind), reason=reason).inc()

    def delivery_failed(self, kind: str, reason: str) -> None:
        """An outbox item of `kind` was given up on (`reason`: one of FAIL_REASONS)."""
        self.deliveries_failed.labels(target=target_of(kind), reason=reason).inc()

    def agent_joined(self, queue: str, waited_seconds: float) -> None:
        self.handoff_wait.labels(queue=queue).observe(max(0.0, waited_seconds))

    def webhook_took(self, endpoint: str, seconds: float) -> None:
        self.webhook_latency.labels(endpoint=endpoint).observe(seconds)

    def outbox_backlog(self, pending: Iterable[tuple[str, int, float]]) -> None:
        """Set the backlog gauges from (item kind, items pending, age in seconds of the oldest) rows."""
        counts = dict.fromkeys(TARGETS, 0)
        ages = dict.fromkeys(TARGETS, 0.0)
        for kind, count, age in pending:
            target = target_of(kind)
            counts[target] += count
            ages[target] = max(ages[target], age)
        for target in TARGETS:
            self.outbox_pending.labels(target=target).set(counts[target])
            self.outbox_oldest_age.labels(target=target).set(ages[target])

    def before_scrape(self, refresh: Refresh) -> None:
        """Run `refresh` before each exposition (through `refresh()`), e.g. to read the outbox backlog."""
        self._refreshers.append(refresh)

    async def refresh(self) -> None:
        for refresh in self._refreshers:
            await refresh(self)

    # --- exposition ---------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus text format, with the content type to send them with."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """The current value of one sample (e.g. 'flexcord_config_reloads_total'), for checks and tests."""
        return self.registry.get_sample_value(name, labels or {})


__all__ = ["FAIL_REASONS", "RELOAD_RESULTS", "RETRY_REASONS", "TARGETS", "Metrics", "Observer", "target_of"]
