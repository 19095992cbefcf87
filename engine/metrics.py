"""Prometheus metrics: is the running config the one on disk, and how much traffic flows where.

Each app instance owns a `Metrics` with its own CollectorRegistry, so two bots (or two tests)
in one process never share counters. The runtime and the webhook server report traffic through
the small `Observer` protocol, which `Metrics` implements; the core never imports Prometheus.
"""

from __future__ import annotations

import time
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Info
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

RELOAD_RESULTS = ("success", "failure", "unchanged")
FAQ_OUTCOMES = ("suggested", "unanswered", "solved", "escalated")


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
        self.webhooks = Counter(
            "flexcord_webhooks",
            "Webhook calls received, by endpoint and result.",
            ["endpoint", "result"],
            registry=r,
        )

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

    # --- exposition ---------------------------------------------------------------------------

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in Prometheus text format, with the content type to send them with."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def value(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """The current value of one sample (e.g. 'flexcord_config_reloads_total'), for checks and tests."""
        return self.registry.get_sample_value(name, labels or {})


__all__ = ["RELOAD_RESULTS", "Metrics", "Observer"]
