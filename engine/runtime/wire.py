"""Outbox lanes: the items of one lane are delivered in order, one after the other."""

from __future__ import annotations


def dm_lane(user_id: str) -> str:
    """Direct messages to one player are delivered in order, one after the other."""
    return f"dm:{user_id}"


def dm_user(lane: str) -> str | None:
    """The player whose DM lane `lane` is (None: another kind of lane)."""
    return lane.removeprefix("dm:") if lane.startswith("dm:") else None


def post_lane(channel: str) -> str:
    return f"post:{channel}"


def contact_lane(user_id: str) -> str:
    """Calls to the contact center about one player (start, messages, close) keep their order."""
    return f"contact:{user_id}"
