"""Read a plain YAML document in one pass over the parser's events, straight into marked values.

Most flexcord files hold only mappings, lists and untagged scalars. For those, building
MarkedDict / MarkedList directly from the event stream gives the same values, marks and
`${VAR}` problems as composing a node graph and constructing it, at about a third of the cost,
and needs no separate pass to look for aliases or deep nesting. Anything else (an alias, an
anchor, a tag, a key that is not a scalar, a key written twice, nesting deeper than the limit,
a second document, a syntax error) makes `read_plain` give up, and the full reader in
engine.config.yaml.read reads the file again and explains the problem.
"""

from __future__ import annotations

from typing import Any, Protocol

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from engine.config.yaml.nodes import Mark, MarkedDict, MarkedList

__all__ = ["EventSource", "read_plain"]

_STR = "tag:yaml.org,2002:str"
_NOT_PLAIN = object()


class EventSource(Protocol):
    """The marked loader of engine.config.yaml.read, as read_plain uses it."""

    file: str

    @property
    def yaml_implicit_resolvers(self) -> dict[Any, list[tuple[str, Any]]]: ...

    @property
    def yaml_constructors(self) -> dict[Any, Any]: ...

    def get_event(self) -> Any: ...

    def block_mark(self, start: Any) -> Mark: ...

    def substitute(self, value: str, start: Any) -> str: ...


def read_plain(loader: EventSource, max_depth: int) -> tuple[bool, Any]:
    """(True, data) for a plain document (data is None when it is empty), else (False, None)."""
    try:
        data = _document(loader, max_depth)
    except Exception:  # a syntax error or a value that does not construct: the full reader explains it
        return False, None
    return (False, None) if data is _NOT_PLAIN else (True, data)


def _document(loader: EventSource, max_depth: int) -> Any:
    get = loader.get_event
    get()  # the stream starts
    event = get()
    if type(event) is StreamEndEvent:
        return None
    if type(event) is not DocumentStartEvent:
        return _NOT_PLAIN
    top = _tree(loader, _Scalars(loader), max_depth)
    if top is _NOT_PLAIN or type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
        return _NOT_PLAIN
    return top


class _Scalars:
    """A scalar event's value and mark, as the loader's resolvers and constructors would make them."""

    __slots__ = ("anywhere", "block_mark", "by_first", "constructors", "file", "loader", "substitute")

    def __init__(self, loader: EventSource) -> None:
        self.loader = loader
        self.file = loader.file
        resolvers = loader.yaml_implicit_resolvers
        self.anywhere = resolvers.get(None, [])
        self.by_first = {
            first: [*found, *self.anywhere] for first, found in resolvers.items() if first is not None
        }
        self.constructors = loader.yaml_constructors
        self.block_mark = loader.block_mark
        self.substitute = loader.substitute

    def value(self, event: Any) -> tuple[Any, Mark]:
        start = event.start_mark
        text = event.value
        tag = _STR
        if event.implicit[0]:
            for candidate, pattern in self.by_first.get(text[:1], self.anywhere):
                if pattern.match(text):
                    tag = candidate
                    break
        if tag == _STR:
            value = self.substitute(text, start) if "${" in text else text
        else:
            node = yaml.ScalarNode(tag, text, start, event.end_mark, event.style)
            value = self.constructors[tag](self.loader, node)
        style = event.style
        if style == "|" or style == ">":
            return value, self.block_mark(start)
        return value, tuple.__new__(Mark, (self.file, start.line + 1, start.column + 1))


def _tree(loader: EventSource, scalars: _Scalars, max_depth: int) -> Any:
    """The document's one value, built from the events up to its end; _NOT_PLAIN when it is not plain."""
    get = loader.get_event
    file = loader.file
    new_mark = tuple.__new__
    scalar = scalars.value
    outer: list[tuple[Any, bool, Any, Any]] = []  # the containers around `top`, with their state
    top: Any = None  # the innermost open mapping or list (None: none yet)
    in_map = False
    key: Any = None  # in a mapping: the key waiting for its value (None: the next scalar is a key)
    key_mark: Any = None
    value: Any
    while True:
        event = get()
        kind = type(event)
        if kind is ScalarEvent:
            if event.anchor is not None or event.tag is not None:
                return _NOT_PLAIN
            if in_map and key is None:
                if event.value in top:
                    return _NOT_PLAIN
                key = event.value
                start = event.start_mark
                key_mark = new_mark(Mark, (file, start.line + 1, start.column + 1))
                continue
            value, mark = scalar(event)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            if not outer:
                return top
            top, in_map, key, key_mark = outer.pop()
            continue  # the finished container was put in its parent when it opened
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.anchor is not None or event.tag is not None or len(outer) >= max_depth - 1:
                return _NOT_PLAIN
            start = event.start_mark
            mark = new_mark(Mark, (file, start.line + 1, start.column + 1))
            value = MarkedDict(mark=mark) if kind is MappingStartEvent else MarkedList(mark=mark)
        else:  # an alias, or anything unexpected
            return _NOT_PLAIN
        if top is None:  # the document itself
            if kind is ScalarEvent:
                return value
        elif in_map:
            if key is None:  # a mapping or a list used as a key
                return _NOT_PLAIN
            top[key] = value
            top.key_marks[key] = key_mark
            top.value_marks[key] = mark
            key = None
        else:
            top.append(value)
            top.item_marks.append(mark)
        if kind is not ScalarEvent:
            if top is not None:
                outer.append((top, in_map, key, key_mark))
            top, in_map, key, key_mark = value, kind is MappingStartEvent, None, None
