"""Announcements: official feeds (RSS/Atom) posted in their channel, and an authenticated announce webhook.

Each feed of `channels.<name>.feeds` is polled on its interval; every entry is posted once, also
across restarts, because the entries already seen are remembered in the store. The first time a
feed is seen only its newest entry is posted, so adding a feed does not flood the channel.
`POST /hooks/announce/<channel>` lets another system post in a channel that has an announce_token.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
import feedparser
from quart import Blueprint, request

from engine.config.model import Config, Feed
from engine.discord.sync import SettingsStore
from engine.events import Embed, OutMessage
from engine.ports import DeliveryError

log = logging.getLogger(__name__)

FeedFetch = Callable[[str], Awaitable[str]]
"""Returns the feed document at a URL."""
Post = Callable[[str, OutMessage], Awaitable[str]]
"""Posts a message in a channel by name; returns the message id."""

CHECK_CONFIG_EVERY = 60.0  # seconds: the longest wait before a reloaded config's feeds are picked up
SUMMARY_LIMIT = 500


class FeedStore(SettingsStore, Protocol):
    """The parts of the store the Discord side uses: settings, and feed entries already seen."""

    async def mark_seen(self, namespace: str, key: str, at: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, reduced to what is posted."""

    key: str
    title: str
    url: str | None
    summary: str


async def fetch_over_http(url: str) -> str:
    """Fetch a feed over HTTP (20 s timeout)."""
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        response.raise_for_status()
        return await response.text()


def _plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()


def parse_entries(document: str) -> list[FeedEntry]:
    """The entries of an RSS or Atom document, oldest first."""
    parsed = feedparser.parse(document)
    entries = []
    for item in parsed.entries:
        key = str(item.get("id") or item.get("link") or item.get("title") or "")
        if not key:
            continue
        summary = " ".join(_plain(str(item.get("summary", ""))).split())
        if len(summary) > SUMMARY_LIMIT:
            summary = summary[: SUMMARY_LIMIT - 1] + "…"
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        entries.append(
            (
                tuple(stamp) if stamp else None,
                FeedEntry(key, str(item.get("title") or key), item.get("link"), summary),
            )
        )
    if all(stamp is not None for stamp, _ in entries):
        entries.sort(key=lambda pair: pair[0] or ())
    else:
        entries.reverse()  # feeds list the newest first
    return [entry for _, entry in entries]


def entry_message(entry: FeedEntry, feed_url: str) -> OutMessage:
    """The post for a feed entry, keyed so a retried post is not doubled."""
    digest = hashlib.sha256(f"{feed_url}\n{entry.key}".encode()).hexdigest()[:32]
    return OutMessage(
        embeds=(Embed(title=entry.title, description=entry.summary, url=entry.url),), key=f"feed:{digest}"
    )


class FeedPoller:
    """Polls the configured feeds on their intervals and posts new entries in their channels."""

    def __init__(
        self,
        config_provider: Callable[[], Config],
        store: FeedStore,
        post: Post,
        *,
        fetch: FeedFetch | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._config = config_provider
        self._store = store
        self._post = post
        self._fetch = fetch or fetch_over_http
        self._now = now or (lambda: datetime.now(UTC))
        self._due: dict[tuple[str, str], float] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start polling in the background (once)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="flexcord-feeds")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def feeds(self) -> list[tuple[str, Feed]]:
        """(channel, feed) for every feed in the current config."""
        return [(name, feed) for name, channel in self._config().channels.items() for feed in channel.feeds]

    async def _run(self) -> None:
        clock = asyncio.get_running_loop().time
        while True:
            wait = CHECK_CONFIG_EVERY
            for channel, feed in self.feeds():
                due = self._due.get((channel, feed.url), 0.0)
                left = due - clock()
                if left <= 0:
                    await self.poll(channel, feed)
                    self._due[(channel, feed.url)] = clock() + feed.every_seconds
                    left = feed.every_seconds
                wait = min(wait, left)
            await asyncio.sleep(max(wait, 1.0))

    async def poll(self, channel: str, feed: Feed) -> int:
        """Fetch one feed and post its new entries; returns how many were posted. Never raises."""
        try:
            entries = await asyncio.to_thread(parse_entries, await self._fetch(feed.url))
        except Exception as exc:
            log.warning("feed %s for #%s could not be read: %s", feed.url, channel, exc)
            return 0
        primed_key = f"feed.primed:{feed.url}"
        first_time = await self._store.get_setting(primed_key) is None
        posted = 0
        for index, entry in enumerate(entries):
            if not await self._store.mark_seen(f"feed:{feed.url}", entry.key, self._now()):
                continue
            if first_time and index < len(entries) - 1:
                continue  # a new feed: remember its history, post only the newest entry
            try:
                await self._post(channel, entry_message(entry, feed.url))
                posted += 1
            except DeliveryError as exc:
                log.warning("feed entry '%s' could not be posted in #%s: %s", entry.title, channel, exc)
        if first_time:
            await self._store.put_setting(primed_key, self._now().isoformat())
        return posted


# --- the announce webhook ------------------------------------------------------------------


def _error(
    status: int, text: str, headers: dict[str, str] | None = None
) -> tuple[dict[str, str], int, dict[str, str]]:
    return {"error": text}, status, headers or {}


def announce_blueprint(get_config: Callable[[], Config], post: Post) -> Blueprint:
    """`POST /hooks/announce/<channel>`: Authorization: Bearer <announce_token>, JSON {text, title?, url?}."""
    blueprint = Blueprint("announce", __name__)

    @blueprint.post("/hooks/announce/<channel>")
    async def announce(channel: str) -> Any:
        config = get_config()
        spec = config.channels.get(channel)
        if spec is None or not spec.announce_token:
            return _error(404, f"no channel '{channel}' accepts announcements")
        given = request.headers.get("Authorization", "")
        if not given.lower().startswith("bearer "):
            return _error(
                401, "send Authorization: Bearer <token>", {"WWW-Authenticate": 'Bearer realm="flexcord"'}
            )
        if not hmac.compare_digest(given[7:].strip().encode(), spec.announce_token.encode()):
            return _error(403, "wrong token for this channel")
        body = await request.get_json(silent=True)
        problem = _check_body(body)
        if problem:
            return _error(400, problem)
        assert isinstance(body, dict)
        text, title, url = body["text"].strip(), body.get("title"), body.get("url")
        idempotency = request.headers.get("Idempotency-Key")
        message = OutMessage(
            text="" if title else text,
            embeds=(Embed(title=title, description=text[:4096], url=url),) if title else (),
            key=f"announce:{channel}:{idempotency}" if idempotency else None,
        )
        try:
            message_id = await post(channel, message)
        except DeliveryError as exc:
            return _error(502 if exc.permanent else 503, exc.reason)
        return {"message_id": message_id}, 201

    return blueprint


def _check_body(body: object) -> str | None:
    if not isinstance(body, dict):
        return 'send a JSON object like {"text": "..."}'
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return '"text" is required and must be non-empty text'
    title = body.get("title")
    if title is not None and (not isinstance(title, str) or not 0 < len(title) <= 256):
        return '"title" must be text of 1 to 256 characters'
    url = body.get("url")
    if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
        return '"url" must be an http(s) link'
    if url is not None and title is None:
        return '"url" needs a "title" to link from'
    return None
