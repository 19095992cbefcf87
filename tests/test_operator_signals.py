"""Operator signals on /metrics: delivery problems by reason, the wait for an agent, the outbox backlog,
process metrics; the Grafana dashboard and the alert rules name only metrics /metrics really exposes."""

from __future__ import annotations

import base64
import configparser
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from engine.metrics import Metrics
from engine.reports.queries import outbox_pending
from engine.runtime import Generation
from tests.support.twins import ManualClock, World, generation_from, memory_world
from tests.test_assembly import ADMIN_TOKEN, Running, running, wait_for

__all__ = ["running"]  # the assembled bot fixture, shared with tests/test_assembly.py

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "docs" / "grafana-dashboard.json"
ALERTS = ROOT / "docs" / "prometheus-alerts.yml"
PROMTOOL = shutil.which("promtool")


@pytest.fixture(scope="module")
def generation(repo_root: Path) -> Generation:
    return generation_from(repo_root / "flexcord.yaml")


@pytest.fixture
async def watched(generation: Generation) -> AsyncIterator[tuple[World, Metrics]]:
    metrics = Metrics()
    world = await memory_world(generation, clock=ManualClock(), observer=metrics)

    async def backlog(m: Metrics) -> None:
        m.outbox_backlog(await outbox_pending(world.store, world.clock()))

    metrics.before_scrape(backlog)
    yield world, metrics
    await world.close()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(metrics: Metrics) -> str:
    await metrics.refresh()
    return metrics.exposition()[0].decode()


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


async def test_delivery_problems_are_counted_by_target_and_reason_and_the_backlog_ages(
    watched: tuple[World, Metrics],
) -> None:
    world, metrics = watched
    ash, misty = world.player("111", "Ash"), world.player("222", "Misty")
    world.chat.fail_next(1, retry_after=30)
    await ash.says("how do I reset my password")  # the answer waits: Discord said "retry after 30 s"
    world.clock.advance(12)
    text = await scrape(metrics)
    assert value(text, "flexcord_deliveries_retried_total", target="discord", reason="rate_limited") == 1
    assert value(text, "flexcord_outbox_pending", target="discord") == 1
    assert value(text, "flexcord_outbox_oldest_pending_age_seconds", target="discord") == 12
    assert value(text, "flexcord_outbox_pending", target="flex") == 0

    world.chat.block_dms("222")
    await misty.says("how do raids work")
    world.contact.fail_next(1)
    await ash.says("I want an agent")
    text = await scrape(metrics)
    assert value(text, "flexcord_deliveries_failed_total", target="discord", reason="refused") == 1
    assert value(text, "flexcord_deliveries_retried_total", target="flex", reason="temporary") == 1
    assert value(text, "flexcord_deliveries_failed_total", target="flex", reason="gave_up") == 0


async def test_the_wait_from_handoff_to_agent_is_a_histogram_by_queue(watched: tuple[World, Metrics]) -> None:
    world, metrics = watched
    ash = world.player("111", "Ash")
    await ash.says("I want an agent")
    world.clock.advance(180)
    handoff = world.contact.handoff_of("111")
    await world.contact.agent_joins(handoff, "Misty")
    await world.contact.agent_joins(handoff, "Misty")  # Flex reports a join twice: timed once
    text = await scrape(metrics)
    assert value(text, "flexcord_handoff_wait_seconds_count", queue="support") == 1
    assert value(text, "flexcord_handoff_wait_seconds_sum", queue="support") == 180
    assert value(text, "flexcord_handoff_wait_seconds_bucket", queue="support", le="120.0") == 0
    assert value(text, "flexcord_handoff_wait_seconds_bucket", queue="support", le="300.0") == 1


async def test_standard_process_metrics_are_exposed() -> None:
    text = await scrape(Metrics())
    names = {name for name, _ in samples(text)}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "python_info"} <= names
    assert "process_open_fds" in names or not Path("/proc/self/fd").exists()


# --- the dashboard and the alert rules name real metrics -------------------------------------------

METRIC_NAME = re.compile(r"\b((?:flexcord|process|python)_[a-z_]+)\b")


def busy_metrics() -> Metrics:
    """A Metrics with one of everything observed, so every labelled series shows in the exposition."""
    metrics = Metrics()
    metrics.config_loaded("v1", "demo")
    metrics.reload_took(0.01)
    metrics.message_routed("live agent")
    metrics.handoff("support")
    metrics.case_opened("support")
    metrics.webhook("conversations", "accepted")
    metrics.webhook_took("conversations", 0.02)
    metrics.agent_joined("support", 90)
    metrics.delivery_retried("dm", "temporary")
    metrics.delivery_failed("start_handoff", "gave_up")
    metrics.outbox_backlog([("dm", 2, 30.0)])
    return metrics


def exposed_names(text: str) -> set[str]:
    names = {name for name, _ in samples(text)}
    for family in text_string_to_metric_families(text):
        names.add(family.name)
    return names


def queries(node: object) -> list[str]:
    """Every PromQL expression in a Grafana dashboard (the `expr` of each target)."""
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [q for child in node.values() for q in queries(child)]
    if isinstance(node, list):
        return [q for child in node for q in queries(child)]
    return []


async def test_every_dashboard_query_names_a_metric_that_metrics_exposes() -> None:
    exposed = exposed_names(await scrape(busy_metrics()))
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = queries(dashboard)
    assert len(exprs) >= 10
    for expr in exprs:
        names = set(METRIC_NAME.findall(expr))
        assert names, f"no flexcord metric in {expr!r}"
        assert names <= exposed, f"{expr!r} names {sorted(names - exposed)}, which /metrics does not expose"


async def test_every_alert_rule_names_a_metric_that_metrics_exposes() -> None:
    exposed = exposed_names(await scrape(busy_metrics()))
    rules = [
        rule
        for group in yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    ]
    alerts = {rule["alert"] for rule in rules}
    assert {"FlexcordReloadFailing", "FlexcordOutboxBacklogGrowing", "FlexcordDiscordDisconnected"} <= alerts
    assert "FlexcordWebhooksFailing" in alerts
    for rule in rules:
        names = set(METRIC_NAME.findall(rule["expr"]))
        assert names and names <= exposed, f"{rule['alert']}: {sorted(names - exposed)} not exposed"


def need_promtool() -> str:
    if PROMTOOL is None:
        pytest.skip(
            "promtool is not installed (Debian: apt-get install -y prometheus); the rules are unchecked"
        )
    return PROMTOOL


def test_promtool_accepts_the_alert_rules() -> None:
    promtool = need_promtool()
    checked = subprocess.run([promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout + checked.stderr


async def test_the_running_bot_serves_its_signals_and_its_reports_behind_the_token(
    running: Running,
) -> None:
    """The assembled bot (emulated Discord, emulated Flex over real webhooks): a player reaches an agent."""
    discord = running.discord
    await discord.player.send_dm("I want to talk to a real person")
    (task,) = await wait_for(lambda: list(running.emulator.state.tasks.values()))
    await running.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Misty"})
    await wait_for(lambda: "Misty joined the chat." in discord.dm_texts())
    bearer = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with running.http.post(f"{running.url}/admin/reload", headers=bearer) as answer:
        assert answer.status == 200

    async with running.http.get(f"{running.url}/metrics") as answer:
        text = await answer.text()
    assert value(text, "flexcord_handoff_wait_seconds_count", queue="support") == 1
    assert (value(text, "flexcord_webhook_duration_seconds_count", endpoint="conversations") or 0) >= 1
    assert value(text, "flexcord_config_reload_duration_seconds_count") == 1
    assert value(text, "flexcord_discord_connected") == 1
    assert value(text, "flexcord_outbox_pending", target="flex") == 0
    assert value(text, "process_cpu_seconds_total") is not None

    async with running.http.get(f"{running.url}/reports/data.json") as answer:
        assert answer.status == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
    basic = {"Authorization": "Basic " + base64.b64encode(f"anyone:{ADMIN_TOKEN}".encode()).decode()}
    async with running.http.get(f"{running.url}/reports", headers=basic) as answer:
        assert answer.status == 200 and "chart.umd.min.js" in await answer.text()
    async with running.http.get(f"{running.url}/reports/data.json?since=1d", headers=bearer) as answer:
        report = await answer.json()
    assert report["cases"] == 1 and report["waiting"]["count"] == 1
    assert [o["queue"] for o in report["opened"]] == ["support"]


async def test_promtool_accepts_the_running_bots_metrics_page(running: Running) -> None:
    promtool = need_promtool()
    await running.discord.player.send_dm("I want to talk to a real person")
    (task,) = await wait_for(lambda: list(running.emulator.state.tasks.values()))
    await running.agent("POST", f"/tasks/{task.sid}/accept", {"agent": "Misty"})
    await wait_for(lambda: "Misty joined the chat." in running.discord.dm_texts())
    async with running.http.get(f"{running.url}/metrics") as answer:
        text = await answer.text()
    assert "flexcord_handoff_wait_seconds_bucket" in text and "process_cpu_seconds_total" in text
    checked = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout + checked.stderr == ""  # not even a lint remark


# --- running it as a service ------------------------------------------------------------------------


def test_the_systemd_unit_restarts_reads_its_environment_file_and_reloads_on_sighup() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "docs" / "flexcord.service", encoding="utf-8")
    service = unit["Service"]
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/flexcord/flexcord.env"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["ExecStart"].split()[1:] == ["run", "-c", "/srv/flexcord/flexcord.yaml"]
    assert (ROOT / "docs" / "flexcord.env.example").read_text(encoding="utf-8").count("FLEXCORD_ADMIN_TOKEN=")
