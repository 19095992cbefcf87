"""`@record` (engine.config.record) behaves as `@dataclass(frozen=True, slots=True)`, which it replaces
in the config model to make `flexcord validate` start sooner."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from collections.abc import Callable
from dataclasses import FrozenInstanceError, dataclass, field

import pytest

from engine.config.model import Condition, Reply, Rule
from engine.config.record import record


def _made_by(decorate: Callable[[type], type]) -> type:
    class Item:
        text: str
        count: int = 0
        key: str | None = field(default=None, compare=False)
        secret: str = field(default="", repr=False)
        note: str = field(default="", hash=False)

    return decorate(Item)


Generated = _made_by(dataclass(frozen=True, slots=True))
Shared = _made_by(record)


def _behaviour(kind: type) -> list[object]:
    item = kind("hi", 2, key="k", secret="s", note="n")
    same, other = kind("hi", 2, key="other"), kind("hi", 3)
    seen: list[object] = [repr(item).removeprefix(kind.__qualname__), item == same, item == other]
    seen += [item != other, item == ("hi", 2), hash(item), hash(item) == hash(same), kind.__match_args__]
    changed = dataclasses.replace(item, count=5)
    seen += [dataclasses.asdict(item), repr(changed).removeprefix(kind.__qualname__)]
    seen += [hasattr(item, "__dict__"), copy.deepcopy(item) == item]
    for change in (lambda: setattr(item, "text", "x"), lambda: delattr(item, "text")):
        with pytest.raises(FrozenInstanceError) as raised:
            change()
        seen.append(str(raised.value))
    return seen


def test_a_record_looks_compares_hashes_and_refuses_changes_as_a_frozen_dataclass() -> None:
    assert _behaviour(Shared) == _behaviour(Generated)
    assert Shared("a") != Generated("a")  # another class


def test_the_models_records_survive_the_trip_to_and_from_the_builder_process() -> None:
    rule = Rule("hello", Condition(says=("hi",)), (Reply(text="Hi {{ user.name }}", key="k"),))
    back = pickle.loads(pickle.dumps(rule))
    assert back == rule and hash(back) == hash(rule) and repr(back) == repr(rule)
    assert back.actions[0].key == "k"
