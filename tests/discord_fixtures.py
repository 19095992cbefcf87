"""The real flexcord bot (demo config, real runtime) on a SimCord server, for the Discord adapter tests.

`open_server()` builds the shipped flexcord.yaml, starts the runtime with an in-memory contact center
and the Discord client from engine.discord, and creates the demo server in SimCord: channels
announcements, bug-report, feature-request, mod-log and general; roles admin and moderator; a
player, a moderator and an admin. The runtime's clock is SimCord's clock, which starts on a
Wednesday afternoon in Los Angeles (business hours). Test modules import what they use from here.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import simcord
from simcord import ChannelHandle, GuildHandle, MemberActor, RoleHandle

from engine.config import build
from engine.config.model import Config
from engine.discord import FlexcordClient, create_client
from engine.discord.announcements import FeedFetch
from engine.runtime import Runtime, prepare
from engine.store import Store, open_store
from tests.support.twins import MemoryContactCenter

ROOT = Path(__file__).resolve().parent.parent
GUILD = "PokeCommunity"
CHANNELS = ("announcements", "bug-report", "feature-request", "mod-log", "general")
EMPTY_FEED = "<rss version='2.0'><channel><title>News</title></channel></rss>"


@functools.cache
def demo_config() -> Config:
    """The shipped demo bot, compiled offline (secrets are not needed)."""
    result = build(ROOT / "flexcord.yaml", offline=True)
    assert result.ok and result.config is not None, [str(d) for d in result.errors]
    return result.config


async def no_news(url: str) -> str:
    """A feed fetcher for tests that do not test feeds: every feed is empty, nothing touches the network."""
    return EMPTY_FEED


def form_controls(modal: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A modal's fields in order, each with its label (a text input's own, or its Label's)."""
    controls: list[dict[str, Any]] = []
    for row in modal["components"]:
        if "component" in row:  # a Label around a control (a file upload)
            controls.append({**row["component"], "label": row["label"]})
        else:
            controls.extend(row["components"])
    return controls


@dataclass
class Server:
    """Everything a test drives or inspects."""

    env: simcord.Env
    client: FlexcordClient
    runtime: Runtime
    store: Store
    contact: MemoryContactCenter
    guild: GuildHandle
    channels: dict[str, ChannelHandle]
    roles: dict[str, RoleHandle]
    player: MemberActor
    moderator: MemberActor
    admin: MemberActor

    def command_syncs(self) -> int:
        """How many times the bot registered slash commands with Discord."""
        return sum(1 for r in self.env.http_requests if r.method == "PUT" and r.path.endswith("/commands"))


class SimClock:
    """The runtime's clock: SimCord's virtual time once the environment runs."""

    def __init__(self) -> None:
        self.env: simcord.Env | None = None

    def __call__(self) -> datetime:
        assert self.env is not None, "the clock is read before SimCord started"
        return self.env.now()


def make_client(
    runtime: Runtime | None, config: Config, store: Store, fetch_feed: FeedFetch = no_news
) -> FlexcordClient:
    return create_client(runtime, config_provider=lambda: config, store=store, fetch_feed=fetch_feed)


@asynccontextmanager
async def open_server(
    *,
    store: Store | None = None,
    config: Config | None = None,
    fetch_feed: FeedFetch = no_news,
    setup: Callable[[GuildHandle], Mapping[str, ChannelHandle]] | None = None,
    text_channels: tuple[str, ...] = CHANNELS,
    **simcord_options: Any,
) -> AsyncIterator[Server]:
    """The demo bot joining the demo server; pass `store` to keep records across two servers.

    The server exists before the bot connects, as in production. On leaving, any error the bot
    raised and swallowed fails the test (SimCord records them).
    """
    config = config or demo_config()
    own_store = store is None
    store = store or await open_store("sqlite:///:memory:")
    contact = MemoryContactCenter()
    clock = SimClock()
    client = make_client(None, config, store, fetch_feed)
    runtime = Runtime(await prepare(config), store, client.chat, contact, clock=clock)
    contact.runtime = runtime
    client.runtime = runtime
    env = clock.env = simcord.Env(client, **simcord_options)
    guild = env.create_guild(GUILD)
    channels = {name: guild.create_text_channel(name) for name in text_channels}
    roles = {name: guild.create_role(name) for name in ("admin", "moderator")}
    if setup is not None:  # more of the server (channels, forums) before the bot sees it
        channels.update(setup(guild))
    server = Server(
        env=env,
        client=client,
        runtime=runtime,
        store=store,
        contact=contact,
        guild=guild,
        channels=channels,
        roles=roles,
        player=guild.add_member(env.create_user("ash")),
        moderator=guild.add_member(env.create_user("jenny"), roles=[roles["moderator"]]),
        admin=guild.add_member(env.create_user("oak"), roles=[roles["admin"]]),
    )
    try:
        await runtime.start()
        await env.start()
        with env.time_context():
            try:
                await env.settle()
                yield server
            finally:
                await server.runtime.stop()
                await env.shutdown()
        env.raise_errors()
    finally:
        if own_store:
            await store.close()
