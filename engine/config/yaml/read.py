"""Read one YAML file into MarkedDict / MarkedList, refusing what trips people up, in plain words.

Refused, each with `file:line:col` and a hint: duplicate keys (PyYAML would silently keep the
last), tabs used for indentation, files over 1 MiB, bytes that are not UTF-8, YAML syntax errors,
and aliases (`*name`). Aliases are refused outright rather than capped: community-manager YAML
has no need for them, and refusing them makes "billion laughs" documents (a few lines that
expand to gigabytes) impossible without any counting. Anchors alone (`&name`) are harmless.

Scalars follow YAML 1.2's core schema rather than PyYAML's YAML 1.1 one, so `says: [yes, no]`
stays words instead of becoming booleans, `10:00` is not the number 600, and `2026-12-25` stays
the text "2026-12-25". Keys are always the text as written.

A plain file (mappings, lists and untagged scalars only) is read in one pass over the parser's
events (engine.config.yaml.plain); anything else is read again by the full reader here, which
explains each problem (wording in engine.config.yaml.errors).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cached_property
from itertools import accumulate
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from engine.config.diagnostics import Diagnostic
from engine.config.yaml.errors import alias_refused, error_at, explicit_tag, syntax_error
from engine.config.yaml.lint import lint
from engine.config.yaml.nodes import Filled, Mark, MarkedDict, MarkedList
from engine.config.yaml.plain import read_plain

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings read; libyaml's C composer crashes on very deep nesting."""
_TOO_DEEP_HINT = "flexcord's settings are never this deep; check the brackets and indentation"

if TYPE_CHECKING:
    from yaml import SafeLoader as _Base
else:
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_VARIABLE = re.compile(r"\$\$\{|\$\{([^}]*)\}|\$\{")
_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?", re.S)


class _AliasUsed(Exception):
    """A node was reached a second time, which only an alias can do."""


class _MarkedLoader(_Base):
    """A safe YAML loader that builds marked values, collects problems and fills in ${VAR}."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML keeps resolvers per class)

    def __init__(self, text: str, *, file: str, env: Mapping[str, str], offline: bool) -> None:
        super().__init__(text)
        self.file = file
        self.env = env
        self.offline = offline
        self.text = text
        self.problems: list[Diagnostic] = []

    @cached_property
    def line_starts(self) -> list[int]:
        """Where each line starts in the text (only needed for block text and `${VAR}`)."""
        return _line_starts(self.text)

    def mark(self, mark: yaml.Mark) -> Mark:
        return Mark(self.file, mark.line + 1, mark.column + 1)

    def value_mark(self, node: yaml.Node) -> Mark:
        """Where a value starts; for a `|` or `>` block of text, its first line of text."""
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            return self.block_mark(node.start_mark)
        return self.mark(node.start_mark)

    def block_mark(self, start: yaml.Mark) -> Mark:
        """Where the text of a `|` or `>` block starts: the line after its indicator."""
        line = start.line + 1
        if line < len(self.line_starts) - 1:
            content = self.text[self.line_starts[line] : self.line_starts[line + 1]]
            return Mark(self.file, line + 1, len(content) - len(content.lstrip(" ")) + 1)
        return self.mark(start)

    def problem(self, at: Mark, message: str, hint: str | None = None) -> None:
        self.problems.append(Diagnostic(at.file, at.line, at.col, "error", message, hint))

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _AliasUsed
        return super().construct_object(node, deep=deep)

    def construct_marked_map(self, node: yaml.MappingNode) -> MarkedDict:
        result = MarkedDict(mark=self.mark(node.start_mark))
        for key_node, value_node in node.value:
            key_mark = self.mark(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_mark, "a key must be a single word or phrase, not a list or a mapping")
                continue
            key = str(key_node.value)
            value = self.construct_object(value_node, deep=True)
            if key in result:
                first = result.key_marks[key]
                self.problem(
                    key_mark,
                    f"'{key}' is written twice here",
                    f"the first '{key}' is on line {first.line}; keep only one of them",
                )
                continue
            result[key] = value
            result.key_marks[key] = key_mark
            result.value_marks[key] = self.value_mark(value_node)
        return result

    def construct_marked_list(self, node: yaml.SequenceNode) -> MarkedList:
        result = MarkedList(mark=self.mark(node.start_mark))
        for item in node.value:
            result.append(self.construct_object(item, deep=True))
            result.item_marks.append(self.value_mark(item))
        return result

    def construct_text(self, node: yaml.ScalarNode) -> str:
        value = str(node.value)
        return self.substitute(value, node.start_mark) if "${" in value else value

    def construct_whole_number(self, node: yaml.ScalarNode) -> int:
        return int(str(node.value).replace("_", ""), 10)

    def substitute(self, value: str, start: yaml.Mark) -> str:
        """Fill in `${VAR}` / `${VAR:-default}` from the environment; `$${` stands for a literal `${`.

        `start` is where the scalar is written, to mark each variable at its own column."""
        search_from = self.line_starts[start.line] + start.column

        def where(written: str) -> Mark:
            nonlocal search_from
            found = self.text.find(written, search_from)
            if found < 0:
                return self.mark(start)
            search_from = found + len(written)
            line = _line_of(self.line_starts, found)
            return Mark(self.file, line + 1, found - self.line_starts[line] + 1)

        def fill(match: re.Match[str]) -> str:
            written = match.group(0)
            if written == "$${":
                where(written)
                return "${"
            at = where(written)
            inner = match.group(1)
            parsed = _NAME.fullmatch(inner) if inner is not None else None
            if parsed is None:
                self.problem(
                    at,
                    f"'{written}' is not an environment variable"
                    if inner is not None
                    else "'${' is not closed",
                    "write ${NAME} or ${NAME:-default} (letters, digits, _); write $${ for a literal ${",
                )
                return written
            name, default = parsed.group(1), parsed.group(2)
            variables.append(name)
            current = self.env.get(name)
            if current:
                return current
            if default is not None:
                return default
            if current is None and not self.offline:
                self.problem(
                    at,
                    f"environment variable {name} is not set",
                    f"set it before starting, or write ${{{name}:-value}}",
                )
            return ""

        variables: list[str] = []
        filled = _VARIABLE.sub(fill, value)
        return Filled(filled, value) if variables else filled


def _add_core_schema(loader: type[_MarkedLoader]) -> None:
    """YAML 1.2 core-schema scalars: true/false, decimal numbers, null; everything else is text."""
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
    )
    loader.add_constructor("tag:yaml.org,2002:map", _MarkedLoader.construct_marked_map)
    loader.add_constructor("tag:yaml.org,2002:seq", _MarkedLoader.construct_marked_list)
    loader.add_constructor("tag:yaml.org,2002:str", _MarkedLoader.construct_text)
    loader.add_constructor("tag:yaml.org,2002:int", _MarkedLoader.construct_whole_number)


_add_core_schema(_MarkedLoader)


class YamlRead(NamedTuple):
    """What reading one file gave: `plain` when it held only mappings, lists and untagged scalars
    (so `data` holds only dicts, lists, text, numbers, true/false and None)."""

    readable: bool
    data: Any
    problems: list[Diagnostic]
    plain: bool = False


def read_yaml(file: str, *, env: Mapping[str, str], offline: bool) -> tuple[bool, Any, list[Diagnostic]]:
    """(readable, data, problems) for one file; data is None for an empty file."""
    readable, data, problems, _plain = read(file, env=env, offline=offline)
    return readable, data, problems


def read(file: str, *, env: Mapping[str, str], offline: bool, one_pass: bool = True) -> YamlRead:
    """Read one file: in one pass over the parser's events when it is plain (engine.config.yaml.plain),
    else (or with `one_pass=False`) by the full reader, which explains every problem."""
    text = _text(file)
    if isinstance(text, Diagnostic):
        return YamlRead(False, None, [text])
    problems = _tabs(file, text)
    mistakes, traps = lint(file, text)
    if mistakes:
        return _misread(_read_composed(file, text, env, offline, problems), mistakes)
    if one_pass:
        loader = _MarkedLoader(text, file=file, env=env, offline=offline)
        try:
            plain, data = read_plain(loader, MAX_DEPTH)
        finally:
            loader.dispose()
        if plain:
            return YamlRead(True, data, [*problems, *loader.problems, *traps], plain=True)
    read_in_full = _read_composed(file, text, env, offline, problems)
    return read_in_full._replace(problems=[*read_in_full.problems, *traps])


def _misread(full: YamlRead, mistakes: list[Diagnostic]) -> YamlRead:
    """A file whose text YAML would read with another meaning: refused, with each such line, and
    any other problem of the full read that comes before the first of them (later ones follow from it)."""
    first = mistakes[0].line
    earlier = [
        d for d in full.problems if d.line < first or d.message.startswith("this line is indented with a tab")
    ]
    return YamlRead(False, None, [*earlier, *mistakes])


def _text(file: str) -> str | Diagnostic:
    """The text of a file, or why it cannot be read."""
    start = Mark(file, 1, 1)
    try:
        size = os.path.getsize(file)
        if size > MAX_FILE_BYTES:
            return error_at(
                start,
                f"this file is too big ({size / 1048576:.1f} MiB)",
                "flexcord reads files up to 1 MiB; split it into several route files",
            )
        with open(file, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return error_at(start, "file not found", "check the path, or the folder you run flexcord from")
    except OSError as exc:
        return error_at(start, f"cannot read this file: {exc.strerror or exc}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return error_at(
            Mark(file, line, col),
            f"line {line} has bytes that are not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            "save the file as UTF-8 in your editor",
        )


def _read_composed(
    file: str, text: str, env: Mapping[str, str], offline: bool, problems: list[Diagnostic]
) -> YamlRead:
    """The full reader: look for aliases and deep nesting first, then compose and construct."""
    start = Mark(file, 1, 1)
    tab_lines = {d.line for d in problems}
    refused = _structure(file, text)
    if refused:
        return YamlRead(False, None, [*problems, *refused])
    loader = _MarkedLoader(text, file=file, env=env, offline=offline)
    try:
        data = loader.get_single_data()
    except _AliasUsed:  # not seen in the event stream; refused all the same
        return YamlRead(
            False, None, [*problems, error_at(start, "this file reuses a value with an alias (*name)")]
        )
    except yaml.MarkedYAMLError as exc:
        syntax = syntax_error(file, text, exc)
        if syntax.line not in tab_lines:
            problems.append(syntax)
        return YamlRead(False, None, [*problems, *loader.problems])
    except yaml.YAMLError as exc:
        return YamlRead(False, None, [*problems, error_at(start, f"cannot read this YAML: {exc}")])
    except RecursionError:
        problem = error_at(start, "this file nests lists or mappings too deeply to read")
        return YamlRead(False, None, [*problems, problem])
    except (ValueError, TypeError):  # a value with an explicit tag, like !!int abc
        return YamlRead(False, None, [*problems, explicit_tag(file, text)])
    finally:
        loader.dispose()
    problems.extend(loader.problems)
    return YamlRead(True, data, problems)


def _structure(file: str, text: str) -> list[Diagnostic]:
    """Aliases and too-deep nesting, found in the event stream before anything is built.

    Both are refused before composing: libyaml's C composer crashes on very deep nesting, and
    the event stream is flat, so a "billion laughs" or a 100 000-deep list costs nothing here.
    """
    found: list[Diagnostic] = []
    depth = 0
    too_deep = (f"lists and mappings are nested more than {MAX_DEPTH} deep here", _TOO_DEEP_HINT)
    try:
        for event in yaml.parse(text, Loader=_Base):
            start = event.start_mark
            at = Mark(file, start.line + 1, start.column + 1) if start is not None else Mark(file, 1, 1)
            if isinstance(event, yaml.AliasEvent):
                found.append(alias_refused(at, event.anchor))
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return [*found, error_at(at, *too_deep)]
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # Newer PyYAML releases stop at a nesting limit of their own, scanning ahead of the events
        # above: the same refusal, in the same words, at the line where the reader gave up.
        mark = exc.problem_mark
        if mark is not None and "nesting depth" in str(exc.problem):
            return [*found, error_at(Mark(file, mark.line + 1, mark.column + 1), *too_deep)]
    except yaml.YAMLError:
        pass  # the full read reports it in plain words
    return found


def _line_starts(text: str) -> list[int]:
    """The offset of each line's first character, and one past the end: len(text) + 1."""
    return list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))


def _line_of(starts: list[int], offset: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high - 1:
        middle = (low + high) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle
    return low


def _tabs(file: str, text: str) -> list[Diagnostic]:
    """A tab in the indentation of a line: YAML counts only spaces there."""
    found: list[Diagnostic] = []
    if "\t" not in text:
        return found
    for number, line in enumerate(text.split("\n"), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip() and not line.lstrip(" \t").startswith("#"):
            found.append(
                error_at(
                    Mark(file, number, indent.index("\t") + 1),
                    "this line is indented with a tab",
                    "use spaces",
                )
            )
    return found
