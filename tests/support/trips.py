"""A player talking to an agent, and a bot whose PostgreSQL trips are counted up to each send."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from engine.attachments import Upload
from engine.events import OutMessage
from engine.runtime import Generation
from tests.pgwire import Wire, counted_url
from tests.postgres import fresh_database
from tests.support.twins import World, memory_world


async def with_agent(world: World, user_id: str = "111", name: str = "Ash", agent: str = "Misty") -> str:
    """The player asks for an agent and `agent` joins; the handoff's conversation sid."""
    await world.player(user_id, name).says("agent")
    handoff = world.contact.handoff_of(user_id)
    await world.contact.agent_joins(handoff, agent)
    return handoff


@dataclass
class Counted:
    world: World
    wire: Wire
    at_send: list[int] = field(default_factory=list)  # trips since `mark()`, as each send left
    _mark: int | None = None  # None: sends before the first mark (the set-up's) are not noted

    def mark(self) -> None:
        """Count the trips from here."""
        self._mark = self.wire.trips

    def sent(self) -> None:
        if self._mark is not None:
            self.at_send.append(self.wire.trips - self._mark)


@asynccontextmanager
async def counted_world(generation: Generation) -> AsyncIterator[Counted]:
    """A bot on a fresh PostgreSQL database reached through the counting relay (tests/pgwire.py);
    each request to the agent and each DM to the player notes the trips since the last `mark()`."""
    wire = Wire()
    through, relay = await counted_url(await fresh_database(), wire)
    world = await memory_world(generation, store_url=through)
    counted = Counted(world, wire)
    send, send_dm = world.contact.send, world.chat.send_dm

    async def counted_send(handoff: str, user_id: str, text: str, key: str) -> None:
        counted.sent()
        await send(handoff, user_id, text, key)

    async def counted_send_dm(user_id: str, message: OutMessage, files: Sequence[Upload] = ()) -> str:
        counted.sent()
        return await send_dm(user_id, message, files)

    world.contact.send = counted_send  # type: ignore[method-assign]
    world.chat.send_dm = counted_send_dm  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        await world.close()
        relay.close()
