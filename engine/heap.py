"""The cyclic garbage collector kept to the work that matters, in a process that serves.

CPython's collector finds garbage that reference counting cannot (cycles). Each pass of its oldest
generation walks every container object alive: in a serving bot, tens of thousands made at
start-up (modules, the config, the knowledge index, the templates) that live as long as the
process. The collector took about a tenth of the CPU of a production webhook and put 20 ms pauses
into its answers (docs/BENCHMARKS.md, "Webhooks ahead of Quart, and the collector after start-up").

`settle_heap()`, called once a process has started serving, collects what start-up left behind,
freezes the rest (`gc.freeze`: the survivors move where no pass looks) and makes the youngest
generation's passes rarer. A reload freezes its new config the same way (engine.config.builder).
The collector still runs: cycles made while serving are found as before.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNGEST_EVERY", "settle_heap"]

YOUNGEST_EVERY = 10_000
"""Container objects made (net of those freed) between two passes over the youngest generation.
CPython's default, 700, meant a pass every few webhooks; with this the collector's time per webhook
fell to under a third again (docs/BENCHMARKS.md), for about a megabyte more of young objects at most."""


def settle_heap() -> None:
    """Start-up is over: collect its garbage, freeze what is left, make young passes rarer."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNGEST_EVERY, middle, oldest)
