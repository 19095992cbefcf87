"""What a reload runs away from the event loop's critical path, and how it keeps the loop responsive."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from engine.config import BuildResult
from engine.config.builder import build_isolated_sliced
from engine.reload.release import hold, release
from engine.reload.sources import Sources

__all__ = ["SWITCH_INTERVAL_S", "build_for_reload", "hold", "release", "short_switches"]

SWITCH_INTERVAL_S = 0.0005
"""While a reload works in a worker thread (the runtime's prepare), the thread hands the interpreter
lock to the event loop at least this often (Python's default is 5 ms)."""


class _Switching:
    """How many reloads or releases run now, and the switch interval from before the first."""

    depth = 0
    before = 0.005


@contextmanager
def short_switches() -> Iterator[None]:
    """`SWITCH_INTERVAL_S` while reloads or releases run (they may overlap), then the interval before."""
    if _Switching.depth == 0:
        _Switching.before = sys.getswitchinterval()
        sys.setswitchinterval(min(SWITCH_INTERVAL_S, _Switching.before))
    _Switching.depth += 1
    try:
        yield
    finally:
        _Switching.depth -= 1
        if _Switching.depth == 0:
            sys.setswitchinterval(_Switching.before)


async def build_for_reload(
    path: Path, env: Mapping[str, str] | None, offline: bool
) -> tuple[BuildResult, Sources]:
    """`build` for a serving process: in the builder process (engine.config.builder), the result
    unpacked on the loop a slice at a time and frozen out of the garbage collector's sight; and
    the sources it read, to recognise the next unchanged reload."""
    built = await build_isolated_sliced(path, env=env, offline=offline)
    return replace(built, doc=None), Sources.of(path, built.doc, env, offline)
