"""FAQ bot quality: how often the bot shows the right article, per kind of question and per language.

    python benchmarks/faq.py                      # figures on the tuning and the held-out parts
    python benchmarks/faq.py --part held          # only the held-out part
    python benchmarks/faq.py --calibrate          # fit the confidence model on the tuning part
    python benchmarks/faq.py --sweep              # how 'not sure' and answers trade off, tuning part
    python benchmarks/faq.py --reliability        # how often each confidence band was right, both parts
    python benchmarks/faq.py --baseline 6159a96   # the same questions put to an older version's search
    python benchmarks/faq.py --part held --baseline main  # "before" for a change: main's search
    python benchmarks/faq.py --misses             # the tuning part's misses, one by one
    python benchmarks/faq.py --misses extra.yaml  # the misses of your own questions (same format)

The labelled questions are in tests/faq_questions.yaml. Each is put to the bot's own decision
(`engine.chatbot.suggest.suggestions`, with the demo's `min_confidence` and 3 suggestions):

- top-1: the right article is the first one shown; top-3: it is among those shown;
- not sure: an off-topic question got the "not sure" answer (no article shown);
- own language: a non-English question's first article is in the question's language.

`--baseline REV` puts the same questions (this tests/faq_questions.yaml) to an older commit: when
that commit has its own benchmarks/faq.py, it is run from an export of the commit (its engine, its
articles), so `--part held --baseline main` is "before" for a change. Older commits (the SQLite FTS5
search) have their engine/knowledge/index.py read with git and run here, with that version's rule for
what to show and only the default-language articles.

`--misses` lists, one by one, the tuning part's questions the bot got wrong (or those of a file of
your own in the same format): never the held-out part's, which is only ever measured as a whole.

`--calibrate` fits the logistic model behind the confidence (engine/knowledge/confidence.py) on
the tuning part only, and prints the coefficients to paste into COEFFICIENTS.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.chatbot.suggest import suggestions  # noqa: E402
from engine.knowledge import KnowledgeBase  # noqa: E402
from engine.language import language_of  # noqa: E402

QUESTIONS = ROOT / "tests" / "faq_questions.yaml"
MIN_CONFIDENCE = 0.5
LIMIT = 3


@dataclass(frozen=True)
class Result:
    """One labelled question and what the bot showed for it."""

    lang: str
    kind: str
    part: str
    expect: str | None
    shown: tuple[str, ...]
    shown_language: str | None

    @property
    def top1(self) -> bool:
        return bool(self.shown) and self.shown[0] == self.expect

    @property
    def top3(self) -> bool:
        return self.expect in self.shown

    @property
    def not_sure(self) -> bool:
        return not self.shown


def load_questions(part: str = "all", path: Path = QUESTIONS) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [row for row in rows if part in ("all", row.get("part", "tune"))]


def run(
    kb: KnowledgeBase, rows: Iterable[dict[str, str]], min_confidence: float = MIN_CONFIDENCE
) -> list[Result]:
    results = []
    for row in rows:
        found = suggestions(kb, row["q"], limit=LIMIT, min_confidence=min_confidence)
        shown = tuple(hit.article.slug for hit in found.shown)
        locale = found.shown[0].article.locale if found.shown else None
        language = language_of(locale) if locale else (kb.default_language if found.shown else None)
        results.append(
            Result(row["lang"], row["kind"], row.get("part", "tune"), row["expect"], shown, language)
        )
    return results


def figures(results: list[Result]) -> dict[str, str]:
    """top-1, top-3 (on-topic questions), not sure (off-topic), own language (non-English), as percentages."""
    on = [r for r in results if r.expect]
    off = [r for r in results if not r.expect]
    foreign = [r for r in on if r.lang != "en" and r.shown]

    def pct(hits: int, total: int) -> str:
        return f"{100 * hits / total:.0f}% ({hits}/{total})" if total else "-"

    return {
        "top-1": pct(sum(r.top1 for r in on), len(on)),
        "top-3": pct(sum(r.top3 for r in on), len(on)),
        "not sure (off-topic)": pct(sum(r.not_sure for r in off), len(off)),
        "own language": pct(sum(r.shown_language == r.lang for r in foreign), len(foreign)),
    }


def table(title: str, groups: dict[str, list[Result]]) -> None:
    columns = ["top-1", "top-3", "not sure (off-topic)", "own language"]
    print(f"\n{title}\n")
    print("| group | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for name, results in groups.items():
        values = figures(results)
        print(f"| {name} | " + " | ".join(values[c] for c in columns) + " |")


def baseline_run(revision: str, rows: Iterable[dict[str, str]]) -> list[Result]:
    """The questions put to an older version's search (FTS5 bm25 before this one): its floor and cut."""
    import importlib.util
    import subprocess
    import tempfile

    from engine.knowledge import load_articles

    source = subprocess.run(
        ["git", "show", f"{revision}:engine/knowledge/index.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tempfile.NamedTemporaryFile("wb", suffix=".py") as file:
        file.write(source)
        file.flush()
        spec = importlib.util.spec_from_file_location("baseline_index", file.name)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["baseline_index"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    old = module.KnowledgeBase([a for a in load_articles(ROOT / "kb") if a.locale is None])
    results = []
    for row in rows:
        hits = [h for h in old.search(row["q"], limit=LIMIT) if h.score >= module.RELEVANCE_FLOOR]
        shown = tuple(h.article.slug for h in hits if h.score >= hits[0].score * 0.3) if hits else ()
        results.append(
            Result(row["lang"], row["kind"], row["part"], row["expect"], shown, "en" if shown else None)
        )
    return results


def baseline_tree(revision: str, part: str) -> bool:
    """Run `revision`'s benchmarks/faq.py on this labelled set, from an export of it; False if it has none."""
    import io
    import shutil
    import subprocess
    import tarfile
    import tempfile

    has = subprocess.run(
        ["git", "cat-file", "-e", f"{revision}:benchmarks/faq.py"], cwd=ROOT, capture_output=True
    )
    if has.returncode != 0:
        return False
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as folder, tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        shutil.copy(QUESTIONS, Path(folder) / "tests" / "faq_questions.yaml")
        print(f"(the search of {revision}, run from an export of it)", flush=True)
        subprocess.run([sys.executable, "benchmarks/faq.py", "--part", part], cwd=folder, check=True)
    return True


def report(kb: KnowledgeBase, part: str, baseline: str | None = None) -> None:
    started = time.perf_counter()
    rows = load_questions(part)
    results = baseline_run(baseline, rows) if baseline else run(kb, rows)
    took = time.perf_counter() - started
    for chosen in ("tune", "held") if part == "all" else (part,):
        mine = [r for r in results if r.part == chosen]
        by_lang: dict[str, list[Result]] = defaultdict(list)
        by_kind: dict[str, list[Result]] = defaultdict(list)
        for r in mine:
            by_lang[r.lang].append(r)
            by_kind[f"{r.kind} ({'en' if r.lang == 'en' else 'other'})"].append(r)
        by_lang["all"] = mine
        table(f"{chosen} part, by language", dict(sorted(by_lang.items())))
        table(f"{chosen} part, by kind", dict(sorted(by_kind.items())))
    print(f"\n{len(results)} questions in {took:.2f} s ({1000 * took / max(1, len(results)):.1f} ms each)")
    print(f"Python {platform.python_version()}, {platform.machine()}, min_confidence {MIN_CONFIDENCE}")


def sweep(kb: KnowledgeBase) -> None:
    rows = load_questions("tune")
    print("| min_confidence | top-1 | top-3 | not sure (off-topic) |\n|---:|---:|---:|---:|")
    for step in range(2, 9):
        value = step / 10
        f = figures(run(kb, rows, value))
        print(f"| {value:.1f} | {f['top-1']} | {f['top-3']} | {f['not sure (off-topic)']} |")


def reliability(kb: KnowledgeBase) -> None:
    """Does the confidence mean what it says: the two best articles of each question, right or not."""
    print("| confidence | tuning part | held-out part |\n|---|---:|---:|")
    bands: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row in load_questions():
        found = suggestions(kb, row["q"], limit=LIMIT, min_confidence=MIN_CONFIDENCE)
        for hit in found.candidates[:2]:
            band = min(4, int(hit.confidence * 5))
            bands[(band, row["part"])].append(int(hit.article.slug == row["expect"]))
    for band in range(5):
        cells = []
        for part in ("tune", "held"):
            got = bands[(band, part)]
            cells.append(f"{100 * sum(got) / len(got):.0f}% ({sum(got)}/{len(got)})" if got else "-")
        print(f"| {band / 5:.1f} to {(band + 1) / 5:.1f} | " + " | ".join(cells) + " |")


def calibrate(kb: KnowledgeBase, rounds: int = 4) -> tuple[float, ...]:
    """Fit the confidence model on the tuning part: the two best articles of each question, right or not."""
    rows = load_questions("tune")
    coefficients = kb.coefficients
    for _ in range(rounds):
        samples: list[tuple[tuple[float, ...], int]] = []
        for row in rows:
            for language in kb.languages_for(row["q"]):
                for hit in kb.search_in(language, row["q"], limit=2):
                    assert hit.features is not None
                    samples.append((hit.features.vector(), int(hit.article.slug == row["expect"])))
        coefficients = fit(samples)
        kb.coefficients = coefficients
    return coefficients


def fit(
    samples: list[tuple[tuple[float, ...], int]], steps: int = 4000, rate: float = 0.5
) -> tuple[float, ...]:
    """Logistic regression by gradient descent, with a little L2 so the weights stay sensible."""
    width = len(samples[0][0]) + 1
    w = [0.0] * width
    n = len(samples)
    for _ in range(steps):
        grad = [0.0] * width
        for x, y in samples:
            z = w[0] + sum(wi * xi for wi, xi in zip(w[1:], x, strict=True))
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
            grad[0] += p - y
            for i, xi in enumerate(x, start=1):
                grad[i] += (p - y) * xi
        w = [
            wi - rate * (g / n + (0.001 * wi if i else 0.0))
            for i, (wi, g) in enumerate(zip(w, grad, strict=True))
        ]
    return tuple(round(wi, 2) for wi in w)


def misses(kb: KnowledgeBase, path: Path | None) -> None:
    """The tuning part's misses (or a file of your own), each with what was shown and how sure."""
    rows = load_questions("tune", path or QUESTIONS)  # a question without a part counts as tuning
    wrong = 0
    for row in rows:
        found = suggestions(kb, row["q"], limit=LIMIT, min_confidence=MIN_CONFIDENCE)
        shown = [hit.article.slug for hit in found.shown]
        if (row["expect"] in shown) if row["expect"] else not shown:
            continue
        wrong += 1
        best = ", ".join(f"{h.article.slug} {h.confidence:.2f}" for h in found.candidates[:3])
        print(f"[{row['lang']} {row['kind']}] {row['q']}\n    want {row['expect']}; got {best or '-'}")
    print(f"\n{wrong} of {len(rows)} missed")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["all", "tune", "held"], default="all")
    parser.add_argument(
        "--calibrate", action="store_true", help="fit the confidence model on the tuning part"
    )
    parser.add_argument("--sweep", action="store_true", help="figures for several min_confidence values")
    parser.add_argument("--reliability", action="store_true", help="how often each confidence band was right")
    parser.add_argument("--baseline", metavar="REV", help="measure the search of this older commit instead")
    parser.add_argument(
        "--misses", nargs="?", const="", metavar="FILE", help="list the tuning part's misses (or FILE's)"
    )
    args = parser.parse_args()
    kb = KnowledgeBase.build(ROOT / "kb")
    if args.misses is not None:
        misses(kb, Path(args.misses) if args.misses else None)
        return
    if args.calibrate:
        print("COEFFICIENTS =", calibrate(kb))
    if args.sweep:
        sweep(kb)
        return
    if args.reliability:
        reliability(kb)
        return
    if args.baseline and baseline_tree(args.baseline, args.part):
        return
    report(kb, args.part, args.baseline)


if __name__ == "__main__":
    main()
