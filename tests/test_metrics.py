"""engine.metrics: reload gauges and traffic counters, one registry per bot."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from engine.metrics import RELOAD_RESULTS, Metrics


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the text exposition, parsed back the way Prometheus reads it."""
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_a_new_bot_reports_its_config_as_loaded() -> None:
    metrics = Metrics()
    metrics.config_loaded("abc123", "PokeCommunity care", at=1_700_000_000.0)
    found = samples(metrics)
    assert found[("flexcord_config_last_reload_successful", ())] == 1
    assert found[("flexcord_config_last_reload_success_timestamp_seconds", ())] == 1_700_000_000.0
    info = (("name", "PokeCommunity care"), ("version", "abc123"))
    assert found[("flexcord_config_info", info)] == 1
    for result in RELOAD_RESULTS:
        assert found[("flexcord_config_reloads_total", (("result", result),))] == 0


def test_a_refused_reload_drops_the_gauge_and_a_good_one_raises_it_again() -> None:
    metrics = Metrics()
    metrics.config_loaded("v1", "bot", at=100.0)
    metrics.reload_failed()
    assert metrics.value("flexcord_config_last_reload_successful") == 0
    assert metrics.value("flexcord_config_last_reload_success_timestamp_seconds") == 100.0
    assert metrics.value("flexcord_config_info", {"version": "v1", "name": "bot"}) == 1

    metrics.reload_succeeded("v2", "bot", at=200.0)
    metrics.reload_succeeded("v2", "bot", changed=False, at=300.0)
    assert metrics.value("flexcord_config_last_reload_successful") == 1
    assert metrics.value("flexcord_config_last_reload_success_timestamp_seconds") == 300.0
    assert metrics.value("flexcord_config_info", {"version": "v2", "name": "bot"}) == 1
    assert metrics.value("flexcord_config_info", {"version": "v1", "name": "bot"}) is None
    assert metrics.value("flexcord_config_reloads_total", {"result": "failure"}) == 1
    assert metrics.value("flexcord_config_reloads_total", {"result": "success"}) == 1
    assert metrics.value("flexcord_config_reloads_total", {"result": "unchanged"}) == 1


def test_traffic_counters_count_by_label() -> None:
    metrics = Metrics()
    for rule in ("live agent", "live agent", None):
        metrics.message_routed(rule)
    metrics.handoff("billing")
    metrics.case_opened("bug")
    metrics.case_opened("bug")
    metrics.webhook("conversations", "ok")
    metrics.webhook("conversations", "bad_signature")
    found = samples(metrics)
    assert found[("flexcord_messages_routed_total", (("rule", "live agent"),))] == 2
    assert found[("flexcord_messages_routed_total", (("rule", "(none)"),))] == 1
    assert found[("flexcord_handoffs_total", (("queue", "billing"),))] == 1
    assert found[("flexcord_cases_opened_total", (("template", "bug"),))] == 2
    assert (
        found[("flexcord_webhooks_total", (("endpoint", "conversations"), ("result", "bad_signature")))] == 1
    )


def test_two_bots_in_one_process_keep_separate_counts() -> None:
    first, second = Metrics(), Metrics()
    first.handoff("support")
    first.reload_failed()
    assert first.value("flexcord_handoffs_total", {"queue": "support"}) == 1
    assert second.value("flexcord_handoffs_total", {"queue": "support"}) is None
    assert second.value("flexcord_config_reloads_total", {"result": "failure"}) == 0


async def test_the_runtime_counts_routed_messages_cases_and_handoffs(repo_root: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.support.twins import ManualClock, generation_from, memory_world

    metrics = Metrics()
    monday_morning = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    world = await memory_world(
        generation_from(repo_root / "flexcord.yaml"), clock=ManualClock(monday_morning), observer=metrics
    )
    try:
        ash = world.player("1001", "ash")
        await ash.says("I want to talk to a real person")
        await ash.says("are you there?")  # while queued: to the agent
        misty = world.player("1002", "misty")
        await misty.says("how do I reset my password")
    finally:
        await world.close()
    found = samples(metrics)
    assert found[("flexcord_messages_routed_total", (("rule", "live agent"),))] == 1
    assert found[("flexcord_messages_routed_total", (("rule", "(to the agent)"),))] == 1
    assert found[("flexcord_messages_routed_total", (("rule", "everything else"),))] == 1
    assert found[("flexcord_cases_opened_total", (("template", "support"),))] == 1
    assert found[("flexcord_handoffs_total", (("queue", "support"),))] == 1
