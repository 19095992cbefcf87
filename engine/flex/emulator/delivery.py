"""Post conversation webhooks as Twilio does: form-encoded, signed with X-Twilio-Signature, retried on 5xx.

The signature is HMAC-SHA1 of the URL plus the sorted form fields, keyed with the auth token
(twilio.request_validator computes it). Overrides let a test put a proxy in the picture:
`delivery_base` sends to another address than the configured URL (the proxy's inside), and
`signing_base` signs for another URL than the configured one (a wrong public URL).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.05, 0.25, 1.0)


@dataclass
class Delivery:
    """One webhook as sent, and how flexcord answered (None: no answer at all)."""

    event: str
    conversation: str
    url: str
    status: int | None
    attempts: int

    def as_json(self) -> dict[str, object]:
        return {
            "event": self.event,
            "conversation": self.conversation,
            "url": self.url,
            "status": self.status,
            "attempts": self.attempts,
        }


def rebase(url: str, base: str | None) -> str:
    """`rebase("https://a.example/x?q=1", "http://127.0.0.1:9")` -> "http://127.0.0.1:9/x?q=1"."""
    if not base:
        return url
    parts, to = urlsplit(url), urlsplit(base)
    return urlunsplit((to.scheme, to.netloc, to.path.rstrip("/") + parts.path, parts.query, ""))


class WebhookSender:
    """Signs and sends webhooks; keeps a log of every delivery for the agent API and the tests."""

    def __init__(
        self,
        auth_token: str,
        *,
        signing_base: str | None = None,
        delivery_base: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.validator = RequestValidator(auth_token)
        self.signing_base = signing_base
        self.delivery_base = delivery_base
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.log: list[Delivery] = []
        self._session: aiohttp.ClientSession | None = None

    def signature(self, url: str, params: dict[str, str]) -> str:
        return str(self.validator.compute_signature(url, params))

    async def send(
        self, event: str, conversation: str, url: str, method: str, params: dict[str, str]
    ) -> Delivery:
        """Deliver one webhook, retrying while flexcord answers 5xx or does not answer."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        get = method.lower() == "get"
        if get:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        target = rebase(url, self.delivery_base)
        signed_url = rebase(url, self.signing_base)
        delivery = Delivery(event, conversation, url, None, 0)
        for attempt, pause in enumerate((0.0, *RETRY_DELAYS)):
            if pause:
                await asyncio.sleep(pause)
            fields = {**params, "RetryCount": str(attempt)} if not get else params
            headers = {
                "X-Twilio-Signature": self.signature(signed_url, {} if get else fields),
                "User-Agent": "TwilioProxy/1.1",
            }
            if not get:
                headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
            delivery.attempts = attempt + 1
            try:
                async with self._session.request(
                    "GET" if get else "POST", target, data=None if get else urlencode(fields), headers=headers
                ) as answer:
                    await answer.read()
                    delivery.status = answer.status
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.info("webhook %s to %s failed: %s", event, target, exc)
                delivery.status = None
            if delivery.status is not None and delivery.status < 500:
                break
        self.log.append(delivery)
        return delivery

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
