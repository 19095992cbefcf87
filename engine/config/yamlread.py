"""Read one YAML file into MarkedDict / MarkedList, refusing what trips people up, in plain words.

Refused, each with `file:line:col` and a hint: duplicate keys (PyYAML would silently keep the
last), tabs used for indentation, files over 1 MiB, bytes that are not UTF-8, YAML syntax errors,
and aliases (`*name`). Aliases are refused outright rather than capped: community-manager YAML
has no need for them, and refusing them makes "billion laughs" documents (a few lines that
expand to gigabytes) impossible without any counting. Anchors alone (`&name`) are harmless.

Scalars follow YAML 1.2's core schema rather than PyYAML's YAML 1.1 one, so `says: [yes, no]`
stays words instead of becoming booleans, `10:00` is not the number 600, and `2026-12-25` stays
the text "2026-12-25". Keys are always the text as written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from engine.config.diagnostics import Diagnostic
from engine.config.yamlnodes import Mark, MarkedDict, MarkedList

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings read; libyaml's C composer crashes on very deep nesting."""

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
        self.line_starts = _line_starts(text)
        self.problems: list[Diagnostic] = []

    def mark(self, mark: yaml.Mark) -> Mark:
        return Mark(self.file, mark.line + 1, mark.column + 1)

    def value_mark(self, node: yaml.Node) -> Mark:
        """Where a value starts; for a `|` or `>` block of text, its first line of text."""
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            line = node.start_mark.line + 1
            if line < len(self.line_starts) - 1:
                content = self.text[self.line_starts[line] : self.line_starts[line + 1]]
                return Mark(self.file, line + 1, len(content) - len(content.lstrip(" ")) + 1)
        return self.mark(node.start_mark)

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
        return self.substitute(value, node) if "${" in value else value

    def construct_whole_number(self, node: yaml.ScalarNode) -> int:
        return int(str(node.value).replace("_", ""), 10)

    def substitute(self, value: str, node: yaml.ScalarNode) -> str:
        """Fill in `${VAR}` / `${VAR:-default}` from the environment; `$${` stands for a literal `${`."""
        search_from = self.line_starts[node.start_mark.line] + node.start_mark.column

        def where(written: str) -> Mark:
            nonlocal search_from
            found = self.text.find(written, search_from)
            if found < 0:
                return self.mark(node.start_mark)
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

        return _VARIABLE.sub(fill, value)


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


def read_yaml(file: str, *, env: Mapping[str, str], offline: bool) -> tuple[bool, Any, list[Diagnostic]]:
    """(readable, data, problems) for one file; data is None for an empty file."""
    start = Mark(file, 1, 1)
    try:
        size = os.path.getsize(file)
        if size > MAX_FILE_BYTES:
            return (
                False,
                None,
                [
                    _at(
                        start,
                        f"this file is too big ({size / 1048576:.1f} MiB)",
                        "flexcord reads files up to 1 MiB; split it into several route files",
                    )
                ],
            )
        with open(file, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        return (
            False,
            None,
            [_at(start, "file not found", "check the path, or the folder you run flexcord from")],
        )
    except OSError as exc:
        return False, None, [_at(start, f"cannot read this file: {exc.strerror or exc}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return (
            False,
            None,
            [
                _at(
                    Mark(file, line, col),
                    f"line {line} has bytes that are not UTF-8 text (byte 0x{raw[exc.start]:02x})",
                    "save the file as UTF-8 in your editor",
                )
            ],
        )
    problems = _tabs(file, text)
    tab_lines = {d.line for d in problems}
    refused = _structure(file, text)
    if refused:
        return False, None, [*problems, *refused]
    loader = _MarkedLoader(text, file=file, env=env, offline=offline)
    try:
        data = loader.get_single_data()
    except _AliasUsed:  # not seen in the event stream; refused all the same
        return False, None, [*problems, _at(start, "this file reuses a value with an alias (*name)")]
    except yaml.MarkedYAMLError as exc:
        syntax = _syntax_error(file, text, exc)
        if syntax.line not in tab_lines:
            problems.append(syntax)
        return False, None, [*problems, *loader.problems]
    except yaml.YAMLError as exc:
        return False, None, [*problems, _at(start, f"cannot read this YAML: {exc}")]
    except RecursionError:
        return False, None, [*problems, _at(start, "this file nests lists or mappings too deeply to read")]
    except (ValueError, TypeError) as exc:  # a value with an explicit tag, like !!int abc
        return False, None, [*problems, _at(start, f"cannot read a value in this file: {exc}")]
    finally:
        loader.dispose()
    problems.extend(loader.problems)
    return True, data, problems


def _structure(file: str, text: str) -> list[Diagnostic]:
    """Aliases and too-deep nesting, found in the event stream before anything is built.

    Both are refused before composing: libyaml's C composer crashes on very deep nesting, and
    the event stream is flat, so a "billion laughs" or a 100 000-deep list costs nothing here.
    """
    found: list[Diagnostic] = []
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Base):
            start = event.start_mark
            at = Mark(file, start.line + 1, start.column + 1) if start is not None else Mark(file, 1, 1)
            if isinstance(event, yaml.AliasEvent):
                found.append(_alias(at, event.anchor))
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return [
                        *found,
                        _at(
                            at,
                            f"lists and mappings are nested more than {MAX_DEPTH} deep here",
                            "flexcord's settings are never this deep; check the brackets and indentation",
                        ),
                    ]
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass  # the full read reports it in plain words
    return found


def _at(mark: Mark, message: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(mark.file, mark.line, mark.col, "error", message, hint)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, char in enumerate(text) if char == "\n")
    starts.append(len(text) + 1)
    return starts


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
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip() and not line.lstrip(" \t").startswith("#"):
            found.append(
                _at(
                    Mark(file, number, indent.index("\t") + 1),
                    "this line is indented with a tab",
                    "use spaces",
                )
            )
    return found


def _alias(mark: Mark, name: str | None) -> Diagnostic:
    return _at(
        mark,
        f"aliases like '*{name}' are not supported",
        "write the value out where it is needed (aliases can expand a few lines into gigabytes)",
    )


_INDENTATION = "this line is indented differently from the lines above it"


def _syntax_error(file: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """A YAML syntax error in plain words, at the line where it can be fixed."""
    problem = exc.problem or ""
    at = exc.problem_mark or exc.context_mark
    mark = Mark(file, at.line + 1, at.column + 1) if at else Mark(file, 1, 1)
    lines = text.split("\n")
    line_text = lines[mark.line - 1] if 0 < mark.line <= len(lines) else ""
    context_mark = exc.context_mark
    context = Mark(file, context_mark.line + 1, context_mark.column + 1) if context_mark else mark
    first_char = Mark(file, mark.line, len(line_text) - len(line_text.lstrip()) + 1)
    if "expected key" in problem or "expected '-' indicator" in problem or "expected <block end>" in problem:
        return _at(first_char, _INDENTATION, "line it up with the lines it belongs with, using spaces")
    if "mapping values are not allowed" in problem:
        if ": " in line_text[: mark.col - 1] or line_text[: mark.col - 1].lstrip().startswith("- "):
            return _at(
                mark,
                "a ':' followed by a space inside a value starts a new key",
                'put the whole value in quotes, like title: "Bug: crash"',
            )
        return _at(first_char, _INDENTATION, "line it up with the lines it belongs with, using spaces")
    if "found undefined alias" in problem:
        return _alias(mark, None)
    if "tab character" in problem or (0 < mark.col <= len(line_text) and line_text[mark.col - 1] == "\t"):
        return _at(mark, "this line is indented with a tab", "use spaces")
    if "cannot start any token" in problem:
        char = line_text[mark.col - 1] if 0 < mark.col <= len(line_text) else "?"
        return _at(mark, f"a value cannot start with '{char}'", "put the value in quotes")
    if "could not find expected ':'" in problem:
        return _at(
            context,
            "this line is neither 'key: value' nor a list item '- value'",
            "add ': ' after the key, or check the indentation",
        )
    if "end of stream" in problem and "quoted" in (exc.context or ""):
        return _at(context, "this quoted text is never closed", "add the closing quote")
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        bracket = "]" if "]" in problem else "}"
        return _at(
            context,
            f"this list is not closed with '{bracket}'",
            f"close it with '{bracket}' on the same line, and separate items with commas",
        )
    if "another document" in problem:
        return _at(
            mark, "this file holds a second YAML document (after '---')", "keep everything in one document"
        )
    if "could not determine a constructor" in problem:
        return _at(
            mark, "tags like '!name' are not supported here", "remove the tag, or put the value in quotes"
        )
    return _at(mark, f"this is not valid YAML: {problem or exc}", exc.context or None)
