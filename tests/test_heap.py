"""Once a process serves, the collector no longer walks what start-up made, and still finds new cycles.

Each case runs in a fresh interpreter: freezing the collector's view of this test process would
keep every later test's garbage cycles alive.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import gc, json, weakref
from engine.config import build
from engine.heap import YOUNGEST_EVERY, settle_heap
from engine.runtime import build_generation

class Node:
    pass

generation = build_generation(build("flexcord.yaml", offline=True).config)
left = Node(); left.me = left; left_gone = weakref.ref(left); del left  # start-up's garbage cycle
walked_before = len(gc.get_objects())
settle_heap()
walked_after = len(gc.get_objects())
serving = {id(o) for o in gc.get_objects()}
later = Node(); later.me = later; later_gone = weakref.ref(later); del later  # made while serving
gc.collect()
print(json.dumps({
    "walked_before": walked_before,
    "walked_after": walked_after,
    "frozen": gc.get_freeze_count(),
    "config_walked": id(generation.config) in serving or id(generation) in serving,
    "startup_cycle_freed": left_gone() is None,
    "later_cycle_freed": later_gone() is None,
    "youngest_every": gc.get_threshold()[0] == YOUNGEST_EVERY,
}))
"""


def test_after_start_up_a_full_pass_walks_only_what_serving_made(repo_root: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=repo_root, capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["startup_cycle_freed"]  # collected before the freeze, not kept for ever
    assert not seen["config_walked"]
    assert seen["frozen"] > 10_000 and seen["walked_after"] < seen["walked_before"] / 10
    assert seen["later_cycle_freed"]  # the collector still finds cycles made while serving
    assert seen["youngest_every"]
