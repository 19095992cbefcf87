"""Where the texts that may carry translations are, in the merged document of flexcord.yaml and routes.

Each has a key, under which Config.translations keeps its translations (`closed` for a message,
`cases.bug.reply`, `commands.helpme.do.1.dm`, `rules.live agent.do.0.reply`,
`commands.case.options.status.choices.fixed`), and words that name it for a community manager.
Status names are not texts but names (`fixed: {names: {es-ES: corregido}}`, like a command's);
`local_names` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

__all__ = ["Text", "choice_value", "local_names", "translatable"]

Node = Mapping[str, object] | Sequence[object]


class Text(NamedTuple):
    """One text that may carry translations: `node[field]` is a plain text or a map by locale."""

    key: str
    node: Node
    field: str | int
    what: str  # "message 'closed'", "the reply of rule 'live agent'", ...
    kind: str  # where it is used: 'message', 'case template', 'command' or 'rule'
    names: tuple[str, ...] | None = None  # the form fields or options its {{ }} may name

    @property
    def value(self) -> object:
        if isinstance(self.node, Mapping):
            return self.node.get(str(self.field))
        return self.node[int(self.field)]


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _entries(doc: Mapping[str, object], section: str) -> Iterator[tuple[str, Mapping[str, object]]]:
    for name, node in _mapping(doc.get(section)).items():
        if isinstance(node, Mapping):
            yield str(name), node


def translatable(doc: Mapping[str, object]) -> Iterator[Text]:
    """Every text that may carry translations, in the order they are written."""
    for name in _mapping(doc.get("messages")):
        yield Text(str(name), _mapping(doc.get("messages")), str(name), f"message '{name}'", "message")
    yield from _command_texts(doc, str(_mapping(doc.get("locales")).get("default") or "en-US"))
    yield from _case_texts(doc)
    rules = doc.get("rules")
    for index, rule in enumerate(rules if isinstance(rules, list) else ()):
        if isinstance(rule, Mapping):
            name = str(rule.get("name") or f"rule {index + 1}")  # as engine.config.compile.config names it
            yield from _action_texts(rule, f"rules.{name}", f"rule '{name}'", "rule", None)


def _case_texts(doc: Mapping[str, object]) -> Iterator[Text]:
    """`cases.bug.reply`, `cases.bug.form_title`, `cases.bug.form.summary.label` and `.placeholder`."""
    for name, case in _entries(doc, "cases"):
        form = _mapping(case.get("form"))
        fields = tuple(str(field) for field in form)
        user = f"case template '{name}'"
        for key in ("reply", "form_title"):
            if key in case:
                what = f"the {key.replace('_', ' ')} of {user}"
                yield Text(f"cases.{name}.{key}", case, key, what, "case template", fields)
        for field, spec in form.items():
            for key in ("label", "placeholder"):
                if isinstance(spec, Mapping) and key in spec:
                    what = f"the {key} of form field '{field}' of {user}"
                    yield Text(f"cases.{name}.form.{field}.{key}", spec, key, what, "case template", fields)


def _command_texts(doc: Mapping[str, object], default: str) -> Iterator[Text]:
    """`commands.bug.description`, an option's description and choices, and what a command says."""
    for name, command in _entries(doc, "commands"):
        user = f"command '{name}'"
        options = _mapping(command.get("options"))
        if "description" in command:
            what = f"the description of {user}"
            yield Text(f"commands.{name}.description", command, "description", what, "command")
        for option, spec in options.items():
            if not isinstance(spec, Mapping):
                continue
            prefix, of = f"commands.{name}.options.{option}", f"of option '{option}' of {user}"
            if "description" in spec:
                yield Text(f"{prefix}.description", spec, "description", f"the description {of}", "command")
            given = spec.get("choices")
            choices: list[object] = given if isinstance(given, list) else []
            for index, choice in enumerate(choices):
                value = choice_value(choice, default)
                yield Text(f"{prefix}.choices.{value}", choices, index, f"choice '{value}' {of}", "command")
        yield from _action_texts(command, f"commands.{name}", user, "command", tuple(str(o) for o in options))


def choice_value(choice: object, default: str) -> str:
    """What a choice gives the command: its text, or its `default` locale's text in a map by locale."""
    if isinstance(choice, Mapping):
        return str(choice.get(default) or next(iter(choice.values()), ""))
    return str(choice)


def _action_texts(
    owner: Mapping[str, object], prefix: str, user: str, kind: str, names: tuple[str, ...] | None
) -> Iterator[Text]:
    """`reply:`, `dm:` and `post: {text: ...}` written in `owner`'s `do:` list."""
    items = owner.get("do")
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, Mapping) or len(item) != 1:
            continue
        ((action, value),) = item.items()
        key = f"{prefix}.do.{index}.{action}"
        if action in ("reply", "dm") and not (isinstance(value, Mapping) and "message" in value):
            yield Text(key, item, str(action), f"the {action} of {user}", kind, names)
        elif action == "post" and isinstance(value, Mapping) and "text" in value:
            yield Text(key, value, "text", f"the post of {user}", kind, names)


def local_names(doc: Mapping[str, object]) -> Iterator[tuple[str, str, str]]:
    """(locale, key, name) of each name given in another language: a command's `names:`
    (`commands.bug.name`) and a case status's (`cases.bug.statuses.fixed.name`)."""
    for name, command in _entries(doc, "commands"):
        for locale, local in _mapping(command.get("names")).items():
            yield str(locale), f"commands.{name}.name", str(local)
    for name, case in _entries(doc, "cases"):
        for status, spec in _entries(case, "statuses"):
            for locale, local in _mapping(spec.get("names")).items():
                yield str(locale), f"cases.{name}.statuses.{status}.name", str(local)
