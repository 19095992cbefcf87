"""Where a player's conversation lives: their DMs (the default) or a private case thread.

A case template or queue with `conversation: thread` moves the conversation into a private thread
in `discord.threads.channel` (the player and the staff role are added). Everything the bot and the
agent say to the player then goes there, in order with what was said before: the moves are items
of the player's DM lane. Closing the case archives and locks the thread; the player writing again
within `reopen_within` reopens the case there, later a new case starts in the DMs.

The thread a player is in is kept in the store's settings (`thread:<player>`), written when the
thread is made, so the record of which thread belongs to whom survives restarts.
"""

from __future__ import annotations

from datetime import timedelta

from engine.config.model import ConversationPlace
from engine.runtime.turn import Turn
from engine.store import CaseRecord, Reads, Writes

CLOSED = "closed"
REOPENED = "reopened by the player"


def thread_key(user_id: str) -> str:
    """The setting naming the thread a player's conversation is in ('' or absent: their DMs)."""
    return f"thread:{user_id}"


def player_key(thread_id: str) -> str:
    """The setting naming the player a case thread belongs to."""
    return f"thread-player:{thread_id}"


async def thread_of(view: Reads, user_id: str) -> str | None:
    """The id of the case thread the player's conversation is in, if it is in one."""
    return await view.get_setting(thread_key(user_id)) or None


async def moved_to(tx: Writes, user_id: str, thread_id: str) -> None:
    """Record that the player's conversation now goes on in `thread_id`."""
    await tx.put_setting(thread_key(user_id), thread_id)
    await tx.put_setting(player_key(thread_id), user_id)


def thread_name(case: CaseRecord) -> str:
    """A case thread is named after its case: the reference first, so `/case` can read it there."""
    return f"{case.ref} · {case.title}"[:100]


async def follow_case(turn: Turn, case: CaseRecord, wanted: ConversationPlace) -> None:
    """Move the conversation into a case thread when the case (or its queue) wants one."""
    settings = turn.config.discord.threads
    if wanted != "thread" or settings is None or await thread_of(turn.tx, turn.conversation.user_id):
        return
    turn.place("open", channel=settings.channel, staff=settings.staff, name=thread_name(case))


async def closed(turn: Turn) -> None:
    """The case closed: its thread is archived and locked once the last words are delivered."""
    if await thread_of(turn.tx, turn.conversation.user_id):
        turn.place("close")


async def reopen(turn: Turn) -> CaseRecord | None:
    """The player writes again after a closed chat: within `reopen_within` the case reopens in its thread.

    Returns the reopened case; None when it is too late (or there is no thread), and the caller
    starts afresh with the bot, in the DMs.
    """
    settings = turn.config.discord.threads
    case = turn.case
    thread = await thread_of(turn.tx, turn.conversation.user_id)
    if thread is None:
        return None
    window = timedelta(seconds=settings.reopen_within_seconds if settings is not None else 0)
    if case is None or case.status != CLOSED or turn.now - case.updated_at > window:
        await turn.tx.put_setting(thread_key(turn.conversation.user_id), "")
        return None
    template = turn.template_of(case)
    first = template.statuses[0] if template is not None and template.statuses else "open"
    await turn.tx.change_case(case.ref, first, who=turn.conversation.user_name, note=REOPENED, at=turn.now)
    turn.case = await turn.tx.get_case(case.ref)
    turn.update(state="bot", awaiting_rating=False, agent_name=None, queue=None)
    turn.place("reopen")
    turn.say("case_reopened")
    return turn.case
