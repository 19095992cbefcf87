"""A fresh PostgreSQL database per test, on the throw-away server scripts/with-postgres starts.

FLEXCORD_TEST_POSTGRES holds the server's URL; without it the PostgreSQL tests skip, saying why.
"""

from __future__ import annotations

import itertools
import os
import secrets

import psycopg
import pytest

SERVER = "FLEXCORD_TEST_POSTGRES"
_numbers = itertools.count()


def server_url() -> str:
    url = os.environ.get(SERVER)
    if not url:
        pytest.skip(f"no PostgreSQL server: {SERVER} is unset (run the tests through scripts/with-postgres)")
    return url


async def fresh_database() -> str:
    """The URL of a new, empty database on the test server."""
    url = server_url()
    name = f"flexcord_{os.getpid()}_{next(_numbers)}_{secrets.token_hex(2)}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"
