"""Calls on a Flex interaction after it exists: following its channel's status, and transfers (invites).

`interaction.create` is answered before Flex has set the channel up: the channel starts in
`setup` and becomes `active` or `failed`. `follow_channel` reads it until it settles. A
transfer is an invite on the interaction's channel, routed like the first task, with the first
task's attributes copied and the new queue and the transfer's reason added (a cold transfer:
the agent who had it wraps up).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from twilio.rest import Client

SETTLED = ("active", "failed", "closed", "inactive")
FOLLOW_DELAYS = (0.0, 0.2, 0.5, 1.0, 2.0, 3.0)  # about 7 s in all before the channel counts as failed


async def follow_channel(client: Client, interaction: str, channel: str) -> str:
    """The channel's status once it leaves `setup` ("failed" if it never does within FOLLOW_DELAYS)."""
    for delay in FOLLOW_DELAYS:
        if delay:
            await asyncio.sleep(delay)  # Twilio has no callback to the caller for this: it is read back
        found = await client.flex_api.v1.interaction(interaction).channels(channel).fetch_async()
        status = str(found.status or "")
        if status in SETTLED:
            return status
    return "failed"


async def original_attributes(client: Client, interaction: str) -> dict[str, Any]:
    """The attributes of the task the interaction was created with."""
    found = await client.flex_api.v1.interaction(interaction).fetch_async()
    properties = (found.routing or {}).get("properties") or {}
    attributes = properties.get("attributes") or {}
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except ValueError:
            attributes = {}
    return dict(attributes) if isinstance(attributes, dict) else {}


async def invite(
    client: Client, interaction: str, channel: str, routing: dict[str, Any], attributes: dict[str, Any]
) -> str:
    """Create the invite that routes the channel to another queue; returns the invite's sid."""
    properties = {**routing, "attributes": attributes}
    created = await (
        client.flex_api.v1.interaction(interaction)
        .channels(channel)
        .invites.create_async(routing={"properties": properties})
    )
    return str(created.sid)
