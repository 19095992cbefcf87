"""Post conversation webhooks as Twilio does: form-encoded, signed with X-Twilio-Signature, retried on 5xx.

The signature is HMAC-SHA1 of the URL plus the sorted form fields, keyed with the auth token
(twilio.request_validator computes it). Overrides let a test put a proxy in the picture:
`delivery_base` sends to another address than the configured URL (the proxy's inside), and
`signing_base` signs for another URL than the configured one (a wrong public URL).

Webhooks of one conversation go out in order, one at a time: while one waits for a retry
(flexcord answered 5xx, or did not answer, e.g. while it restarts), the ones behind it wait
too, so a later message never overtakes an earlier one. Retries back off from 50 ms to a
minute and stop after about four minutes (fifteen retries); a caller that waits for a delivery (an agent's
action) waits only for the first few quick attempts, the rest goes on in the background.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.05, 0.25, 1.0, 2.0, 3.0, 5.0, 5.0, 10.0, 10.0, 15.0, 15.0, 30.0, 30.0, 60.0, 60.0)
QUICK_ATTEMPTS = 4  # attempts a waiting caller sees through (about 1.3 s); later ones run on their own
QUICK_WAIT = 2.0  # seconds a caller waits at most, e.g. behind an earlier webhook waiting for a retry
SHUTDOWN_GRACE = 5.0


@dataclass
class Delivery:
    """One webhook as sent, and how flexcord answered (None: no answer at all)."""

    event: str
    conversation: str
    url: str
    status: int | None
    attempts: int
    answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False, compare=False)
    """Set once delivered, given up, or past the quick attempts a waiting caller sees through."""

    @property
    def delivered(self) -> bool:
        return self.status is not None and self.status < 500

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


KEEP_DELIVERIES = 10_000  # finished deliveries kept for GET /emulator/deliveries, as requests are


class WebhookSender:
    """Signs and sends webhooks, in order per conversation; keeps a log of the latest finished deliveries."""

    def __init__(
        self,
        auth_token: str,
        *,
        signing_base: str | None = None,
        delivery_base: str | None = None,
        timeout: float = 5.0,
        retry_delays: tuple[float, ...] = RETRY_DELAYS,
        keep: int = KEEP_DELIVERIES,
    ) -> None:
        self.validator = RequestValidator(auth_token)
        self.signing_base = signing_base
        self.delivery_base = delivery_base
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.retry_delays = retry_delays
        self.log: deque[Delivery] = deque(maxlen=keep)  # the latest finished deliveries
        self._session: aiohttp.ClientSession | None = None
        self._tails: dict[str, asyncio.Task[Delivery]] = {}  # lane -> its last queued delivery
        self._running: set[asyncio.Task[Delivery]] = set()

    def signature(self, url: str, params: dict[str, str]) -> str:
        return str(self.validator.compute_signature(url, params))

    def enqueue(
        self, event: str, conversation: str, url: str, method: str, params: dict[str, str]
    ) -> Delivery:
        """Queue a webhook behind its conversation's earlier ones; see Delivery.answered for when to go on."""
        delivery = Delivery(event, conversation, url, None, 0)
        lane = f"{conversation} {url}"
        before = self._tails.get(lane)
        task = asyncio.get_running_loop().create_task(self._in_turn(before, delivery, url, method, params))
        self._tails[lane] = task
        self._running.add(task)

        def finished(done: asyncio.Task[Delivery]) -> None:
            self._running.discard(done)
            if self._tails.get(lane) is done:
                del self._tails[lane]

        task.add_done_callback(finished)
        return delivery

    async def _in_turn(
        self,
        before: asyncio.Task[Delivery] | None,
        delivery: Delivery,
        url: str,
        method: str,
        params: dict[str, str],
    ) -> Delivery:
        if before is not None:
            await asyncio.wait({before})  # its outcome does not matter, only that it is finished
        return await self._deliver(delivery, url, method, params)

    async def send(
        self, event: str, conversation: str, url: str, method: str, params: dict[str, str]
    ) -> Delivery:
        """Deliver one webhook now (outside the conversation's queue), with every retry."""
        return await self._deliver(Delivery(event, conversation, url, None, 0), url, method, params)

    async def _deliver(self, delivery: Delivery, url: str, method: str, params: dict[str, str]) -> Delivery:
        """Try until flexcord answers below 500 or the retries run out."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        get = method.lower() == "get"
        if get:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        target = rebase(url, self.delivery_base)
        signed_url = rebase(url, self.signing_base)
        try:
            for attempt, pause in enumerate((0.0, *self.retry_delays)):
                if pause:
                    await asyncio.sleep(pause)
                delivery.status = await self._attempt(self._session, target, signed_url, get, params, attempt)
                delivery.attempts = attempt + 1
                if delivery.delivered or delivery.attempts >= QUICK_ATTEMPTS:
                    delivery.answered.set()
                if delivery.delivered:
                    break
            else:
                log.warning(
                    "webhook %s for %s given up after %d attempts", delivery.event, target, delivery.attempts
                )
        finally:
            delivery.answered.set()
            self.log.append(delivery)
        return delivery

    async def _attempt(
        self,
        session: aiohttp.ClientSession,
        target: str,
        signed_url: str,
        get: bool,
        params: dict[str, str],
        attempt: int,
    ) -> int | None:
        fields = {**params, "RetryCount": str(attempt)} if not get else params
        headers = {
            "X-Twilio-Signature": self.signature(signed_url, {} if get else fields),
            "User-Agent": "TwilioProxy/1.1",
        }
        if not get:
            headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        try:
            async with session.request(
                "GET" if get else "POST", target, data=None if get else urlencode(fields), headers=headers
            ) as answer:
                await answer.read()
                return answer.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("webhook to %s failed: %s", target, exc)
            return None

    async def settle(self, timeout: float | None = None) -> bool:
        """Wait for the queued deliveries to finish; False if some were still retrying at `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._running:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                return False
            await asyncio.wait(list(self._running), timeout=left)
        return True

    async def aclose(self) -> None:
        """Stop: deliveries still retrying are dropped (as when Twilio gives up), connections closed."""
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
