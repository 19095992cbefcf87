"""One unit of work inside one store transaction: an event, a contact-center event, a delivery outcome.

A Turn holds the player's conversation and case, and collects what should be said and sent, in
order. Texts are rendered when the turn finishes, so a message written before `open_case` in a
rule can still name the case; then everything is written to the transcript and the outbox at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Literal

from engine.config.model import DM, CaseTemplate, Config, frozen_map, in_conversation
from engine.deliveries import (
    CaseThread,
    ChannelPost,
    CloseHandoff,
    Delivery,
    DirectMessage,
    EditPost,
    SendToAgent,
    StartHandoff,
    TransferChat,
)
from engine.events import Button, FormRequest, OutMessage
from engine.hours import describe_next_open, is_open
from engine.runtime.generation import Generation
from engine.runtime.wire import contact_lane, dm_lane, post_lane
from engine.store import CaseRecord, ConversationRecord, NewMessage, Writes

BOT_AUTHOR = "bot"
TRANSCRIPT_LINES = 50  # what an agent sees of the chat before the handoff
DEFAULT_FALLBACK = "Sorry, something went wrong."


def user_variables(user_id: str, name: str) -> dict[str, str]:
    return {"id": user_id, "name": name, "mention": f"<@{user_id}>"}


def case_variables(case: CaseRecord, status: str | None = None) -> dict[str, str]:
    """`case.*` for templates; `status` as the reader calls it (see Generation.status)."""
    shown = status or case.status
    return {"ref": case.ref, "title": case.title, "status": shown, "template": case.template}


def hours_variables(config: Config, now: datetime) -> dict[str, object]:
    """`hours.open` and `hours.next_open` for templates; always open when the config sets no hours."""
    if config.hours is None:
        return {"open": True, "next_open": "now"}
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return {"open": is_open(config.hours, now), "next_open": describe_next_open(config.hours, now)}


@dataclass(frozen=True, slots=True)
class Draft:
    """Something to say, rendered and written when the turn finishes."""

    to: Literal["player", "dm", "post", "edit"]
    target: str  # user id or channel name
    message: OutMessage  # text is a template source when `render` is true
    render: bool = True
    extra: Mapping[str, object] = field(default_factory=frozen_map)
    author: str = BOT_AUTHOR
    conversation_id: int | None = None  # whose transcript it belongs to (none for channel posts)
    tags: tuple[str, ...] = ()  # a forum post's tags (post and edit)
    closed: bool = False  # edit: the post is locked (its case is closed)


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """A call to the contact center for this player, written to the outbox when the turn finishes."""

    delivery: StartHandoff | SendToAgent | CloseHandoff | TransferChat
    key: str | None = None


class Turn:
    """The state one piece of work reads and changes, and what it will say and send."""

    def __init__(
        self,
        generation: Generation,
        tx: Writes,
        conversation: ConversationRecord,
        *,
        now: datetime,
        key: str,
        where: str = DM,
        by_reply: bool = False,
        variables: Mapping[str, object] | None = None,
        locale: str | None = None,
        mentions: Mapping[str, str] | None = None,
        waiting_start: bool = True,
        settle: Callable[[], str | None] | None = None,
    ) -> None:
        self.generation = generation
        self.config = generation.config
        self.tx = tx
        self.conversation = conversation
        self.now = now
        self.key = key
        self.where = where
        self._locale = locale
        self._settle = settle  # the player's language once asked for, when not known yet
        self.by_reply = by_reply  # answers go back as interaction replies instead of DMs
        self.base_variables: dict[str, object] = dict(variables or {})
        self.case: CaseRecord | None = None
        self.opened: CaseRecord | None = None  # the case opened by this turn, if any
        self.handoffs: list[str] = []  # queues this turn asked the contact center for
        self._inbound: NewMessage | None = None  # the player's line, written first when the turn ends
        self.replies: list[OutMessage] = []
        self.form: FormRequest | None = None
        self.lanes: list[str] = []  # outbox lanes this turn wrote to, in order
        self._drafts: list[Draft | ContactDraft | CaseThread] = []
        self._saved = conversation
        self._sequence = 0
        self._names = {**(mentions or {}), conversation.user_id: conversation.user_name}
        self._waiting_start = waiting_start  # False: known that no handoff of the player waits to start

    @property
    def locale(self) -> str | None:
        """The player's language: named messages are said in it (settled the first time it is read)."""
        if self._settle is not None:
            self._locale, self._settle = self._settle(), None
        return self._locale

    async def load_case(self) -> None:
        """Make the conversation's current case the one this turn talks about.

        The conversation is the player's DM with the bot: a command or form in a channel is not
        part of it, so it never lands in that case's transcript.
        """
        if self.conversation.case_ref is not None and in_conversation(self.where):
            self.case = await self.tx.get_case(self.conversation.case_ref)

    def update(self, **changes: Any) -> None:
        """Change the conversation; saved when the turn finishes."""
        self.conversation = dataclasses.replace(self.conversation, **changes, updated_at=self.now)

    def template_of(self, case: CaseRecord) -> CaseTemplate | None:
        return self.config.cases.get(case.template)

    # --- rendering ---------------------------------------------------------------------------

    def variables(self, extra: Mapping[str, object] = frozen_map()) -> dict[str, object]:
        values: dict[str, object] = {
            "user": user_variables(self.conversation.user_id, self.conversation.user_name),
            "channel": self.where,
            **self.base_variables,
            "hours": self.hours,
        }
        if self.case is not None:
            case = self.case
            values["case"] = case_variables(
                case, self.generation.status(case.template, case.status, self.locale)
            )
        if self.conversation.agent_name:
            values["agent"] = {"name": self.conversation.agent_name}
        values.update(extra)
        return values

    @cached_property
    def hours(self) -> dict[str, object]:
        return hours_variables(self.config, self.now)

    @cached_property
    def fallback(self) -> str:
        """What is said when a template cannot be rendered: the `fallback` message."""
        return self.generation.templates.render(
            self.generation.message("fallback", self.locale), {}, DEFAULT_FALLBACK
        )

    def render(
        self, source: str, extra: Mapping[str, object] = frozen_map(), *, fallback: str | None = None
    ) -> str:
        """Render a template; on error `fallback` (default: the `fallback` message), never an exception."""
        text = self.fallback if fallback is None else fallback
        return self.generation.templates.render(source, self.variables(extra), text)

    # --- what to say and send ----------------------------------------------------------------

    def say(
        self,
        message: str | None = None,
        *,
        text: str | None = None,
        extra: Mapping[str, object] = frozen_map(),
        buttons: tuple[Button, ...] = (),
    ) -> None:
        """Tell the player a named message (or a template `text`) where the event came from."""
        source = text if text is not None else self.generation.message(message or "fallback", self.locale)
        c = self.conversation
        self._drafts.append(
            Draft("player", c.user_id, OutMessage(source, buttons=buttons), True, extra, conversation_id=c.id)
        )

    def tell(
        self, message: OutMessage, *, author: str = BOT_AUTHOR, to: Literal["player", "dm"] = "player"
    ) -> None:
        """Give the player a ready message (a chatbot answer, an agent's words), not a template."""
        c = self.conversation
        self._drafts.append(Draft(to, c.user_id, message, False, frozen_map(), author, c.id))

    def dm(
        self,
        user_id: str,
        source: str,
        extra: Mapping[str, object] = frozen_map(),
        *,
        conversation_id: int | None = None,
    ) -> None:
        """Send a template as a direct message to `user_id` (the player or, e.g., a case's reporter)."""
        if user_id == self.conversation.user_id:
            conversation_id = self.conversation.id
        self._drafts.append(
            Draft("dm", user_id, OutMessage(source), True, extra, conversation_id=conversation_id)
        )

    def edit_post(
        self, channel: str, message: OutMessage, *, tags: tuple[str, ...] = (), closed: bool = False
    ) -> None:
        """Replace the case's post in `channel` with `message` (no transcript line: nothing new is said)."""
        self._drafts.append(Draft("edit", channel, message, render=False, tags=tags, closed=closed))

    def post(
        self, channel: str, message: OutMessage, *, render: bool = True, tags: tuple[str, ...] = ()
    ) -> None:
        self._drafts.append(Draft("post", channel, message, render, tags=tags))

    def place(self, action: Literal["open", "close", "reopen"], **where: Any) -> None:
        """Open, close or reopen the player's case thread, in order with what they are told."""
        self._drafts.append(CaseThread(self.conversation.user_id, action, **where))

    def contact(
        self, delivery: StartHandoff | SendToAgent | CloseHandoff | TransferChat, key: str | None = None
    ) -> None:
        """Queue a call to the contact center in this player's contact lane."""
        self._drafts.append(ContactDraft(delivery, key))

    # --- writing it all down -----------------------------------------------------------------

    def _used(self, lane: str) -> None:
        if lane not in self.lanes:
            self.lanes.append(lane)

    def _next_key(self) -> str:
        self._sequence += 1
        return f"{self.key}:{self._sequence}"

    def record_inbound(self, text: str, platform_id: str | None) -> None:
        """The player's line, for the transcript: written when the turn finishes, with the case the
        turn may attach it to (`attach_case`), before the turn's own lines."""
        c = self.conversation
        in_dm = in_conversation(self.where)  # the DM or case thread: channel commands are not part of it
        self._inbound = NewMessage(
            conversation_id=c.id if in_dm else None,
            case_ref=c.case_ref if in_dm else None,
            direction="in",
            author=c.user_name,
            text=self.readable(text),
            where=self.where,
            at=self.now,
            platform_id=platform_id,
        )

    def readable(self, text: str) -> str:
        """A transcript line as people read it: mentions of the player and of the users their
        message named as @name, not <@id>."""
        if "<@" not in text:
            return text
        for user_id, name in self._names.items():
            for mention in (f"<@{user_id}>", f"<@!{user_id}>"):
                text = text.replace(mention, f"@{name}")
        return text

    async def attach_case(self, case: CaseRecord) -> None:
        """The turn is about `case` from now on: its messages, the inbound one too, join its transcript."""
        self.case = case
        if self._inbound is not None:
            self._inbound = dataclasses.replace(self._inbound, case_ref=case.ref)

    async def finish(self) -> None:
        """Render what was said, write it to the transcript and outbox, save the conversation."""
        if self._inbound is not None:  # first: the transcript reads in the order things were said
            await self.tx.add_line(self._inbound)
            self._inbound = None
        if self.conversation != self._saved:
            await self.tx.save_conversation(self.conversation)
        case_ref = self.case.ref if self.case is not None else None
        for draft in self._drafts:
            if isinstance(draft, ContactDraft):
                await self._write_contact(draft, case_ref)
            elif isinstance(draft, CaseThread):
                lane = dm_lane(self.conversation.user_id)
                await self.tx.queue(
                    lane=lane, delivery=draft, key=self._next_key(), at=self.now, case_ref=case_ref
                )
                self._used(lane)
            else:
                await self._write(draft, case_ref)
        await self._refresh_waiting_handoff()

    async def _refresh_waiting_handoff(self) -> None:
        """A handoff still waiting to start carries the transcript as it is now, for the agent."""
        drafts = self._drafts
        starts = any(isinstance(d, ContactDraft) and isinstance(d.delivery, StartHandoff) for d in drafts)
        if not (self._waiting_start or starts):
            return
        c = self.conversation
        for item in await self.tx.pending_of_kind(contact_lane(c.user_id), "start_handoff"):
            if not isinstance(item.delivery, StartHandoff):
                continue
            lines = await self.tx.recent_messages(c.id, TRANSCRIPT_LINES)
            request = dataclasses.replace(
                item.delivery.request,
                user_name=c.user_name,
                transcript=tuple((line.author, line.text) for line in lines),
                transcript_at=tuple(line.at for line in lines),
            )
            await self.tx.set_delivery(item.id, dataclasses.replace(item.delivery, request=request))

    async def _write_contact(self, draft: ContactDraft, case_ref: str | None) -> None:
        lane = contact_lane(self.conversation.user_id)
        await self.tx.queue(
            lane=lane,
            delivery=draft.delivery,
            key=draft.key or self._next_key(),
            at=self.now,
            case_ref=case_ref,
        )
        self._used(lane)

    async def _write_edit(self, draft: Draft, case_ref: str | None) -> None:
        """Edit the case's post; if the post is still waiting in the lane, its id comes once it is sent."""
        channel = draft.target
        lines = await self.tx.case_transcript(case_ref) if case_ref is not None else []
        posted = [
            m.platform_id for m in lines if m.direction == "out" and m.where == channel and m.platform_id
        ]
        lane = post_lane(channel)
        first = posted[0] if posted else None
        delivery = EditPost(channel, draft.message, first, draft.tags, draft.closed)
        await self.tx.queue(
            lane=lane, delivery=delivery, key=self._next_key(), at=self.now, case_ref=case_ref
        )
        self._used(lane)

    async def _write(self, draft: Draft, case_ref: str | None) -> None:
        message = draft.message
        if draft.to == "edit":
            await self._write_edit(draft, case_ref)
            return
        if draft.render:
            message = dataclasses.replace(message, text=self.render(message.text, draft.extra))
        key = self._next_key()
        message = dataclasses.replace(message, key=key)
        where = draft.target if draft.to == "post" else (self.where if draft.to == "player" else DM)
        transcript_text = "\n".join([message.text, *(embed.title for embed in message.embeds)]).strip()
        transcript_text = self.readable(transcript_text)
        line = NewMessage(
            conversation_id=draft.conversation_id if in_conversation(where) else None,
            case_ref=case_ref,
            direction="out",
            author=draft.author,
            text=transcript_text,
            where=where,
            at=self.now,
        )
        if draft.to == "player" and self.by_reply:
            await self.tx.add_line(line)
            self.replies.append(message)
            return
        delivery: Delivery
        if draft.to == "post":
            lane, delivery = post_lane(draft.target), ChannelPost(draft.target, message, draft.tags)
        else:
            lane, delivery = dm_lane(draft.target), DirectMessage(draft.target, message)
        await self.tx.say(line, lane=lane, delivery=delivery, key=key, case_ref=case_ref)
        self._used(lane)
