"""What a reload runs off the event loop, and how it keeps the loop responsive meanwhile."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from engine.config import BuildResult, build
from engine.reload.release import dismantle, hold, release
from engine.reload.sources import Sources

__all__ = ["SWITCH_INTERVAL_S", "build_for_reload", "hold", "release", "short_switches"]

SWITCH_INTERVAL_S = 0.0005
"""While a reload works in a worker thread, the thread hands the interpreter lock to the event loop
at least this often (Python's default is 5 ms; the loop's p99 wait halves, the build takes ~4% longer)."""


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


def build_for_reload(path: Path, env: Mapping[str, str] | None, offline: bool) -> tuple[BuildResult, Sources]:
    """`build` for a serving process (in a worker thread): the new config frozen out of the garbage
    collector's sight, and the marked document taken apart here rather than freed on the loop."""
    built = build(path, env=env, offline=offline, freeze=True)
    read = Sources.of(path, built.doc, env, offline)
    if built.doc is not None:
        dismantle(built.doc)
    return replace(built, doc=None), read
