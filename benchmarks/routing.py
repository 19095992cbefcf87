"""Routing benchmark: decision time with 10, 1,000 and 10,000 rules, against a plain scan of every rule.

    python benchmarks/routing.py [--quick] [--sizes 10,1000,10000] [--seed 7] [--serving]

For each size it writes a generated bot (flexcord.yaml + routes/rules.yaml) to a temporary folder,
times `engine.config.build` on it (load, schema, checks, compile), then routes a fixed mix of
messages (early rules, late rules, regex rules, and messages no rule matches) through
`engine.routing.route` and through `tests/naive_router.py` (every rule's conditions in turn, one regex per
rule), and prints p50/p99 per decision and the ratios the targets in docs/BENCHMARKS.md refer to.
`--serving` routes the config as a serving process receives it (built in the helper process, each
regex compiled when first reached, at most 1,024 of them kept).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the baseline router is test code, under tests/

from engine.config import build  # noqa: E402
from engine.config.builder import build_isolated  # noqa: E402
from engine.config.compile.config import compile_config  # noqa: E402
from engine.config.model import Config, ConversationState  # noqa: E402
from engine.events import Decision, Event, User  # noqa: E402
from engine.routing import route  # noqa: E402
from tests.naive_router import NaiveRouter  # noqa: E402

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # a Monday, 10:00 in Los Angeles: support is open
CHANNELS = [f"channel-{i}" for i in range(20)]
COMMON_TEXT = """
account password login refund charge payment order delivery crash bug lag server ban report trade pokemon
raid gym badge event reward coins gems shop pass season friend code update install android iphone tablet
battery sound music language region email verify locked hacked
"""
COMMON = COMMON_TEXT.split()
SYLLABLES_TEXT = "ka ri to mo na shi ze lu pa vo chi ren dai kyo mi sa ta ko ne ra be gu"
SYLLABLES = SYLLABLES_TEXT.split()


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """Realistic keywords: common support words plus made-up game words (item and place names)."""
    words = set(COMMON)
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def generate_rules(count: int, rng: random.Random) -> list[dict[str, Any]]:
    """`count` rules: mostly `says`, some `matches`, spread over DMs and channels and states."""
    words = vocabulary(rng, max(200, count))
    rules: list[dict[str, Any]] = []
    catch_alls = max(1, count // 200)
    for number in range(count - catch_alls):
        when: dict[str, Any] = {}
        kind = rng.random()
        if kind < 0.65:
            says = []
            for _ in range(rng.randint(1, 4)):
                phrase = rng.sample(words, rng.choice([1, 1, 1, 2, 3]))
                says.append(" ".join(phrase))
            when["says"] = says
        elif kind < 0.9:
            a, b, c = rng.sample(words, 3)
            when["matches"] = rng.choice(
                [rf"\b({a}|{b})s?\b", rf"{a}\s+{b}", rf"\b{a}\b.*\b{c}\b", rf"{b}\s*#?\d{{3,}}"]
            )
        else:
            when["says"] = [rng.choice(words)]
            when["matches"] = rf"\d+\s*{rng.choice(words)}"
        place = rng.random()
        if place < 0.5:
            when["where"] = "dm"
        elif place < 0.8:
            when["where"] = rng.sample(CHANNELS, rng.randint(1, 2))
        state = rng.random()
        if state < 0.15:
            when["state"] = "queued"
        elif state < 0.3:
            when["state"] = ["queued", "agent"]
        if rng.random() < 0.05:
            when["roles"] = ["moderator"]
        if rng.random() < 0.05:
            when["hours"] = rng.choice(["open", "closed"])
        action = rng.choice(
            [[{"chatbot": "faq"}], [{"open_case": "support"}, {"handoff": {"queue": "support"}}]]
        )
        rules.append({"name": f"rule {number}", "when": when, "do": action})
    for number in range(count - catch_alls, count):
        rules.append(
            {"name": f"rule {number}", "when": {"where": rng.choice(["dm", *CHANNELS[:5]])}, "do": ["close"]}
        )
    return rules


RULES_PER_FILE = 2000
MAIN = """\
version: 1
name: benchmark
discord: {guild: Benchmark}
include: [routes/*.yaml]
hours: {timezone: America/Los_Angeles, open: {mon-fri: "09:00-18:00"}}
"""


def write_bot(folder: Path, rules: list[dict[str, Any]]) -> Path:
    (folder / "routes").mkdir()
    routes = {
        "roles": ["moderator"],
        "channels": {name: {} for name in CHANNELS},
        "cases": {"support": {"prefix": "SUP", "title": "Help for {{ user.name }}"}},
        "queues": {"support": {"description": "Support"}},
        "chatbots": {"faq": {"type": "knowledge_base"}},
        "rules": rules,
    }
    del routes["rules"]
    (folder / "routes" / "bot.yaml").write_text(yaml.safe_dump(routes, sort_keys=False), encoding="utf-8")
    for part, start in enumerate(range(0, len(rules), RULES_PER_FILE)):  # route files are read up to 1 MiB
        chunk = {"rules": rules[start : start + RULES_PER_FILE]}
        text = yaml.safe_dump(chunk, sort_keys=False)
        (folder / "routes" / f"rules-{part:03d}.yaml").write_text(text, encoding="utf-8")
    (folder / "flexcord.yaml").write_text(MAIN, encoding="utf-8")
    return folder / "flexcord.yaml"


@dataclass(frozen=True)
class Situation:
    event: Event
    state: ConversationState


def _words_of(rule: dict[str, Any], rng: random.Random) -> str:
    when = rule["when"]
    if "says" in when:
        text: str = rng.choice(when["says"])
        if "matches" in when:
            text = f"{rng.randint(1, 99)} {when['matches'].split('*')[-1]} {text}"
        return text
    pattern: str = when.get("matches", "")
    for piece in ("\\b", "(", ")", "s?", "\\s+", "\\s*", "#?", "\\d{3,}", ".*", "|"):
        pattern = pattern.replace(piece, " ")
    return pattern + " 12345"


def situations(rules: list[dict[str, Any]], count: int, rng: random.Random) -> list[Situation]:
    """A mix: 30% keywords of any rule, 30% of the last tenth of the rules, 20% regex rules, 20% noise."""
    user, mod = User("1", "player"), User("2", "mod", ("moderator",))
    late = rules[len(rules) * 9 // 10 :] or rules
    regex_rules = [r for r in rules if "matches" in r["when"]] or rules
    filler = ["hello", "there", "can", "you", "help", "me", "with", "this", "thing", "please", "thanks"]
    out = []
    for i in range(count):
        pick = rng.random()
        if pick < 0.3:
            rule = rng.choice(rules)
        elif pick < 0.6:
            rule = rng.choice(late)
        elif pick < 0.8:
            rule = rng.choice(regex_rules)
        else:
            rule = None
        words = rng.sample(filler, 4)
        if rule is not None:
            words.insert(rng.randint(0, 4), _words_of(rule, rng))
            where = rule["when"].get("where", "dm")
            where = where if isinstance(where, str) else where[0]
            states = rule["when"].get("state", "bot")
            state = cast(ConversationState, states if isinstance(states, str) else states[0])
        else:
            words.append("zzyzx")
            where, state = rng.choice(["dm", *CHANNELS]), "bot"
        text = " ".join(words)
        event = Event("message", str(i), rng.choice([user, user, user, mod]), where, NOW, text=text)
        out.append(Situation(event, state))
    return out


def percentile(samples: list[int], fraction: float) -> float:
    """The value below which `fraction` of the samples fall, in microseconds."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] / 1000


def time_decisions(
    decide: Callable[[Situation], Decision], cases: list[Situation], rounds: int
) -> list[list[int]]:
    """Nanoseconds per decision, per case, over `rounds` passes over all cases."""
    samples: list[list[int]] = [[] for _ in cases]
    clock = time.perf_counter_ns
    for _ in range(rounds):
        for case, times in zip(cases, samples, strict=True):
            start = clock()
            decide(case)
            times.append(clock() - start)
    return samples


@dataclass
class Timing:
    """p50 and p99 of every decision, and p99 of each message's best time (the shape of the work,
    without the moments the machine was busy with something else)."""

    p50: float
    p99: float
    steady_p99: float

    @classmethod
    def of(cls, samples: list[list[int]]) -> Timing:
        every = [t for times in samples for t in times]
        best = [min(times) for times in samples]
        return cls(percentile(every, 0.5), percentile(every, 0.99), percentile(best, 0.99))


@dataclass
class Row:
    rules: int
    build_s: float
    compile_s: float
    route: Timing
    naive: Timing
    matched: float
    load: float


def measure(count: int, quick: bool, seed: int, serving: bool = False) -> Row:
    rng = random.Random(seed + count)
    rules = generate_rules(count, rng)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_bot(Path(tmp), rules)
        start = time.perf_counter()
        result = build(path, env={}, offline=True)
        build_s = time.perf_counter() - start
        if result.config is None:
            sys.exit("the generated config does not build:\n" + "\n".join(str(d) for d in result.errors[:10]))
        config: Config = result.config
        doc, files, version = result.doc, result.files, result.version
        if serving:  # as `flexcord run` gets it: built in the helper process, regexes compiled on first use
            served = build_isolated(path, env={}).config
            assert served is not None
        assert doc is not None
        compile_runs = []
        for _ in range(1 if quick else 3):
            start = time.perf_counter()
            compile_config(doc, root=tmp, files=files, version=version)
            compile_runs.append(time.perf_counter() - start)
    del result, doc  # keep only what a running bot keeps: the Config
    cases = situations(rules, 500 if quick else 2000, rng)
    naive = NaiveRouter(config)
    if serving:
        config = served
    for case in cases:  # same answers, and warm caches, before timing
        fast, slow = route(config, case.event, case.state, NOW), naive.route(case.event, case.state, NOW)
        assert (fast.rule, fast.actions) == (slow.rule, slow.actions), case
    matched = sum(route(config, c.event, c.state, NOW).rule is not None for c in cases) / len(cases)
    indexed = time_decisions(lambda c: route(config, c.event, c.state, NOW), cases, 2 if quick else 10)
    naive_cases = cases[: max(100, len(cases) * 10 // count)] if count > 1000 else cases
    baseline = time_decisions(lambda c: naive.route(c.event, c.state, NOW), naive_cases, 1 if quick else 3)
    return Row(count, build_s, min(compile_runs), Timing.of(indexed), Timing.of(baseline), matched, load)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer messages and rounds (a smoke run)")
    parser.add_argument("--sizes", default="10,1000,10000", help="rule counts, comma-separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--serving", action="store_true", help="route the config a serving process receives")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {machine()}")
    rows = [measure(n, args.quick, args.seed, args.serving) for n in sizes]
    print()
    print(
        "| rules | route p50 µs | route p99 µs | route steady p99 µs | plain scan p50 µs | plain scan p99 µs "
        "| scan/route p50 | build s (validate+compile) | compile s | matched | load avg |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.rules:,} | {r.route.p50:.1f} | {r.route.p99:.1f} | {r.route.steady_p99:.1f} "
            f"| {r.naive.p50:,.1f} | {r.naive.p99:,.1f} | {r.naive.p50 / r.route.p50:,.0f}× "
            f"| {r.build_s:.2f} | {r.compile_s:.2f} | {r.matched:.0%} | {r.load:.1f} |"
        )
    small, large = rows[0], rows[-1]
    n, m = f"{large.rules:,}", f"{small.rules:,}"
    print()
    print(
        f"p99 at {n} rules: {large.route.p99:.1f} µs, steady {large.route.steady_p99:.1f} µs (target ≤ 50 µs)"
    )
    print(
        f"p99 {n} / {m} rules: {large.route.p99 / small.route.p99:.2f}×, "
        f"steady {large.route.steady_p99 / small.route.steady_p99:.2f}× (target ≤ 3×)"
    )
    print(f"plain scan / route p50 at {n} rules: {large.naive.p50 / large.route.p50:,.0f}× (target ≥ 50×)")
    print(
        f"validate+compile of {n} rules: {large.build_s:.2f} s (target ≤ 1 s); "
        f"compile alone {large.compile_s:.2f} s"
    )


if __name__ == "__main__":
    main()
