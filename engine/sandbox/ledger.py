"""What the sandbox's Discord does that SimCord leaves out: `enforce_nonce`, receipts, answers lost.

Discord drops a message whose nonce it saw from the same sender in the last few minutes (when
the send asks for it with `enforce_nonce`) and answers with the message already made: that is
what keeps a retried send from showing twice. SimCord ignores nonces, so the sandbox wraps
SimCord's "create message" route for the servers it attaches a `MessageLedger` to:

- a send with a nonce seen within NONCE_WINDOW gets the earlier message back, nothing new;
- every message the bot creates can be written as one JSON line to a receipt file, on disk
  before the bot gets its answer, and the nonces of a receipt file are loaded at start: the
  emulated Discord remembers across a restart of the sandbox, as the real one would;
- several sandboxes (replicas of one bot, each with its own SimCord) may share one receipt file:
  each send takes the file's lock and first reads the lines the others added, so a nonce one
  replica used is refused to another, as Discord's REST API is one for all of a bot's sessions;
- `lose_answers(n)`: the next n messages are made, but the bot gets no answer (a timeout).

Other SimCord servers in the same process are not affected.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from simcord.backend import Backend
from simcord.enums import ChannelType
from simcord.http import router
from simcord.http._helpers import message_response, prepare_bot_message

log = logging.getLogger(__name__)

NONCE_WINDOW = timedelta(minutes=5)  # Discord: "checked for uniqueness in the past few minutes"
_CREATE = ["channels", "{channel_id}", "messages"]
_LEDGERS: weakref.WeakKeyDictionary[Backend, MessageLedger] = weakref.WeakKeyDictionary()

Handler = Callable[[router.RequestContext], Any]


@dataclass(frozen=True, slots=True)
class Seen:
    """A message made for a nonce: its id and when (Discord's clock)."""

    message_id: int
    at: datetime


class MessageLedger:
    """The nonces (and optionally receipts) of the messages the bot made on one emulated Discord."""

    def __init__(self, receipts: Path | None = None, *, enforce_nonce: bool = True) -> None:
        self.receipts = receipts
        self.enforce_nonce = enforce_nonce  # False: like SimCord, nonces are ignored
        self._seen: dict[str, Seen] = {}
        self._read = 0  # bytes of the receipt file already read into `_seen`
        self._lose = 0
        if receipts is not None and receipts.exists():
            self._catch_up(receipts)

    def _catch_up(self, receipts: Path) -> None:
        """Remember the nonces of the receipts written since the last look (by any process)."""
        with receipts.open("rb") as file:
            file.seek(self._read)
            added = file.read()
        complete = added[: added.rfind(b"\n") + 1]  # a line being written is left for the next look
        self._read += len(complete)
        for line in complete.decode("utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
                if entry.get("nonce"):
                    at = datetime.fromisoformat(entry["at"])
                    self._seen[str(entry["nonce"])] = Seen(int(entry["message"]), at)
            except (ValueError, KeyError, TypeError):  # a line cut short by a crash
                log.warning("%s has a line that is not a receipt; skipped", receipts)

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the receipt file's lock and know every nonce in it (other sandboxes may write it too)."""
        if self.receipts is None:
            yield
            return
        descriptor = os.open(self.receipts, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            with contextlib.suppress(ImportError):  # no fcntl (Windows): one sandbox per file
                import fcntl

                fcntl.flock(descriptor, fcntl.LOCK_EX)  # released when the descriptor closes
            self._catch_up(self.receipts)
            yield
        finally:
            os.close(descriptor)

    def attach(self, backend: Backend) -> None:
        """Serve this SimCord backend's message sends through the ledger."""
        _install()
        _LEDGERS[backend] = self

    def lose_answers(self, count: int) -> None:
        """Make the next `count` messages, but let the bot's request time out instead of answering."""
        self._lose += count

    def create(self, ctx: router.RequestContext, make: Handler) -> Any:
        """POST /channels/{id}/messages as Discord does it with `enforce_nonce` (inside `shared()`)."""
        body = ctx.body()
        asked = self.enforce_nonce and body.get("enforce_nonce")
        nonce = str(body["nonce"]) if body.get("nonce") and asked else None
        channel_id = ctx.int_arg("channel_id")
        now = ctx.backend.clock.now()
        seen = self._seen.get(nonce) if nonce is not None else None
        if seen is not None and now - seen.at <= NONCE_WINDOW:
            return _again(ctx, channel_id, seen.message_id)
        payload = make(ctx)
        if nonce is not None:
            self._seen[nonce] = Seen(int(payload["id"]), now)
        self._write(ctx.backend, channel_id, payload, nonce, now)
        if self._lose > 0:
            self._lose -= 1
            raise TimeoutError("the sandbox's Discord made the message and lost the answer")
        return payload

    def _write(
        self, backend: Backend, channel_id: int, payload: dict[str, Any], nonce: str | None, at: datetime
    ) -> None:
        if self.receipts is None:
            return
        channel = backend.channels.get(channel_id)
        recipients = channel.recipient_ids if channel is not None and channel.type == ChannelType.DM else []
        dm = bool(recipients)
        to = next((uid for uid in recipients if uid != backend.bot_user.id), None)
        line = {
            "message": str(payload["id"]),
            "channel": str(channel_id),
            "dm": dm,
            "to": str(to) if to is not None else None,
            "to_name": backend.users[to].name if to in backend.users else None,
            "nonce": nonce,
            "content": payload.get("content") or "",
            "embeds": [embed.get("title") or "" for embed in payload.get("embeds") or []],
            "at": at.isoformat(),
        }
        data = (json.dumps(line) + "\n").encode("utf-8")
        descriptor = os.open(self.receipts, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:  # one write of the whole line, on disk before the bot hears back
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _again(ctx: router.RequestContext, channel_id: int, message_id: int) -> Any:
    """The answer to a repeated nonce: the message made the first time (rebuilt if made before a restart)."""
    earlier = ctx.backend.messages.get(channel_id, {}).get(message_id)
    if earlier is None:
        prepared, _ = prepare_bot_message(ctx, channel_id)
        earlier = dataclasses.replace(prepared, id=message_id)
    return message_response(ctx, earlier)


def _install() -> None:
    """Put the ledger in front of SimCord's create-message route, once per process."""
    routes = router._ROUTES.get("POST", [])
    for index, (template, handler) in enumerate(routes):
        if template == _CREATE and not getattr(handler, "flexcord_ledger", False):
            routes[index] = (template, _through_ledger(handler))


def _through_ledger(make: Handler) -> Handler:
    def send_message(ctx: router.RequestContext) -> Any:
        ledger = _LEDGERS.get(ctx.backend)
        if ledger is None:
            return make(ctx)
        with ledger.shared():
            return ledger.create(ctx, make)

    send_message.flexcord_ledger = True  # type: ignore[attr-defined]
    return send_message
