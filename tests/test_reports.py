"""Support reports: the real runtime records known cases; the report gives known figures in each format."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from quart import Quart

from engine.cli import main
from engine.config import build
from engine.config.model import Config
from engine.reports import build_report
from engine.reports.demo import DemoWeek, seed_week
from engine.reports.page import reports_blueprint
from engine.reports.render import as_table
from engine.reports.rows import GapRow
from engine.store import open_store, to_text
from tests.support.twins import ManualClock, World, generation_from, memory_world

START = datetime(2026, 3, 4, 17, 0, tzinfo=UTC)  # Wednesday 09:00 in Los Angeles: support is open
NOW = START + timedelta(hours=2)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


async def play_a_morning(world: World) -> None:
    """Five players and one bug report, each step at a known minute after 09:00 (Los Angeles)."""
    clock = world.clock
    ash, misty, brock = world.player("111", "Ash"), world.player("222", "Misty"), world.player("333", "Brock")
    dawn, may, gary = world.player("444", "Dawn"), world.player("555", "May"), world.player("666", "Gary")

    await ash.says("how do I reset my password")  # FAQ answer, then "That solved it"
    clock.now = at(1)
    await ash.presses("solved", "That solved it")

    clock.now = at(10)
    await misty.says("how do raids work")  # FAQ answer, then asks for an agent: escalated
    clock.now = at(11)
    await misty.says("I want an agent")  # SUP-1, queue support
    clock.now = at(14)
    await world.contact.agent_joins(world.contact.handoff_of("222"), "Nurse Joy")  # waited 3 min
    clock.now = at(30)
    await world.contact.closes(world.contact.handoff_of("222"))  # resolved in 19 min
    clock.now = at(31)
    await misty.says("5")

    clock.now = at(20)
    await brock.says("I was charged twice")  # SUP-2, queue billing
    clock.now = at(29)
    await world.contact.agent_joins(world.contact.handoff_of("333"), "Officer Jenny")  # waited 9 min
    clock.now = at(60)
    await world.contact.closes(world.contact.handoff_of("333"))  # resolved in 40 min
    clock.now = at(61)
    await brock.presses("rate:3", "3")

    clock.now = at(40)
    await dawn.says("how do I trade with friends")  # FAQ answer, nothing after: gave up

    clock.now = at(50)
    await may.says("agent")  # SUP-3, nobody joins

    clock.now = at(70)
    await gary.submits("bug", "bug-report", summary="Map freezes", steps="Open the map", device="")


SLA_QUEUES = (
    "  support: {description: General player support, sla: {first_response: 5m, resolution: 1h}}\n"
    "  billing: {description: Payments and refunds, skills: [billing], sla: {first_response: 5m}}\n"
)


def with_sla(root: Path) -> Path:
    """The demo queues get service levels: an agent within 5 minutes, support closed within 1 hour."""
    rules = root / "routes" / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    start = text.index("  support:\n    description: General player support")
    end = text.index("\n", text.index("    skills: [billing]")) + 1
    rules.write_text(text[:start] + SLA_QUEUES + text[end:], encoding="utf-8")
    return root


@pytest.fixture
def demo(tmp_path: Path, repo_root: Path) -> Path:
    shutil.copy(repo_root / "flexcord.yaml", tmp_path)
    shutil.copytree(repo_root / "routes", tmp_path / "routes")
    shutil.copytree(repo_root / "kb", tmp_path / "kb")
    return with_sla(tmp_path)


def config_of(root: Path) -> Config:
    config = build(root / "flexcord.yaml", offline=True).config
    assert config is not None
    return config


async def recorded(root: Path) -> World:
    world = await memory_world(
        generation_from(root / "flexcord.yaml"),
        store_url=f"sqlite:///{root / 'flexcord.db'}",
        clock=ManualClock(START),
    )
    await play_a_morning(world)
    return world


EXPECTED_CSV = {
    ("cases", "total"): "4",
    ("opened", "2026-03-04/bug/-"): "1",
    ("opened", "2026-03-04/support/billing"): "1",
    ("opened", "2026-03-04/support/support"): "2",
    ("waiting", "count"): "2",
    ("waiting", "median_s"): "360",
    ("waiting", "p90_s"): "540",
    ("waiting", "pending"): "1",
    ("resolution", "count"): "2",
    ("resolution", "median_s"): "1770",
    ("resolution", "p90_s"): "2400",
    ("resolution", "pending"): "2",
    ("satisfaction", "count"): "2",
    ("satisfaction", "average"): "4",
    ("satisfaction", "rating_3"): "1",
    ("satisfaction", "rating_5"): "1",
    ("satisfaction", "rating_1"): "0",
    ("faq", "answers"): "3",
    ("faq", "solved"): "1",
    ("faq", "escalated"): "1",
    ("faq", "gave_up"): "1",
    ("hours", "Wed/09"): "3",
    ("hours", "Wed/10"): "1",
    ("hours", "Sun/03"): "0 closed",
    ("sla", "billing/first_response"): "1/1 over 300s",
    ("sla", "support/first_response"): "1/2 over 300s",
    ("sla", "support/resolution"): "1/2 over 3600s",
    ("breach", "SUP-2/billing/first_response"): "540",
    ("breach", "SUP-3/support/first_response"): "open",
    ("breach", "SUP-3/support/resolution"): "open",
    ("gaps", "how do raids work"): "1",
}


async def test_a_morning_of_known_cases_gives_each_figure(demo: Path) -> None:
    world = await recorded(demo)
    try:
        report = await build_report(world.store, config_of(demo), NOW)
    finally:
        await world.close()

    assert report.cases == 4
    assert [(o.day, o.template, o.queue, o.count) for o in report.opened] == [
        ("2026-03-04", "bug", "-", 1),
        ("2026-03-04", "support", "billing", 1),
        ("2026-03-04", "support", "support", 2),
    ]
    assert (report.waiting.count, report.waiting.median_s, report.waiting.p90_s) == (2, 360.0, 540.0)
    assert report.waiting.pending == 1  # SUP-3 is still waiting
    assert (report.resolution.median_s, report.resolution.p90_s, report.resolution.pending) == (
        1770.0,
        2400.0,
        2,
    )
    assert report.satisfaction.average == 4.0
    assert dict(report.satisfaction.distribution) == {1: 0, 2: 0, 3: 1, 4: 0, 5: 1}
    assert (report.faq.answers, report.faq.solved, report.faq.escalated, report.faq.gave_up) == (3, 1, 1, 1)
    busy = {(c.weekday, c.hour): c.count for c in report.hours if c.count}
    assert busy == {(2, 9): 3, (2, 10): 1}
    opening = {(c.weekday, c.hour): c.open for c in report.hours}
    assert opening[(2, 9)] and opening[(5, 10)] and not opening[(5, 15)] and not opening[(6, 12)]
    assert [(t.queue, t.kind, t.target_s, t.checked, t.breached) for t in report.sla] == [
        ("billing", "first_response", 300, 1, 1),
        ("support", "first_response", 300, 2, 1),
        ("support", "resolution", 3600, 2, 1),
    ]
    assert [(b.case_ref, b.kind, b.took_s) for b in report.breaches] == [
        ("SUP-2", "first_response", 540.0),
        ("SUP-3", "first_response", None),
        ("SUP-3", "resolution", None),
    ]
    assert report.gaps == (GapRow("how do raids work", 1),)  # the FAQ bot records its questions
    text = as_table(report)
    assert "median 6m, 90% within 9m (2 joined, 1 still waiting)" in text
    assert "     1  how do raids work" in text


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"FLEXCORD_STORAGE": None})
    assert result.exit_code == 0, result.output
    return result.output


def test_report_csv_parses_back_to_the_same_figures_as_json(demo: Path) -> None:
    asyncio.run(_record_and_close(demo))
    common = ["report", "-c", str(demo / "flexcord.yaml"), "--since", "7d", "--until", NOW.isoformat()]
    rows = list(csv.reader(io.StringIO(run(*common, "--format", "csv"))))
    assert rows[0] == ["section", "key", "value"]
    figures = {(section, key): value for section, key, value in rows[1:]}
    assert {key: figures.get(key) for key in EXPECTED_CSV} == EXPECTED_CSV
    assert figures[("period", "until")] == NOW.isoformat()

    data = json.loads(run(*common, "--format", "json"))
    assert data["cases"] == int(figures[("cases", "total")])
    for section in ("waiting", "resolution"):
        for key, value in data[section].items():
            assert float(figures[(section, key)]) == value
    assert {k: str(v) for k, v in data["faq"].items()} == {
        k: v for (s, k), v in figures.items() if s == "faq"
    }
    assert data["satisfaction"]["average"] == float(figures[("satisfaction", "average")])

    table = run(*common)
    assert "Cases opened: 4" in table and "SUP-2 (billing, first response): took 9m" in table


async def _record_and_close(root: Path) -> None:
    world = await recorded(root)
    await world.close()


def test_report_says_plainly_when_the_period_is_not_a_duration(demo: Path) -> None:
    result = CliRunner().invoke(main, ["report", "-c", str(demo / "flexcord.yaml"), "--since", "a week"])
    assert result.exit_code == 2
    assert "'a week' is not a duration; write it like 30s, 10m, 1h or 2d" in result.output


# --- the page's guard ----------------------------------------------------------------------------


async def test_reports_page_is_off_without_an_admin_token_and_asks_for_it_otherwise(demo: Path) -> None:
    world = await recorded(demo)
    try:
        config = config_of(demo)
        for token, status in ((None, 403), ("s3cret", 401)):
            served = dataclasses.replace(config, server=dataclasses.replace(config.server, admin_token=token))
            app = Quart("reports")
            app.register_blueprint(reports_blueprint(world.store, lambda c=served: c, lambda: NOW))
            client = app.test_client()
            for path in ("/reports", "/reports/data.json", "/reports/static/chart.umd.min.js"):
                answer = await client.get(path, headers={"Authorization": "Bearer wrong"})
                assert answer.status_code == status, path
            if token is None:
                assert "FLEXCORD_ADMIN_TOKEN" in (await answer.get_json())["error"]
            else:
                assert answer.headers["WWW-Authenticate"].startswith("Basic")
        answer = await client.get("/reports/data.json?since=1d", headers={"Authorization": "Bearer s3cret"})
        assert answer.status_code == 200 and (await answer.get_json())["cases"] == 4
        answer = await client.get(
            "/reports/data.json?since=forever", headers={"Authorization": "Bearer s3cret"}
        )
        assert answer.status_code == 400
    finally:
        await world.close()


# --- knowledge-base gaps ---------------------------------------------------------------------------

FAQ_QUESTIONS = """CREATE TABLE IF NOT EXISTS faq_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, text TEXT NOT NULL, language TEXT,
    outcome TEXT NOT NULL, at TEXT NOT NULL)"""


async def test_gaps_are_the_most_asked_unanswered_or_escalated_questions_where_the_store_records_them(
    demo: Path,
) -> None:
    world = await recorded(demo)
    try:
        asked = [
            ("how do I delete my account", "unanswered", at(1)),
            ("How do I delete my account ", "escalated", at(2)),
            ("refund for my skins", "escalated", at(3)),
            ("how do I reset my password", "suggested", at(4)),  # answered: not a gap
            ("how do I delete my account", "unanswered", NOW - timedelta(days=8)),  # before the period
        ]
        async with world.store.transaction() as tx:
            await tx._run(FAQ_QUESTIONS)  # the FAQ bot's record, in stores that keep it
            for text, outcome, moment in asked:
                await tx._run(
                    "INSERT INTO faq_questions (user_id, text, language, outcome, at) "
                    "VALUES (?, ?, 'en', ?, ?)",
                    ("111", text, outcome, to_text(moment)),
                )
        report = await build_report(world.store, config_of(demo), NOW)
    finally:
        await world.close()
    assert report.gaps is not None
    assert [(g.question, g.count) for g in report.gaps] == [
        ("How do I delete my account", 2),
        ("how do raids work", 1),  # recorded by the FAQ bot itself in the recorded morning
        ("refund for my skins", 1),
    ]
    assert "     2  How do I delete my account" in as_table(report)


def test_report_reads_the_sandboxs_records_with_data(demo: Path) -> None:
    data = demo / "sandbox-data"
    data.mkdir()

    async def seed() -> DemoWeek | None:
        store = await open_store(f"sqlite:///{data / 'flexcord.db'}")
        try:
            return await seed_week(store, config_of(demo), NOW)
        finally:
            await store.close()

    week = asyncio.run(seed())
    assert week is not None
    common = ["report", "-c", str(demo / "flexcord.yaml"), "--data", str(data), "--until", NOW.isoformat()]
    figures = {(s, k): v for s, k, v in list(csv.reader(io.StringIO(run(*common, "--format", "csv"))))[1:]}
    assert figures[("cases", "total")] == str(week.total)
    assert figures[("satisfaction", "count")] == str(len(week.ratings))
    assert {k: int(v) for (s, k), v in figures.items() if s == "faq" and k != "answers"} == week.faq


async def test_that_solved_it_pressed_in_another_language_counts_as_solved(demo: Path) -> None:
    world = await memory_world(generation_from(demo / "flexcord.yaml"), clock=ManualClock(START))
    try:
        pierre = world.player("777", "Pierre")
        await pierre.says("j'ai oublié mon mot de passe, comment le changer")
        world.clock.now = at(1)
        await pierre.presses("solved", "C'est réglé")  # the demo's French label
        report = await build_report(world.store, config_of(demo), NOW)
    finally:
        await world.close()  # its store's thread would keep the test run from exiting
    assert (report.faq.answers, report.faq.solved) == (1, 1)
