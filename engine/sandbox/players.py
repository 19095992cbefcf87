"""What the people of the emulated Discord do: post, DM the bot, run commands, fill in forms, press buttons.

Each action is one SimCord operation, run under the server's lock (SimCord drives one at a
time) and settled before it returns, so the answer holds the bot's reply. Discord's refusals
come back as `Refused` with plain words for the page.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from simcord import BackendError, ChannelHandle, InteractionResult, MemberActor, SetupError, UserHandle

from engine.bounded import BoundedMap
from engine.config.model import DM, Command
from engine.sandbox.guild import Person, Refused, SandboxGuild
from engine.sandbox.payloads import form_json, message_json, reply_json

T = TypeVar("T")

KEEP_FORMS = 100


@dataclass(slots=True)
class PendingForm:
    """A form the bot showed a player, waiting to be filled in."""

    person: str
    actor: MemberActor | UserHandle
    shown: InteractionResult
    form: dict[str, Any]


class Players:
    """The actions of the server's people; each returns what the page shows next."""

    def __init__(self, guild: SandboxGuild) -> None:
        self.guild = guild
        self._forms: BoundedMap[str, PendingForm] = BoundedMap(KEEP_FORMS)

    async def send(
        self, user: str, channel: str, text: str, files: Sequence[tuple[str, bytes]] = ()
    ) -> dict[str, Any]:
        """Post a message in a channel, or DM the bot when `channel` is 'dm'; `files` are attached."""
        person = self.guild.person(user)
        if not text.strip() and not files:
            raise Refused("Type a message or attach a file first.", 400)
        if channel == DM:
            dm, backend = person.user.dm_channel, self.guild.env.backend  # stored on the CDN, as Discord does
            message = await self._act(
                lambda: person.user.send_dm(text, attachments=backend.store_attachments(dm.id, files)), ""
            )
        else:
            handle = self.guild.channel(channel)
            refusal = f"post in #{channel}: {self.guild.who_may_send(channel)}"
            message = await self._act(lambda: person.member.send(handle, text, attachments=files), refusal)
        return message_json(message, self.guild.bot_id)

    def option_values(self, command: Command | None, given: Mapping[str, object]) -> dict[str, Any]:
        """Options typed on the page, as Discord would send them: numbers, yes/no, people, channels, roles."""
        types = {option.name: option.type for option in command.options} if command is not None else {}
        values: dict[str, Any] = {}
        for name, raw in given.items():
            text = str(raw).strip()
            if text == "":
                continue
            kind = types.get(name, "string")
            try:
                if kind == "integer":
                    values[name] = int(text)
                elif kind == "number":
                    values[name] = float(text)
                elif kind == "boolean":
                    values[name] = text.lower() in ("true", "yes", "1", "on")
                elif kind == "user":
                    values[name] = self.guild.person(text.lstrip("@")).member
                elif kind == "channel":
                    values[name] = self.guild.channel(text)
                elif kind == "role":
                    values[name] = self.guild.roles[text.lstrip("@")]
                else:
                    values[name] = text
            except (ValueError, KeyError) as exc:
                raise Refused(f"'{text}' is not a valid {kind} for the option '{name}'.", 400) from exc
        return values

    async def command(
        self, user: str, channel: str, name: str, options: Mapping[str, object]
    ) -> dict[str, Any]:
        """Run a slash command; the answer is the bot's reply, or a form to fill in."""
        person = self.guild.person(user)
        if channel == DM:
            actor: MemberActor | UserHandle = person.user
            result = await self._act(lambda: person.user.slash(name, **options), f"use /{name} in DMs")
        else:
            handle = self.guild.channel(channel)
            actor = person.member
            result = await self._act(
                lambda: person.member.slash(handle, name, **options), f"use /{name} here"
            )
        return self._answer(person, actor, result)

    async def submit(self, user: str, form_id: str, values: Mapping[str, object]) -> dict[str, Any]:
        """Fill in and send a form the bot showed this person."""
        person = self.guild.person(user)
        pending = self._forms.get(form_id)
        if pending is None or pending.person != person.name:
            raise Refused("That form is no longer open; run the command again.", 404)
        filled: dict[str, Any] = {}
        for field in pending.form["fields"]:
            if field["type"] == "file":  # (name, bytes) of each file picked
                given = values.get(field["name"])
                files = list(given)[: field["max_files"]] if isinstance(given, list) else []
                if not files and field["required"]:
                    raise Refused(f"Please attach a file to '{field['label']}'.", 400)
                if files:
                    filled[field["name"]] = files
                continue
            value = str(values.get(field["name"], "") or "").strip()
            if not value:
                if field["required"]:
                    raise Refused(f"Please fill in '{field['label']}'.", 400)
                continue
            if field["max_length"] and len(value) > field["max_length"]:
                raise Refused(f"'{field['label']}' is longer than {field['max_length']} characters.", 400)
            filled[field["name"]] = value
        del self._forms[form_id]
        result = await self._act(lambda: pending.actor.submit_modal(pending.shown, filled), "send this form")
        return self._answer(person, pending.actor, result)

    async def click(self, user: str, message_id: str, button: str) -> dict[str, Any]:
        """Press a button (by id or label) under a message this person can see."""
        person = self.guild.person(user)
        found = self._find_message(person, message_id)
        if found is None:
            raise Refused("That message is gone or not visible to this player.", 404)
        actor, message = found
        payload = message_json(message, self.guild.bot_id)
        match = next((b for b in payload["buttons"] if button in (b["id"], b["label"])), None)
        if match is None:
            raise Refused(f"That message has no button '{button}'.", 404)
        if match["url"]:
            raise Refused("That button is a link: open it in the browser.", 400)
        result = await self._act(lambda: actor.click(message, custom_id=match["id"]), "press this button")
        return self._answer(person, actor, result)

    def _find_message(self, person: Person, message_id: str) -> tuple[MemberActor | UserHandle, Any] | None:
        places: list[tuple[MemberActor | UserHandle, ChannelHandle]] = [(person.user, person.user.dm_channel)]
        places += [
            (person.member, handle)
            for name, handle in self.guild.channels.items()
            if self.guild.permissions(person, name).view_channel
        ]
        places += [  # case threads and forum posts
            (person.member, thread)
            for _, handle in list(places[1:])
            for thread in handle.threads
            if self.guild.can_view(person, f"thread:{thread.id}")
        ]
        for actor, handle in places:
            viewer = actor
            for message in handle.history(viewer=viewer):
                if str(message.id) == message_id:
                    return actor, message
        return None

    def _answer(
        self, person: Person, actor: MemberActor | UserHandle, result: InteractionResult
    ) -> dict[str, Any]:
        if result.modal is not None:
            form_id = secrets.token_urlsafe(8)
            form = form_json(form_id, result.modal)
            self._forms.put(form_id, PendingForm(person.name, actor, result, form))
            return {"form": form}
        return {"reply": reply_json(result, self.guild.bot_id)}

    async def _act(self, action: Callable[[], Awaitable[T]], what: str) -> T:
        """Run one SimCord operation under the lock and turn Discord's refusals into plain words."""
        async with self.guild.lock:
            try:
                return await action()
            except BackendError as exc:
                if exc.status == 403:
                    raise Refused(
                        f"Discord does not let this player {what.rstrip('.')}." if what else str(exc)
                    ) from exc
                raise Refused(f"Discord refused: {exc}", 400) from exc
            except SetupError as exc:
                raise Refused(_plain(str(exc), what), 400) from exc
            except TimeoutError as exc:
                raise Refused(
                    "The bot is taking long to answer; its reply will show up when it is done.", 504
                ) from exc
            finally:
                self.guild.log_bot_errors()


def _plain(message: str, what: str) -> str:
    """SimCord's refusal, said for a player: why it could not be done."""
    if "not visible to this user" in message:
        return f"That command is not available to this player here, so they cannot {what}."
    if "No application command named" in message:
        return "The bot has no such command (check the name, or reload the rules)."
    return message.split("\n")[0]
