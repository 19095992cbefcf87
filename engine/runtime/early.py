"""A lane's head claimed by the transaction that queued it, as it commits.

After a player's turn commits, the outbox claims the head of the lane the turn wrote to, then sends
it: on PostgreSQL the claim is a trip of its own, between the COMMIT and the request. Made inside the
transaction instead (`Writes.claim_later`), it travels with the COMMIT, and the send follows the
commit with no trip between.

A claim made that way may be used only if no delivery of this process touched the lane in the
meantime, or the item it names could be sent twice. So it is made only while no delivery holds or
waits for the lane's lock, and every claim the outbox makes on the lane afterwards voids it (under
that lock, where the early claim is used too). A voided or unused claim costs nothing: the item
stays leased to this process, whose next claim of the lane takes it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine.runtime.places import thread_key
from engine.runtime.wire import dm_user
from engine.store import Afterwards, OutboxItem, Writes

OPEN_MAX = 1024  # early claims kept at most (one per lane; those of transactions that failed stay until
# the lane's next claim): past it all are forgotten, and their lanes are claimed again as usual


def thread_setting(lane: str) -> str | None:
    """The setting a claim of `lane` reads with its head: a player's DM lane, their case thread."""
    user_id = dm_user(lane)
    return None if user_id is None else thread_key(user_id)


@dataclass(eq=False, slots=True)
class Early:
    """A claim of `lane`'s head made in a transaction's COMMIT trip (its item and the DM lane's thread)."""

    lane: str
    claimed: Afterwards[tuple[OutboxItem | None, str | None]] | None = field(default=None)


class EarlyClaims:
    """The early claims not yet used, at most one per lane."""

    def __init__(self) -> None:
        self._open: dict[str, Early] = {}

    async def claim(self, tx: Writes, lane: str, now: datetime) -> Early:
        """Claim `lane`'s head in `tx` (after its last write); the caller checked that no delivery
        holds or waits for the lane."""
        early = Early(lane)
        if len(self._open) >= OPEN_MAX:
            self._open.clear()
        self._open[lane] = early  # before the await: a delivery that claims meanwhile voids it
        early.claimed = await tx.claim_later(lane, now, thread_setting(lane))
        return early

    def void(self, lane: str) -> None:
        """The outbox claims `lane` itself: an early claim made before is stale."""
        self._open.pop(lane, None)

    def use(self, early: Early) -> tuple[OutboxItem, str | None] | None:
        """What `early` claimed, once its transaction committed, if nothing voided it (under the lane's
        lock); None: claim the lane again."""
        if self._open.get(early.lane) is not early or early.claimed is None:
            return None
        del self._open[early.lane]
        try:
            item, thread = early.claimed.value
        except LookupError:  # its transaction did not commit
            return None
        if item is None:  # the head was locked or leased elsewhere: ask again, as a delivery would
            return None
        return item, thread or None
