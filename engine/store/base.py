"""One-call reads and writes, each its own transaction, for any store that has `view` and `transaction`."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime

from engine.store.port import Reads, Writes
from engine.store.records import (
    AttachmentRecord,
    CaseEvent,
    CaseRecord,
    ConversationRecord,
    MessageRecord,
    OutboxItem,
    PlayerState,
)


class OneCalls:
    """Mixed into a store: `view()` and `transaction()` come from the implementation."""

    def view(self) -> AbstractAsyncContextManager[Reads]:
        raise NotImplementedError

    def transaction(self, *, background: bool = False) -> AbstractAsyncContextManager[Writes]:
        raise NotImplementedError

    def _one_read(self) -> AbstractAsyncContextManager[Reads]:
        """Where the one-call reads below run: a view, unless the store has a cheaper way to run a
        single read (PostgreSQL: one statement is its own snapshot, no BEGIN or COMMIT to send)."""
        return self.view()

    async def get_case(self, ref: str) -> CaseRecord | None:
        async with self._one_read() as v:
            return await v.get_case(ref)

    async def list_cases(
        self,
        *,
        status: str | None = None,
        template: str | None = None,
        reporter: str | None = None,
        limit: int | None = None,
        after: CaseRecord | None = None,
    ) -> list[CaseRecord]:
        async with self._one_read() as v:
            return await v.list_cases(
                status=status, template=template, reporter=reporter, limit=limit, after=after
            )

    async def case_history(self, ref: str) -> list[CaseEvent]:
        async with self._one_read() as v:
            return await v.case_history(ref)

    async def case_transcript(self, ref: str) -> list[MessageRecord]:
        async with self._one_read() as v:
            return await v.case_transcript(ref)

    async def case_attachments(self, ref: str) -> list[AttachmentRecord]:
        async with self._one_read() as v:
            return await v.case_attachments(ref)

    async def case_outbox(self, ref: str) -> list[OutboxItem]:
        async with self._one_read() as v:
            return await v.case_outbox(ref)

    async def dm_watermarks(self, limit: int) -> dict[str, int]:
        async with self._one_read() as v:
            return await v.dm_watermarks(limit)

    async def lane_outbox(self, lane: str) -> list[OutboxItem]:
        async with self._one_read() as v:
            return await v.lane_outbox(lane)

    async def conversation(self, user_id: str) -> ConversationRecord | None:
        async with self._one_read() as v:
            return await v.conversation(user_id)

    async def player_state(
        self, user_id: str, *, event_id: str, setting: str, lane: str, kind: str
    ) -> PlayerState:
        async with self._one_read() as v:
            return await v.player_state(user_id, event_id=event_id, setting=setting, lane=lane, kind=kind)

    async def is_processed(self, event_id: str) -> bool:
        async with self._one_read() as v:
            return await v.is_processed(event_id)

    async def get_setting(self, key: str) -> str | None:
        async with self._one_read() as v:
            return await v.get_setting(key)

    async def put_setting(self, key: str, value: str) -> None:
        async with self.transaction() as tx:
            await tx.put_setting(key, value)

    async def mark_seen(self, namespace: str, key: str, at: datetime) -> bool:
        """Remember `key` (e.g. a feed entry id); False when it was already seen."""
        async with self.transaction() as tx:
            return await tx.mark_seen(namespace, key, at)
