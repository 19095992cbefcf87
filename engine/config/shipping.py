"""A BuildResult as a list of small byte frames, to hand a build made in one process to another.

`pack` (in the process that built) writes: the head (the result, its Config without its rules and
routing index), then the compiled rules `RULES_PER_FRAME` at a time, then the index's keyword
postings `POSTINGS_PER_FRAME` at a time. `unpack` is a step function (engine.steps): the serving
process runs it on its event loop a slice at a time, one frame per step, and makes the index's
automata again there, a shard at a time (an automaton cannot be unpickled in pieces).

Read-only mappings (`MappingProxyType`, every mapping of a Config) are pickled as the dict they
show; a `matches` regex as its text, compiled again where it is unpickled.
"""

from __future__ import annotations

import copyreg
import io
import pickle
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

from engine.config import BuildResult
from engine.routing.index import CompiledRule, IndexParts, RuleIndex
from engine.steps import Steps

__all__ = ["POSTINGS_PER_FRAME", "RULES_PER_FRAME", "pack", "unpack"]

RULES_PER_FRAME = 16
"""Compiled rules per frame: unpickling one (its regexes compiled again) takes about a millisecond."""
POSTINGS_PER_FRAME = 512
"""Keywords (each with the positions of its rules) per frame."""


def _read_only(items: dict[str, object]) -> Mapping[str, object]:
    return MappingProxyType(items)


def _reduce_read_only(
    proxy: MappingProxyType[str, object],
) -> tuple[Callable[[dict[str, object]], Mapping[str, object]], tuple[dict[str, object]]]:
    return (_read_only, (dict(proxy),))


_DISPATCH = {**copyreg.dispatch_table, MappingProxyType: _reduce_read_only}


class _Pickler(pickle.Pickler):
    dispatch_table = _DISPATCH


def _dumps(value: object) -> bytes:
    out = io.BytesIO()
    _Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class _Head:
    """The first frame: the result without its rules and index, and how many frames follow."""

    result: BuildResult
    rule_frames: int
    posting_frames: int
    index: IndexParts | None  # the index's parts but its rules and postings (in the frames after)


def pack(result: BuildResult) -> list[bytes]:
    """`result` as frames (its marked document is not included: `result.doc` must be small or None)."""
    config = result.config
    index = config.index if config is not None else None
    if config is None or not isinstance(index, RuleIndex):
        return [_dumps(_Head(result, 0, 0, None))]
    parts = index.parts()
    rules = [parts.rules[at : at + RULES_PER_FRAME] for at in range(0, len(parts.rules), RULES_PER_FRAME)]
    postings = [
        parts.postings[at : at + POSTINGS_PER_FRAME]
        for at in range(0, len(parts.postings), POSTINGS_PER_FRAME)
    ]
    bare = replace(result, config=replace(config, rules=(), index=None))
    head = _Head(bare, len(rules), len(postings), replace(parts, rules=(), postings=()))
    return [_dumps(head), *map(_dumps, rules), *map(_dumps, postings)]


def unpack(frames: Sequence[bytes | memoryview]) -> Steps[BuildResult]:
    """The BuildResult `pack` made, one frame per step, then its routing index's automata."""
    head: _Head = pickle.loads(frames[0])
    yield
    config = head.result.config
    if config is None or head.index is None:
        return head.result
    compiled: list[CompiledRule] = []
    for frame in frames[1 : 1 + head.rule_frames]:
        compiled.extend(pickle.loads(frame))
        yield
    postings: list[tuple[str, array[int]]] = []
    for frame in frames[1 + head.rule_frames : 1 + head.rule_frames + head.posting_frames]:
        postings.extend(pickle.loads(frame))
        yield
    parts = replace(head.index, rules=tuple(compiled), postings=tuple(postings))
    index = yield from RuleIndex.assemble(parts)
    rules = tuple(each.rule for each in index.rules)
    return replace(head.result, config=replace(config, rules=rules, index=index))
