"""Announcements: feed entries posted once (also across restarts), and the token-guarded announce webhook."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import format_datetime

import aiohttp
from aiohttp import web

from engine.config.model import Config
from engine.discord.announcements import FeedPoller, announce_blueprint, fetch_over_http, parse_entries
from engine.server import ServerServices, create_app, start_server
from engine.store import open_store
from tests.discord_fixtures import demo_config, open_server
from tests.support.twins import MemoryChat

FEED = demo_config().channels["announcements"].feeds[0]


class LocalFeed:
    """An RSS feed whose entries a test adds, newest first in the document as feeds list them."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []

    def add(self, title: str) -> None:
        self.entries.append((f"urn:news:{len(self.entries) + 1}", title))

    def document(self) -> str:
        items = "".join(
            f"<item><guid>{guid}</guid><title>{title}</title><link>https://news.test/{guid[9:]}</link>"
            f"<description>&lt;p&gt;All about {title}&lt;/p&gt;</description>"
            f"<pubDate>{format_datetime(datetime(2026, 1, n + 1, tzinfo=UTC))}</pubDate></item>"
            for n, (guid, title) in reversed(list(enumerate(self.entries)))
        )
        return f"<rss version='2.0'><channel><title>PokeCommunity news</title>{items}</channel></rss>"

    async def fetch(self, url: str) -> str:
        return self.document()


def test_entries_come_oldest_first_with_plain_summaries() -> None:
    feed = LocalFeed()
    for title in ("One", "Two", "Three"):
        feed.add(title)
    entries = parse_entries(feed.document())
    assert [e.title for e in entries] == ["One", "Two", "Three"]
    assert entries[0].summary == "All about One" and entries[0].url == "https://news.test/1"


async def test_a_new_feed_posts_only_its_newest_entry_then_each_new_one_once() -> None:
    store, chat, feed = await open_store("sqlite:///:memory:"), MemoryChat(), LocalFeed()
    try:
        for title in ("Old news", "Older news", "Launch day"):
            feed.add(title)
        poller = FeedPoller(demo_config, store, chat.post, fetch=feed.fetch)
        assert await poller.poll("announcements", FEED) == 1
        assert [m.embeds[0].title for m in chat.posts["announcements"]] == ["Launch day"]
        assert await poller.poll("announcements", FEED) == 0
        feed.add("Patch 1.2")
        restarted = FeedPoller(demo_config, store, chat.post, fetch=feed.fetch)  # same store, new process
        assert await restarted.poll("announcements", FEED) == 1
        assert chat.posts["announcements"][-1].embeds[0].title == "Patch 1.2"
    finally:
        await store.close()


async def test_a_feed_that_cannot_be_read_is_logged_and_skipped() -> None:
    store, chat = await open_store("sqlite:///:memory:"), MemoryChat()

    async def broken(url: str) -> str:
        raise aiohttp.ClientConnectionError("connection refused")

    try:
        assert await FeedPoller(demo_config, store, chat.post, fetch=broken).poll("announcements", FEED) == 0
    finally:
        await store.close()


async def test_an_atom_feed_over_http_is_read() -> None:
    atom = (
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>News</title>"
        "<entry><id>tag:news,1</id><title>Server maintenance</title>"
        "<link href='https://news.test/maintenance'/><updated>2026-01-02T00:00:00Z</updated>"
        "<summary>Down for an hour</summary></entry></feed>"
    )

    async def serve_feed(request: web.Request) -> web.Response:
        return web.Response(text=atom, content_type="application/atom+xml")

    app = web.Application()
    app.router.add_get("/news.atom", serve_feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        [entry] = parse_entries(await fetch_over_http(f"http://127.0.0.1:{port}/news.atom"))
        assert (entry.title, entry.url, entry.summary) == (
            "Server maintenance",
            "https://news.test/maintenance",
            "Down for an hour",
        )
    finally:
        await runner.cleanup()


async def test_the_running_bot_posts_new_feed_entries_in_announcements() -> None:
    feed = LocalFeed()
    async with open_server(fetch_feed=feed.fetch) as server:
        channel = server.channels["announcements"]
        feed.add("Patch 1.2")
        feed.add("Community day")
        await server.env.advance_time(FEED.every_seconds)
        assert [m.embeds[0].title for m in channel.history()] == ["Patch 1.2", "Community day"]
        await server.env.advance_time(FEED.every_seconds)
        assert len(channel.history()) == 2


def with_token(config: Config, token: str) -> Config:
    channels = dict(config.channels)
    channels["announcements"] = dataclasses.replace(channels["announcements"], announce_token=token)
    return dataclasses.replace(config, channels=channels)


@asynccontextmanager
async def announce_server(config: Config, post: object) -> AsyncIterator[str]:
    class Served:
        def __init__(self) -> None:
            self.config = config

        async def on_contact_event(self, event: object) -> None:
            raise AssertionError("no contact-center events here")

    app = create_app(ServerServices(runtime=Served(), blueprints=[announce_blueprint(lambda: config, post)]))  # type: ignore[arg-type]
    running = await start_server(app)
    try:
        yield running.url
    finally:
        await running.stop()


async def test_the_announce_webhook_checks_the_token_and_posts() -> None:
    config = with_token(demo_config(), "news-token")
    async with open_server(config=config) as server:
        channel = server.channels["announcements"]
        async with announce_server(config, server.client.chat.post) as url, aiohttp.ClientSession() as http:
            hook = f"{url}/hooks/announce/announcements"
            good = {"Authorization": "Bearer news-token"}
            async with http.post(hook, json={"text": "hi"}) as r:
                assert r.status == 401 and "Bearer" in r.headers["WWW-Authenticate"]
            async with http.post(hook, json={"text": "hi"}, headers={"Authorization": "Bearer nope"}) as r:
                assert r.status == 403
            async with http.post(f"{url}/hooks/announce/general", json={"text": "hi"}, headers=good) as r:
                assert r.status == 404
            async with http.post(hook, json={"title": "no text"}, headers=good) as r:
                assert r.status == 400 and "text" in (await r.json())["error"]
            body = {"text": "Servers are back.", "title": "Maintenance over", "url": "https://news.test/m"}
            async with http.post(hook, json=body, headers=good) as r:
                assert r.status == 201
                message_id = (await r.json())["message_id"]
            async with http.post(hook, json={"text": "Plain words"}, headers=good) as r:
                assert r.status == 201
        await server.env.settle()
        first, second = channel.history()
        assert str(first.id) == message_id
        assert (first.embeds[0].title, first.embeds[0].url) == ("Maintenance over", "https://news.test/m")
        assert second.content == "Plain words"
