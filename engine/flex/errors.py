"""Turn what the twilio SDK and aiohttp raise into the port's DeliveryError (retry or give up)."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException

from engine.flex.transport import last_retry_after
from engine.ports import DeliveryError


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a Twilio error, or None when no answer came back."""
    if isinstance(exc, TwilioRestException | TwilioServiceException):
        return int(exc.status)
    if isinstance(exc, TwilioException):  # a list page that failed: ("Unable to fetch page", Response)
        answer = next((a for a in exc.args if isinstance(getattr(a, "status_code", None), int)), None)
        return int(answer.status_code) if answer is not None else None
    return None


def is_transport_failure(exc: BaseException) -> bool:
    """True when the outcome is unknown: no answer, a broken connection or a timeout."""
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | TimeoutError | OSError)


def as_delivery_error(exc: BaseException, action: str) -> DeliveryError:
    """429 -> retry after Twilio's Retry-After; 5xx and no answer -> retry; other 4xx -> permanent."""
    status = status_of(exc)
    if status == 429:
        return DeliveryError(f"Twilio is rate limiting {action}", retry_after=last_retry_after.get())
    if status is not None and status >= 500:
        return DeliveryError(f"Twilio answered {status} to {action}")
    if status is not None:
        detail = getattr(exc, "msg", None) or getattr(exc, "detail", None) or _message(exc)
        return DeliveryError(f"Twilio refused {action} ({status}): {detail}", permanent=True)
    if is_transport_failure(exc):
        return DeliveryError(f"no answer from Twilio to {action}: {type(exc).__name__} {exc}".strip())
    if isinstance(exc, TwilioException):
        return DeliveryError(f"Twilio failed {action}: {exc}")
    raise exc


def _message(exc: BaseException) -> str:
    """Twilio's own words from an error's JSON body, when there is one."""
    for arg in exc.args:
        text = getattr(arg, "text", None)
        if isinstance(text, str):
            try:
                return str(json.loads(text).get("message", text))
            except (ValueError, AttributeError):
                return text
    return str(exc)
