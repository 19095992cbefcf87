"""Feeds in the sandbox: it does not reach the internet, so each feed gives one sample entry.

The real feed poller (engine.discord.announcements) reads this document and posts the entry in
the feed's channel, so a community manager sees where official news will appear.
"""

from __future__ import annotations

from html import escape


async def sample_feed(url: str) -> str:
    """An RSS document with one entry standing in for the feed at `url`."""
    title = "Sample news: entries of this feed appear here"
    summary = (
        f"The sandbox does not fetch {url}; when flexcord runs for real, each new entry of that feed "
        "is posted in this channel."
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(url)}</title><link>{escape(url)}</link><description>sandbox sample</description>"
        f"<item><title>{escape(title)}</title><link>{escape(url)}</link>"
        f"<guid>sandbox-sample:{escape(url)}</guid><description>{escape(summary)}</description></item>"
        "</channel></rss>"
    )
