"""Names that must be declared, limits across files, templates and texts: one pass over the document."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from engine import templates
from engine.config.checks.forms import form_field_problems
from engine.config.checks.hours import hours_problems
from engine.config.checks.templates import DISCORD_MESSAGE_LIMIT, Scope, text_problems
from engine.config.diagnostics import Diagnostic, Severity, did_you_mean
from engine.config.loader import ENTRY_NOUNS
from engine.config.messages import DEFAULT_MESSAGES
from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList, mark_of

__all__ = ["DISCORD_MESSAGE_LIMIT", "MAX_COMMANDS", "NameChecks"]

MAX_COMMANDS = 100
T = TypeVar("T")
_SECTION_WORDS = {**ENTRY_NOUNS, "roles": "role"}


def _section(doc: Mapping[str, object], key: str, kind: type[T]) -> T:
    value = doc.get(key)
    return value if isinstance(value, kind) else kind()


def _diag(mark: Mark, message: str, hint: str | None = None, severity: Severity = "error") -> Diagnostic:
    return Diagnostic(mark.file, mark.line, mark.col, severity, message, hint)


def _names(value: object) -> list[str]:
    """A name or a list of names, as written."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _name_marks(node: Any, key: str) -> Iterator[tuple[str, Mark]]:
    """Each name under `node[key]` (one name or a list), with where it was written."""
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, str):
        yield value, mark_of(node, key) or node.mark
    elif isinstance(value, MarkedList):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield item, mark_of(value, index) or value.mark


class NameChecks:
    """One pass over one document, collecting problems."""

    def __init__(
        self, doc: MarkedDict, skip: frozenset[Mark], skip_sections: frozenset[str], *, partial: bool = False
    ) -> None:
        self.doc = doc
        self.partial = partial
        self.skip = skip
        self.skip_sections = skip_sections
        self.problems: list[Diagnostic] = []
        self.scope = Scope("message")  # where the texts being checked are used
        self.declared: dict[str, list[str]] = {
            "channels": list(_section(doc, "channels", dict)),
            "roles": _names(doc.get("roles")),
            "cases": list(_section(doc, "cases", dict)),
            "chatbots": list(_section(doc, "chatbots", dict)),
            "queues": list(_section(doc, "queues", dict)),
            "messages": list(_section(doc, "messages", dict)),
        }
        cases = _section(doc, "cases", dict)
        self.statuses = {
            status for case in cases.values() if isinstance(case, dict) for status in _statuses(case)
        }

    def skipped(self, node: object, key: str | int) -> bool:
        """True when the schema already refused this entry."""
        return bool(self.skip) and mark_of(node, key) in self.skip

    def entries(self, section: str, *, refused: bool = False) -> Iterator[tuple[str, MarkedDict]]:
        """The entries of `section` the schema accepted (or, with `refused`, those it refused)."""
        node = _section(self.doc, section, MarkedDict)
        for name, entry in node.items():
            if isinstance(entry, MarkedDict) and self.skipped(node, name) == refused:
                yield name, entry

    def refer(self, section: str, name: str, mark: Mark, user: str) -> None:
        """`name` must be declared under `section`."""
        known = self.declared[section]
        if name in known or section in self.skip_sections or self.partial:
            return
        if section == "channels" and name in ("dm", "thread"):
            return
        word = _SECTION_WORDS[section]
        hint = did_you_mean(name, known) or (
            f"declare it under '{section}:'"
            + (f" (declared: {', '.join(sorted(known)[:10])})" if known else "")
        )
        self.problems.append(_diag(mark, f"{word} '{name}' used by {user} is not declared", hint))

    def run(self) -> None:
        self.settings()
        self.channels()
        self.commands()
        self.cases()
        self.rules()
        self.chatbots_and_messages()
        self.duplicate_roles()

    def settings(self) -> None:
        discord = self.doc.get("discord")
        if (
            isinstance(discord, MarkedDict)
            and isinstance(discord.get("admin_channel"), str)
            and discord["admin_channel"]
        ):
            self.refer(
                "channels",
                discord["admin_channel"],
                mark_of(discord, "admin_channel") or discord.mark,
                "discord.admin_channel",
            )
        hours = self.doc.get("hours")
        if isinstance(hours, MarkedDict):
            self.problems.extend(hours_problems(hours))

    def channels(self) -> None:
        for name, channel in self.entries("channels"):
            for key in ("view", "send", "threads"):
                for role, mark in _name_marks(channel, key):
                    self.refer("roles", role, mark, f"channel '{name}'")

    def commands(self) -> None:
        commands = _section(self.doc, "commands", MarkedDict)
        if len(commands) > MAX_COMMANDS:
            name = list(commands)[MAX_COMMANDS]
            self.problems.append(
                _diag(
                    mark_of(commands, name, of_key=True) or commands.mark,
                    f"too many slash commands: {len(commands)} in all files together",
                    f"Discord allows at most {MAX_COMMANDS} per server",
                )
            )
        for name, command in self.entries("commands"):
            user = f"command '{name}'"
            options = command.get("options")
            self.scope = Scope("command", options=list(options) if isinstance(options, dict) else [])
            for channel, mark in _name_marks(command, "channels"):
                self.refer("channels", channel, mark, user)
            for role, mark in _name_marks(command, "roles"):
                self.refer("roles", role, mark, user)
            options = command.get("options")
            if isinstance(options, MarkedDict):
                for option_name, option in options.items():
                    if isinstance(option, MarkedDict):
                        self.option(option_name, option, user)
            self.actions(command, user, command=True)
        for name, command in self.entries("commands", refused=True):  # its other mistakes still count
            options = command.get("options")
            self.scope = Scope("command", options=list(options) if isinstance(options, dict) else None)
            self.actions(command, f"command '{name}'", command=True)

    def option(self, name: str, option: MarkedDict, user: str) -> None:
        kind = option.get("type", "string")
        if "choices" in option and kind != "choice":
            self.problems.append(
                _diag(
                    mark_of(option, "choices", of_key=True) or option.mark,
                    f"option '{name}' of {user} has choices but its type is {kind}",
                    "write 'type: choice', or remove 'choices'",
                )
            )
        self.bounds(option, f"option '{name}' of {user}")

    def bounds(self, node: MarkedDict, what: str) -> None:
        low, high = node.get("min"), node.get("max")
        if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
            self.problems.append(
                _diag(
                    mark_of(node, "min") or node.mark,
                    f"min ({low}) is larger than max ({high}) in {what}",
                    "swap them, or change one",
                )
            )

    def cases(self) -> None:
        for name, case in self.entries("cases"):
            user = f"case template '{name}'"
            form = case.get("form")
            self.scope = Scope("case template", form=list(form) if isinstance(form, dict) else [])
            post_to = case.get("post_to")
            if isinstance(post_to, str):
                self.refer("channels", post_to, mark_of(case, "post_to") or case.mark, user)
            statuses = _statuses(case)
            for status, mark in _name_marks(case, "notify_on"):
                if status not in statuses:
                    hint = did_you_mean(status, statuses) or "use one of its statuses: " + ", ".join(statuses)
                    self.problems.append(
                        _diag(mark, f"'{status}' is not one of the statuses of {user}", hint)
                    )
            form = case.get("form")
            if isinstance(form, MarkedDict):
                for field_name, field in form.items():
                    if isinstance(field, MarkedDict):
                        what = f"form field '{field_name}' of {user}"
                        self.bounds(field, what)
                        self.problems.extend(form_field_problems(field, what))
            self.template(case, "title", user)
            self.text(case, "reply", user)

    def rules(self) -> None:
        rules = _section(self.doc, "rules", MarkedList)
        for index, rule in enumerate(rules):
            if not isinstance(rule, MarkedDict):
                continue
            user = f"rule '{rule.get('name', index + 1)}'"
            self.scope = Scope("rule")
            if self.skipped(rules, index):  # the schema refused part of it; its actions still count
                self.actions(rule, user, command=False)
                continue
            when = rule.get("when")
            if isinstance(when, MarkedDict):
                for where, mark in _name_marks(when, "where"):
                    self.refer("channels", where, mark, user)
                for role, mark in _name_marks(when, "roles"):
                    self.refer("roles", role, mark, user)
            self.actions(rule, user, command=False)

    def chatbots_and_messages(self) -> None:
        self.scope = Scope("message")
        for name, _text in _section(self.doc, "messages", MarkedDict).items():
            self.text(self.doc["messages"], name, f"message '{name}'")  # a map: see translations.py
        for name, bot in self.entries("chatbots"):
            if bot.get("type", "knowledge_base") == "knowledge_base" and not self.doc.get("knowledge_base"):
                self.problems.append(
                    _diag(
                        mark_of(_section(self.doc, "chatbots", MarkedDict), name, of_key=True) or bot.mark,
                        f"chatbot '{name}' answers from the knowledge base, but no knowledge_base is set",
                        "add 'knowledge_base: kb/' to flexcord.yaml",
                        "warning",
                    )
                )
        self.builtin_messages()

    def builtin_messages(self) -> None:
        """Messages the runtime says on its own: a missing one is a warning naming the default used."""
        if "messages" in self.skip_sections or self.partial:  # unread files may say them
            return
        messages = self.doc.get("messages")
        if not isinstance(messages, MarkedDict):
            self.problems.append(
                _diag(
                    self.doc.mark,
                    f"there is no 'messages:' section, so flexcord says its built-in text for all "
                    f"{len(DEFAULT_MESSAGES)} of its messages ({', '.join(DEFAULT_MESSAGES)})",
                    "add a 'messages:' section to say them your way",
                    "warning",
                )
            )
            return
        where = mark_of(self.doc, "messages", of_key=True)
        for name in sorted(set(DEFAULT_MESSAGES) - set(messages)):
            self.problems.append(
                _diag(
                    where or self.doc.mark,
                    f"message '{name}' is not set, so flexcord says its default: "
                    f'"{DEFAULT_MESSAGES[name]}"',
                    f"add '{name}: ...' under 'messages:' to say it your way",
                    "warning",
                )
            )

    def duplicate_roles(self) -> None:
        roles = self.doc.get("roles")
        if not isinstance(roles, MarkedList):
            return
        first: dict[str, Mark] = {}
        for index, role in enumerate(roles):
            mark = mark_of(roles, index) or roles.mark
            if isinstance(role, str) and role in first:
                self.problems.append(
                    _diag(
                        mark,
                        f"role '{role}' is declared twice",
                        f"first at {first[role].file}:{first[role].line}",
                        "warning",
                    )
                )
            elif isinstance(role, str):
                first[role] = mark

    # --- actions and texts ------------------------------------------------------------------

    def actions(self, owner: MarkedDict, user: str, *, command: bool) -> None:
        items = owner.get("do")
        if not isinstance(items, MarkedList):
            return
        for item in items:
            if not isinstance(item, MarkedDict) or len(item) != 1:
                continue
            ((name, value),) = item.items()
            mark = mark_of(item, name) or item.mark
            if name in ("reply", "dm"):
                if isinstance(value, MarkedDict) and isinstance(value.get("message"), str):
                    self.refer("messages", value["message"], mark_of(value, "message") or mark, user)
                else:
                    self.text(item, name, user)
            elif name == "post" and isinstance(value, MarkedDict):
                if isinstance(value.get("channel"), str):
                    self.refer("channels", value["channel"], mark_of(value, "channel") or mark, user)
                self.text(value, "text", user)
            elif name == "open_case" and isinstance(value, str):
                self.refer("cases", value, mark, user)
                self.form_outside_command(value, mark, user, command)
            elif name == "chatbot" and isinstance(value, str):
                self.refer("chatbots", value, mark, user)
            elif name == "handoff" and isinstance(value, MarkedDict) and isinstance(value.get("queue"), str):
                self.refer("queues", value["queue"], mark_of(value, "queue") or mark, user)
            elif name == "update_case" and isinstance(value, MarkedDict):
                for key in ("ref", "status", "note"):
                    self.template(value, key, user)
                status = value.get("status")
                if isinstance(status, str) and templates.is_static(status) and status not in self.statuses:
                    hint = did_you_mean(status, self.statuses) or "statuses: " + ", ".join(
                        sorted(self.statuses)
                    )
                    self.problems.append(
                        _diag(
                            mark_of(value, "status") or mark,
                            f"'{status}' is not a status of any case template",
                            hint,
                        )
                    )

    def form_outside_command(self, template: str, mark: Mark, user: str, command: bool) -> None:
        case = _section(self.doc, "cases", MarkedDict).get(template)
        if not command and isinstance(case, MarkedDict) and case.get("form"):
            self.problems.append(
                _diag(
                    mark,
                    f"{user} opens case template '{template}', which has a form; forms only appear "
                    "for slash commands, so its fields stay empty",
                    "open it from a command instead",
                    "warning",
                )
            )

    def text(self, node: object, key: str, user: str) -> None:
        """A message the bot sends: a valid template that fits in a Discord message."""
        self.problems.extend(text_problems(node, key, user, self.scope))

    def template(self, node: object, key: str, user: str) -> None:
        self.problems.extend(text_problems(node, key, user, self.scope, length=False))


def _statuses(case: Mapping[str, object]) -> list[str]:
    given = case.get("statuses")
    return [str(name) for name in given] if isinstance(given, dict) else _names(given) or ["open", "closed"]
