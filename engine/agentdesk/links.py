"""Signed, expiring links to a case page: the link itself is the agent's permission, nothing else.

A link is `<public_url>/agent/cases/<ref>?expires=<unix seconds>&sig=<hex>`, where `sig` is an
HMAC-SHA256 of the reference and the expiry, keyed with a key derived from the Twilio auth token
(which the server already holds secret). Changing the reference, the expiry or the signature,
or using the link after its expiry, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, urlencode

LINK_LIFETIME_S = 24 * 3600  # a task is worked within a day; a new task gets a new link
CASE_PATH = "/agent/cases/"


def _key(secret: str) -> bytes:
    return hashlib.sha256(b"flexcord case link\n" + secret.encode("utf-8")).digest()


def signature(secret: str, ref: str, expires: int) -> str:
    """The signature of a link to case `ref` valid until `expires` (unix seconds)."""
    return hmac.new(_key(secret), f"{ref}\n{expires}".encode(), hashlib.sha256).hexdigest()


def case_link(public_url: str, secret: str, ref: str, now: float, lifetime: int = LINK_LIFETIME_S) -> str:
    """The link an agent opens to see case `ref`, valid for `lifetime` seconds from `now`."""
    expires = int(now) + lifetime
    query = urlencode({"expires": expires, "sig": signature(secret, ref, expires)})
    return f"{public_url.rstrip('/')}{CASE_PATH}{quote(ref)}?{query}"


def is_valid_link(secret: str, ref: str, expires: str, sig: str, now: float) -> bool:
    """True when the link's signature is right for this case and expiry, and it has not expired."""
    if not secret or not expires.isdigit() or not sig:
        return False
    if int(expires) < now:
        return False
    return hmac.compare_digest(signature(secret, ref, int(expires)), sig)
