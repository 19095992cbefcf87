"""YAML values that remember where they were written (file, line, column).

The loader returns plain dicts, lists and scalars wrapped as MarkedDict / MarkedList so every
key and value can be traced back to `file:line:col` for error messages and `flexcord route`.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Mark(NamedTuple):
    """A position in a YAML file: path as given to the loader, 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Filled(str):
    """Text with `${VAR}` filled in from the environment, remembering how it was `written`, so the
    config's version and its error messages can leave the variable's value (often a secret) out."""

    written: str

    def __new__(cls, value: str, written: str) -> Filled:
        filled = super().__new__(cls, value)
        filled.written = written
        return filled

    def __reduce__(self) -> tuple[type[Filled], tuple[str, str]]:
        return (Filled, (str(self), self.written))


class MarkedDict(dict[str, Any]):
    """A mapping with the position of itself, of each key and of each value."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]

    def __init__(self, *args: Any, mark: Mark | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark = mark or Mark("<unknown>", 1, 1)
        self.key_marks = {}
        self.value_marks = {}


class MarkedList(list[Any]):
    """A sequence with the position of itself and of each item."""

    mark: Mark
    item_marks: list[Mark]

    def __init__(self, *args: Any, mark: Mark | None = None) -> None:
        super().__init__(*args)
        self.mark = mark or Mark("<unknown>", 1, 1)
        self.item_marks = []


def mark_of(node: object, key: str | int | None = None, *, of_key: bool = False) -> Mark | None:
    """Where `node` (or its item `key`, or that key itself with of_key=True) was written."""
    if key is None:
        return getattr(node, "mark", None)
    if isinstance(node, MarkedDict) and isinstance(key, str):
        marks = node.key_marks if of_key else node.value_marks
        return marks.get(key) or node.key_marks.get(key) or node.mark
    if isinstance(node, MarkedList) and isinstance(key, int):
        if 0 <= key < len(node.item_marks):
            return node.item_marks[key]
        return node.mark
    return getattr(node, "mark", None)
