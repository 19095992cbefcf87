"""The contact-center port on Twilio Flex Conversations: a conversation per handoff, routed by an Interaction.

start_handoff creates (or resumes) the player's conversation, adds the player, a scoped webhook
back to flexcord and the transcript so far, then creates the Interaction whose task carries the
case ref, queue, priority and case fields so Flex routes by skill. The interaction and channel
sids are written into the conversation's attributes, so `close` works after a restart.

Idempotency of `send`: Twilio has no idempotency key, so flexcord looks before it re-sends.
The first send to a conversation in this process reads its recent messages and remembers the
keys already there (this covers an outbox replay after a crash); a send whose outcome was
unknown (timeout, 5xx, broken connection) marks its key, and the next attempt with that key
checks the recent messages again. With several replicas another one may have sent a key and
died before recording it: the outbox resends it only after that replica's claim lapsed, so
keys known for longer than KNOWN_FOR (shorter than the claim) are read again first.
Steady-state sends cost exactly one request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from twilio.rest import Client

from engine.agentdesk.links import case_link
from engine.attachments import Upload
from engine.bounded import BoundedMap
from engine.config.model import FlexSettings
from engine.flex.errors import as_delivery_error, is_transport_failure, status_of
from engine.flex.identity import identity_for
from engine.flex.interactions import follow_channel, invite, original_attributes
from engine.flex.media import FlexFiles
from engine.flex.transport import TwilioTransport
from engine.flex.webhook_events import CONVERSATION_EVENTS, load_attributes
from engine.ports import DeliveryError, HandoffRequest, HandoffTicket, Transfer

log = logging.getLogger(__name__)

T = TypeVar("T")

WEBHOOK_PATH = "/twilio/conversations"
WEBHOOK_FILTERS = CONVERSATION_EVENTS  # the conversation webhook flexcord adds asks for what it handles
MARK = "flexcord"  # attributes["source"] of everything flexcord creates
RECENT = 50  # messages read back to find an already-delivered key
KNOWN_FOR = 20.0  # seconds what was read of a conversation is trusted: under the outbox's claim lease
KEEP_CLOSED = 50  # closed conversations kept per player; older ones are deleted (Twilio caps at 1,000)
REMEMBERED_KEYS = 10_000
CONVERSATIONS = 10_000  # conversations whose details are kept in memory
TIMERS_INACTIVE = "PT12H"  # Conversations' state timers: a conversation left alone goes inactive,
TIMERS_CLOSED = "P2D"  # then closed, even when nobody (agent or flexcord) closes it


PLAYER_AUTHORS = frozenset({"player", "user", "customer"})
MAX_BODY = 1600  # Twilio's limit for a message body, in characters


class TwilioContactCenter:
    """engine.ports.ContactCenter on Twilio: Conversations API + Interactions API, async only."""

    def __init__(
        self,
        flex: FlexSettings,
        public_url: str,
        *,
        base_url: str | None = None,
        client: Client | None = None,
        timeout: float = 10.0,
        keep_closed: int = KEEP_CLOSED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock  # seconds, for how long what was read of a conversation is trusted
        if client is None:
            if not flex.account_sid or not flex.auth_token:
                raise ValueError(
                    "flex.account_sid and flex.auth_token are not set in flexcord.yaml: set them "
                    "(usually through TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN) to reach Flex"
                )
            self._transport: TwilioTransport | None = TwilioTransport(timeout)
            client = Client(flex.account_sid, flex.auth_token, http_client=self._transport)
        else:
            self._transport = None
        if base_url:
            client.conversations.base_url = base_url
            client.flex_api.base_url = base_url
        # the emulator serves the Media Content Service too, at base_url
        self.files = FlexFiles(flex, base_url, client.conversations.v1.conversations)
        self.client = client
        self.flex = flex
        self.public_url = public_url
        self.webhook_url = public_url.rstrip("/") + WEBHOOK_PATH
        self.keep_closed = keep_closed
        # What is remembered here is also in Twilio, so each cache is bounded: a forgotten entry is
        # read again when needed (conversations an agent closed never pass through close()).
        # conversation sid -> (interaction sid, interaction channel sid)
        self._channels: BoundedMap[str, tuple[str, str]] = BoundedMap(CONVERSATIONS)
        self._delivered: BoundedMap[str, None] = BoundedMap(REMEMBERED_KEYS)  # keys known to be in Twilio
        self._checked: BoundedMap[str, float] = BoundedMap(CONVERSATIONS)  # conversation -> keys known since
        self._uncertain: BoundedMap[str, None] = BoundedMap(REMEMBERED_KEYS)  # keys sent with no answer

    @property
    def _conversations(self) -> Any:
        return self.client.conversations.v1.conversations

    async def aclose(self) -> None:
        """Release the HTTP connections this contact center opened."""
        if self._transport is not None:
            await self._transport.close()
        await self.files.close()

    # --- start ---------------------------------------------------------------------------

    async def start_handoff(self, request: HandoffRequest) -> HandoffTicket:
        """Open (or resume) the player's conversation and create the Flex interaction routing it."""
        identity = identity_for(request.user_id)
        current = await self._call("looking up the player's conversations", self._tidy, identity, request)
        if current is not None and "interaction_sid" in current[1]:
            sid, attributes = current
            self._channels.put(sid, (attributes["interaction_sid"], attributes["interaction_channel_sid"]))
            return HandoffTicket(conversation_sid=sid, interaction_sid=attributes["interaction_sid"])
        fresh = current is None
        if current is None:
            attributes = self._attributes(request)
            conversation = await self._call(
                "creating the conversation",
                self._conversations.create_async,
                friendly_name=f"{request.case_ref} {request.queue}",
                attributes=json.dumps(attributes),
                timers_inactive=TIMERS_INACTIVE,  # nothing is left open when nobody closes it
                timers_closed=TIMERS_CLOSED,
            )
            sid = str(conversation.sid)
            self._checked.put(sid, self.clock())  # a new conversation holds none of the player's keys yet
        else:
            sid, attributes = current
        await self._call("adding the player", self._prepare, sid, identity, request, fresh)
        interaction = await self._call(
            "creating the Flex interaction",
            self.client.flex_api.v1.interaction.create_async,
            channel={"type": "chat", "initiated_by": "customer", "properties": {"media_channel_sid": sid}},
            routing={"properties": self._routing(request, sid)},
        )
        channel_sid = str((interaction.channel or {}).get("sid", ""))
        status = await self._call(
            "following the interaction channel", follow_channel, self.client, interaction.sid, channel_sid
        )
        if status != "active":  # not recorded: the outbox's next attempt creates a new interaction
            raise DeliveryError(f"the Flex interaction channel is {status}")
        self._channels.put(sid, (interaction.sid, channel_sid))
        attributes |= {"interaction_sid": interaction.sid, "interaction_channel_sid": channel_sid}
        await self._call(
            "recording the interaction",
            self._conversations(sid).update_async,
            attributes=json.dumps(attributes),
        )
        return HandoffTicket(conversation_sid=sid, interaction_sid=interaction.sid)

    def _attributes(self, request: HandoffRequest) -> dict[str, Any]:
        return {
            "source": MARK,
            "case": request.case_ref,
            "discord_user": request.user_id,
            "user_name": request.user_name,
            "queue": request.queue,
        }

    def _routing(self, request: HandoffRequest, conversation: str) -> dict[str, Any]:
        task = {
            **{str(k): str(v) for k, v in request.case_fields.items()},
            "case": request.case_ref,
            "queue": request.queue,
            "priority": request.priority,
            "skills": list(request.skills),
            "discord_user": request.user_id,
            "customerName": request.user_name,
            "customerAddress": identity_for(request.user_id),
            "conversationSid": conversation,
            "channelType": "chat",
            "case_url": case_link(self.public_url, self.flex.auth_token or "", request.case_ref, time.time()),
            **({"language": request.language} if request.language else {}),
        }
        return {
            "workspace_sid": self.flex.workspace_sid,
            "workflow_sid": self.flex.workflow_sid,
            "task_channel_unique_name": self.flex.task_channel,
            "priority": request.priority,
            "attributes": task,
        }

    async def _tidy(self, identity: str, request: HandoffRequest) -> tuple[str, dict[str, Any]] | None:
        """Find the player's open conversation for this case; close stale ones; trim closed ones."""
        listing = self.client.conversations.v1.participant_conversations
        found = await listing.list_async(identity=identity, page_size=50)
        keep: tuple[str, dict[str, Any]] | None = None
        closed: list[tuple[str, str]] = []
        for item in found:
            sid = str(item.conversation_sid)
            if item.conversation_state == "closed":
                closed.append((str(item.conversation_date_created or ""), sid))
                continue
            attributes = load_attributes(item.conversation_attributes)
            if attributes.get("source") != MARK:
                continue
            if keep is None and attributes.get("case") == request.case_ref:
                keep = (sid, attributes)
            else:
                await self._close(sid, attributes)
                closed.append(("~", sid))
        closed.sort()
        for _, sid in closed[: max(0, len(closed) - self.keep_closed)]:
            try:
                await self._conversations(sid).delete_async()
            except Exception as exc:  # trimming old history must never block a handoff
                log.warning("could not delete closed conversation %s: %s", sid, exc)
        return keep

    async def _prepare(self, sid: str, identity: str, request: HandoffRequest, fresh: bool) -> None:
        """Add what a new conversation needs; on a resumed one, only what is still missing."""
        conversation = self._conversations(sid)
        if fresh or not any(p.identity == identity for p in await conversation.participants.list_async()):
            await conversation.participants.create_async(identity=identity)
        hooks = [] if fresh else await conversation.webhooks.list_async()
        if not any((h.configuration or {}).get("url") == self.webhook_url for h in hooks):
            await conversation.webhooks.create_async(
                target="webhook",
                configuration_url=self.webhook_url,
                configuration_method="post",
                configuration_filters=list(WEBHOOK_FILTERS),
            )
        posted: Counter[str] = Counter()
        if not fresh:  # lines already there (a retry's transcript may have grown or slid: match by content)
            for message in await conversation.messages.list_async(page_size=50):
                line = load_attributes(message.attributes).get("transcript")
                if isinstance(line, str):
                    posted[line] += 1
        player = {request.user_name, request.user_id, *PLAYER_AUTHORS}
        times = request.transcript_at
        for index, (author, text) in enumerate(request.transcript):
            line = hashlib.sha1(f"{author}\n{text}".encode()).hexdigest()[:16]
            if posted[line] > 0:
                posted[line] -= 1
                continue
            if not text:
                continue
            await conversation.messages.create_async(
                author=identity if author in player else (author or "bot"),
                body=text if len(text) <= MAX_BODY else text[: MAX_BODY - 1] + "…",
                attributes=json.dumps({"source": MARK, "transcript": line, "case": request.case_ref}),
                **({"date_created": times[index]} if index < len(times) else {}),  # said then, not now
            )

    # --- send ----------------------------------------------------------------------------

    async def send(self, conversation_sid: str, user_id: str, text: str, key: str) -> None:
        """Post the player's message in the conversation, once per key (split past 1,600 characters)."""
        await self._post(conversation_sid, identity_for(user_id), text, key, {"discord_message_id": key})

    async def notify(self, conversation_sid: str, text: str, key: str) -> None:
        """Post flexcord's own notice for the agent (author `flexcord`), once per key."""
        await self._post(conversation_sid, MARK, text, key, {"source": MARK, "notice": True})

    async def _post(
        self, conversation_sid: str, author: str, text: str, key: str, extra: dict[str, Any]
    ) -> None:
        parts = [text[i : i + MAX_BODY] for i in range(0, len(text), MAX_BODY)] or [text]
        for number, part in enumerate(parts):
            part_key = key if number == 0 else f"{key}#{number + 1}"
            await self._send_part(conversation_sid, author, part_key, extra, body=part)

    async def send_file(self, conversation_sid: str, user_id: str, file: Upload, key: str) -> None:
        """Post one of the player's files as its own media message (one file a message), once per key."""
        sid = await self._call("uploading the player's file", self.files.upload, conversation_sid, file)
        extra = {"discord_message_id": key, "filename": file.name}
        await self._send_part(conversation_sid, identity_for(user_id), key, extra, media_sid=sid)

    async def fetch_file(self, conversation_sid: str, media_sid: str) -> Upload:
        """A file an agent sent in the conversation, from the Media Content Service."""
        return await self._call("fetching the agent's file", self.files.download, conversation_sid, media_sid)

    async def _send_part(
        self, conversation_sid: str, author: str, key: str, extra: dict[str, Any], **content: str
    ) -> None:
        known = self._checked.get(conversation_sid)
        if known is None or self.clock() - known >= KNOWN_FOR or key in self._uncertain:
            await self._call("reading recent messages", self._learn_keys, conversation_sid)
        if key in self._delivered:
            self._uncertain.pop(key, None)
            return
        messages = self._conversations(conversation_sid).messages
        try:
            await messages.create_async(
                author=author,
                attributes=json.dumps({**extra, "key": key}),
                x_twilio_webhook_enabled="true",
                **content,
            )
        except Exception as exc:
            if is_transport_failure(exc) or (status_of(exc) or 0) >= 500:
                self._uncertain.put(key, None)
            raise as_delivery_error(exc, "sending the player's message") from exc
        self._uncertain.pop(key, None)
        self._remember(key)
        self._checked.put(conversation_sid, self.clock())  # the lane was this replica's: still known

    async def _learn_keys(self, conversation_sid: str) -> None:
        recent = await self._conversations(conversation_sid).messages.list_async(order="desc", limit=RECENT)
        for message in recent:
            key = load_attributes(message.attributes).get("key")
            if isinstance(key, str):
                self._remember(key)
        self._checked.put(conversation_sid, self.clock())

    def _remember(self, key: str) -> None:
        self._delivered.put(key, None)

    # --- transfer ------------------------------------------------------------------------

    async def transfer(self, handoff: str, transfer: Transfer) -> None:
        """Invite another queue (or agent) to the interaction's channel, with the first task's attributes."""
        await self._call("transferring the conversation", self._transfer, handoff, transfer)

    async def _transfer(self, handoff: str, transfer: Transfer) -> None:
        channel = self._channels.get(handoff)
        if channel is None:
            attributes = load_attributes((await self._conversations(handoff).fetch_async()).attributes)
            if "interaction_sid" not in attributes:
                raise DeliveryError("the conversation has no Flex interaction to transfer", permanent=True)
            channel = (attributes["interaction_sid"], attributes["interaction_channel_sid"])
        interaction, channel_sid = channel
        task = await original_attributes(self.client, interaction)
        task |= {
            "queue": transfer.queue,
            "skills": list(transfer.skills),
            "transferReason": transfer.reason,
            "transfer": {
                "from": task.get("queue"),
                "to": transfer.queue,
                "by": transfer.by,
                "back": transfer.back,
            },
        }
        routing: dict[str, Any] = {
            "workspace_sid": self.flex.workspace_sid,
            "workflow_sid": self.flex.workflow_sid,
            "task_channel_unique_name": self.flex.task_channel,
        }
        if transfer.agent:
            task["targetWorker"] = transfer.agent
        await invite(self.client, interaction, channel_sid, routing, task)

    # --- close ---------------------------------------------------------------------------

    async def close(self, conversation_sid: str) -> None:
        """Close the interaction channel (ending the task) and the conversation."""
        await self._call("closing the conversation", self._close, conversation_sid, None)

    async def _close(self, sid: str, attributes: dict[str, Any] | None) -> None:
        channel = self._channels.pop(sid, None)
        if channel is None:
            if attributes is None:
                try:
                    conversation = await self._conversations(sid).fetch_async()
                except Exception as exc:
                    if status_of(exc) == 404:
                        return
                    raise
                if conversation.state == "closed":
                    return
                attributes = load_attributes(conversation.attributes)
            if "interaction_sid" in attributes:
                channel = (attributes["interaction_sid"], attributes["interaction_channel_sid"])
        if channel is not None:
            interaction, channel_sid = channel
            try:
                await (
                    self.client.flex_api.v1.interaction(interaction)
                    .channels(channel_sid)
                    .update_async(status="closed", routing={"status": "closed"})
                )
            except Exception as exc:
                if status_of(exc) not in (400, 404, 409):
                    raise
                log.info("interaction %s was already closed: %s", interaction, exc)
        try:
            await self._conversations(sid).update_async(state="closed")
        except Exception as exc:
            if status_of(exc) not in (400, 404, 409):
                raise

    async def _call(self, action: str, step: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        try:
            return await step(*args, **kwargs)
        except DeliveryError:
            raise
        except Exception as exc:
            raise as_delivery_error(exc, action) from exc
