"""What an agent does from the case page: read a case, change its status or add a note, transfer the chat.

Each change is one transaction under the player's lock, like any event, and what it says is
delivered through the outbox. Returns a problem in plain words, or None when it was done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from engine.runtime import cases, transfers
from engine.runtime.turn import Turn
from engine.store import AttachmentRecord, CaseEvent, CaseRecord, ConversationRecord, MessageRecord

if TYPE_CHECKING:
    from engine.runtime.runtime import Runtime

OTHER_CASES = 20
_Change = Callable[[Turn], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class CaseView:
    """Everything the case page shows."""

    case: CaseRecord
    statuses: tuple[str, ...]
    history: tuple[CaseEvent, ...]
    transcript: tuple[MessageRecord, ...]
    others: tuple[CaseRecord, ...]
    conversation: ConversationRecord | None
    queues: tuple[str, ...]
    files: tuple[AttachmentRecord, ...] = ()  # kept with the case, the player's and the agents'


class AgentDesk:
    """The case page's entry points into the runtime."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def view(self, ref: str) -> CaseView | None:
        store = self.runtime.store
        async with store.view() as view:
            case = await view.get_case(ref)
            if case is None:
                return None
            history = await view.case_history(ref)
            transcript = await view.case_transcript(ref)
            theirs = await view.list_cases(reporter=case.reporter_id)
            conversation = await view.conversation(case.reporter_id)
            files = await view.case_attachments(ref)
        others = [c for c in theirs if c.ref != ref]
        config = self.runtime.config
        template = config.cases.get(case.template)
        return CaseView(
            case=case,
            statuses=template.statuses if template is not None else (case.status,),
            history=tuple(history),
            transcript=tuple(transcript),
            others=tuple(others[-OTHER_CASES:]),
            conversation=conversation,
            queues=tuple(config.queues),
            files=tuple(files),
        )

    async def file(self, ref: str, file_id: int) -> tuple[AttachmentRecord, bytes] | None:
        """A file kept with case `ref` (None when it is not that case's, or erased)."""
        async with self.runtime.store.view() as view:
            found = await view.get_attachment(file_id)
        return found if found is not None and found[0].case_ref == ref else None

    async def update(self, ref: str, status: str, note: str, who: str) -> str | None:
        """Change the case's status and/or add a note; the player hears when the template says so."""
        found = await self._find(ref)
        if isinstance(found, str):
            return found
        case, _ = found
        template = self.runtime.config.cases.get(case.template)
        statuses = template.statuses if template is not None else (case.status,)
        if status and status not in statuses:
            return f"'{status}' is not a status of this case; use one of: {', '.join(statuses)}"
        if (not status or status == case.status) and not note:
            return "nothing to change: pick another status or write a note"
        return await self._in_turn(case, "status", lambda turn: cases.change(turn, case, status, note, who))

    async def transfer(
        self, ref: str, queue: str, reason: str, who: str, to_agent: str | None = None
    ) -> str | None:
        """Move the chat of the case's player to `queue` (to one of its agents, if named)."""
        found = await self._find(ref)
        if isinstance(found, str):
            return found
        case, conversation = found
        if queue not in self.runtime.config.queues:
            return f"there is no queue '{queue}'; use one of: {', '.join(self.runtime.config.queues)}"
        problem = transfers.can_transfer(conversation)
        if problem is None and conversation is not None and conversation.case_ref != case.ref:
            problem = "the player's chat is about another case"
        if problem is not None:
            return problem
        return await self._in_turn(
            case, "transfer", lambda turn: transfers.transfer(turn, queue, reason, who, to_agent=to_agent)
        )

    async def _find(self, ref: str) -> tuple[CaseRecord, ConversationRecord | None] | str:
        async with self.runtime.store.view() as view:
            case = await view.get_case(ref)
            conversation = await view.conversation(case.reporter_id) if case is not None else None
        return (case, conversation) if case is not None else f"there is no case {ref}"

    async def _in_turn(self, case: CaseRecord, what: str, change: _Change) -> str | None:
        runtime = self.runtime
        now: datetime = runtime.clock()
        async with runtime.players.hold(case.reporter_id):
            async with runtime.store.transaction() as tx:
                conversation = await tx.conversation(case.reporter_id)
                if conversation is None:
                    conversation = await tx.open_conversation(case.reporter_id, case.reporter_name, now)
                key = f"desk:{case.ref}:{what}:{now.isoformat()}"
                turn = Turn(runtime.generation, tx, conversation, now=now, key=key)
                turn.case = case
                await change(turn)
                await turn.finish()
            await runtime.outbox.deliver(turn.lanes)
        return None
