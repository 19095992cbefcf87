"""`@record`: a frozen, slotted dataclass that costs half as much to create.

`@dataclass(frozen=True, slots=True)` compiles six methods for each class, with `exec`, when its
module is imported: for the config model's thirty classes, about 20 ms of every `flexcord validate`.
A record has dataclasses compile only the three that need the class's own code (`__init__`, and the
frozen `__setattr__` and `__delattr__` that refuse a change); its `__repr__`, `__eq__` and
`__hash__` are shared by every record and read the class's fields with one `operator.attrgetter`.
They behave as the generated ones: the same text (`Reply(text='hi', message=None, key=None)`),
equal only to an object of the same class with the same compared fields, the same fields hashed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, TypeVar, cast, dataclass_transform

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["record"]

T = TypeVar("T")

_Values = Callable[[object], tuple[object, ...]]


def _values(names: tuple[str, ...]) -> _Values:
    """The named attributes of an object, always as a tuple (attrgetter gives one name bare)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda item: (one(item),)
    return lambda item: ()


_SHOWN: dict[type, tuple[tuple[str, ...], _Values]] = {}
_COMPARED: dict[type, _Values] = {}
_HASHED: dict[type, _Values] = {}


def _repr(self: object) -> str:
    names, values = _SHOWN[type(self)]
    shown = ", ".join(f"{name}={value!r}" for name, value in zip(names, values(self), strict=True))
    return f"{type(self).__qualname__}({shown})"


def _eq(self: object, other: object) -> object:  # bool, or NotImplemented for another class
    if other.__class__ is self.__class__:
        compared = _COMPARED[type(self)]
        return compared(self) == compared(other)
    return NotImplemented


def _hash(self: object) -> int:
    return hash(_HASHED[type(self)](self))


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def record(cls: type[T]) -> type[T]:
    """`@dataclass(frozen=True, slots=True)`, three methods of which are shared (see the module)."""
    made: type[T] = dataclass(frozen=True, slots=True, repr=False, eq=False)(cls)
    every = fields(cast("type[DataclassInstance]", made))
    shown = tuple(f.name for f in every if f.repr)
    _SHOWN[made] = shown, _values(shown)
    _COMPARED[made] = _values(tuple(f.name for f in every if f.compare))
    _HASHED[made] = _values(tuple(f.name for f in every if (f.compare if f.hash is None else f.hash)))
    for name, method in (("__repr__", _repr), ("__eq__", _eq), ("__hash__", _hash)):
        setattr(made, name, method)
    return made
