"""How a Discord player appears in Twilio: the participant identity `discord_<user id>`.

Twilio identities must avoid ! * ' ( ) ; : @ & = + $ , / ? % # [ ] and flexcord puts no
personal data in them: only the Discord snowflake, which is what the webhooks map back.
"""

from __future__ import annotations

import re

CUSTOMER_PREFIX = "discord_"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def identity_for(user_id: str) -> str:
    """`identity_for("80351110224678912")` -> "discord_80351110224678912" (unsafe characters become -)."""
    return CUSTOMER_PREFIX + _UNSAFE.sub("-", user_id)


def is_customer(identity: str | None) -> bool:
    """True for a participant or author that is a player flexcord added (not an agent or a bot)."""
    return bool(identity) and str(identity).startswith(CUSTOMER_PREFIX)
