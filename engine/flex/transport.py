"""The HTTP client the twilio SDK uses in flexcord: async (aiohttp), bounded in time, quiet in the logs.

It also remembers the `Retry-After` of a 429 in a context variable, because the SDK's
TwilioRestException carries no headers and a rate-limited send must say when to retry.
"""

from __future__ import annotations

import base64
import logging
from contextvars import ContextVar
from urllib.parse import urlencode

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

log = logging.getLogger(__name__)

last_retry_after: ContextVar[float | None] = ContextVar("flexcord_twilio_retry_after", default=None)
"""Seconds Twilio asked us to wait in the last 429 answered in this task (None when it did not say)."""


def parse_retry_after(value: str | None) -> float | None:
    """Read a Retry-After header given in seconds ("3", "1.5"); anything else means unknown."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class TwilioTransport(AsyncHttpClient):  # type: ignore[misc]
    """One pooled aiohttp session for every Twilio call, created on first use inside the event loop."""

    def __init__(self, timeout: float = 10.0) -> None:
        super().__init__(log, True, timeout)
        self._session: aiohttp.ClientSession | None = None
        self._client_timeout = aiohttp.ClientTimeout(total=timeout)
        self._auth_for: tuple[str, str] | None = None
        self._auth_header = ""

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._client_timeout)
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send one request; form fields with list values become repeated keys, as Twilio expects."""
        body = urlencode(data, doseq=True) if data else None
        query = urlencode(params, doseq=True) if params else None
        if query:
            url = f"{url}{'&' if '?' in url else '?'}{query}"
        session = self._ensure_session()
        if auth:
            headers = {**(headers or {}), "Authorization": self._basic(auth)}
        async with session.request(
            method.upper(),
            url,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout) if timeout else self._client_timeout,
            allow_redirects=allow_redirects,
        ) as answer:
            text = await answer.text()
            if answer.status == 429:
                last_retry_after.set(parse_retry_after(answer.headers.get("Retry-After")))
            return Response(answer.status, text, answer.headers)

    def _basic(self, auth: tuple[str, str]) -> str:
        if self._auth_for != auth:
            self._auth_for = auth
            self._auth_header = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        return self._auth_header

    async def close(self) -> None:
        """Close the pooled connections (call once when the bot stops)."""
        if self._session is not None:
            await self._session.close()
            self._session = None
