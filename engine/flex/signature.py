"""Check X-Twilio-Signature: base64 HMAC-SHA1, keyed with the auth token, of the URL and the sorted form.

Same rule as twilio.request_validator (which tests use to sign), computed once for the URL as
configured and, only when that fails, once more with the default port added or removed, since
Twilio is not consistent about it. The common case costs one HMAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit


@lru_cache(maxsize=8)
def _keyed(token: str) -> hmac.HMAC:
    return hmac.new(token.encode("utf-8"), digestmod=hashlib.sha1)


def signature_of(token: str, url: str, fields: Iterable[tuple[str, str]]) -> str:
    """Twilio's signature for a form POST to `url` (fields: name/value pairs, repeats allowed)."""
    mac = _keyed(token).copy()
    mac.update((url + "".join(name + value for name, value in sorted(set(fields)))).encode("utf-8"))
    return base64.b64encode(mac.digest()).decode("ascii")


def port_variant(url: str) -> str:
    """The same URL with its default port written out, or without it if it was written."""
    parts = urlsplit(url)
    if parts.port is not None:
        host = parts.netloc.rsplit(":", 1)[0]
    else:
        host = f"{parts.netloc}:{443 if parts.scheme == 'https' else 80}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def is_valid(token: str, url: str, fields: list[tuple[str, str]], signature: str) -> bool:
    """True when `signature` is Twilio's for this URL and form."""
    if not token or not signature:
        return False
    given = signature.encode("ascii", "replace")
    if hmac.compare_digest(signature_of(token, url, fields).encode("ascii"), given):
        return True
    return hmac.compare_digest(signature_of(token, port_variant(url), fields).encode("ascii"), given)
