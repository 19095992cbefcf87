"""A loopback relay between a PostgreSQL client and the server that counts the client's trips:
each simple query ('Q') or extended-protocol sync ('S'), after which the server answers. Used by
tests/test_postgres_trips.py and benchmarks/pg_trips.py."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass, field
from urllib.parse import urlsplit

UNTYPED = {80877103, 80877104}  # SSL and GSS encryption requests, before the startup message


@dataclass
class Wire:
    """Counts the client's trips to the server: each simple query ('Q') or extended-protocol sync ('S')."""

    trips: int = 0
    queries: list[bytes] = field(default_factory=list)  # each simple query's text, as sent

    async def relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, port)
        back = asyncio.create_task(_pipe(up_reader, writer))
        try:
            await self._client(reader, up_writer)
        finally:
            up_writer.close()
            await back

    async def _client(self, reader: asyncio.StreamReader, up: asyncio.StreamWriter) -> None:
        started = False
        try:
            while True:
                if started:
                    kind = await reader.readexactly(1)
                    length = await reader.readexactly(4)
                    body = await reader.readexactly(struct.unpack("!i", length)[0] - 4)
                    self.trips += kind in (b"Q", b"S")
                    if kind == b"Q":
                        self.queries.append(body)
                    up.write(kind + length + body)
                else:
                    length = await reader.readexactly(4)
                    body = await reader.readexactly(struct.unpack("!i", length)[0] - 4)
                    started = struct.unpack("!i", body[:4])[0] not in UNTYPED
                    up.write(length + body)
                await up.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def counted_url(url: str, wire: Wire) -> tuple[str, asyncio.Server]:
    """A URL of the same database through a relay that counts on `wire`, and the relay's server."""
    parts = urlsplit(url)
    relay = await asyncio.start_server(
        lambda r, w: wire.relay(r, w, parts.hostname or "127.0.0.1", parts.port or 5432), "127.0.0.1", 0
    )
    port = relay.sockets[0].getsockname()[1]
    through = parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}").geturl()
    return through + "?sslmode=disable&gssencmode=disable", relay
