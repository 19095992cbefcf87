"""The broken-config corpus: configs broken the way community managers break them, one file each.

Each file in tests/corpus/ is dropped into a copy of the demo bot and `flexcord validate` runs on
it. Its first lines say where it goes and what validate must say:

    # goes to: routes/rules.yaml        (optional; default routes/corpus.yaml, a new route file)
    # error: 7: closing quote           (line in that file; words of the message or hint)
    # warning: flexcord.yaml:27: brackets
    # gap: why this is not caught yet   (optional: the case is expected to fail, and counted so)

Every expected problem must be reported at its file and line, with a hint containing the words.
Knowledge-base articles (`*.md`) go to kb/ and carry the same lines in an HTML comment at the end.
A score line (refused / right line / with hint) is printed at the end of the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main as cli
from tests.fixtures.config.demo import copy_demo

CORPUS = Path(__file__).resolve().parent / "corpus"
_HEADER = re.compile(r"^(?:# |<!-- )(goes to|error|warning|gap): (.*?)(?: -->)?$")


@dataclass(frozen=True)
class Expected:
    severity: str
    file: str
    line: int
    words: str


@dataclass
class Case:
    name: str
    target: str
    expected: list[Expected] = field(default_factory=list)
    gap: str | None = None


@dataclass
class Score:
    cases: int = 0
    refused: int = 0
    right_line: int = 0
    with_hint: int = 0


SCORE = Score()


def read_case(path: Path) -> Case:
    lines = path.read_text(encoding="utf-8").splitlines()
    default = f"kb/{path.name}" if path.suffix == ".md" else "routes/corpus.yaml"
    case = Case(path.name, default)
    for line in lines:
        found = _HEADER.match(line)
        if found is None:
            continue
        kind, rest = found.groups()
        if kind == "goes to":
            case.target = rest.strip()
        elif kind == "gap":
            case.gap = rest.strip()
        else:
            place, _, words = rest.partition(": ")
            file, _, line_number = place.rpartition(":")
            case.expected.append(Expected(kind, file or case.target, int(line_number), words.strip()))
    assert case.expected, f"{path.name} says nothing about what validate must report"
    return case


CASES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".yaml", ".md"))


@pytest.fixture(scope="module", autouse=True)
def score_line(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    line = (
        f"broken-config corpus: {SCORE.cases} configs, {SCORE.refused} refused, "
        f"{SCORE.right_line} at the right line, {SCORE.with_hint} with a hint"
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None and SCORE.cases:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(line)


def _validate(case: Case, tmp_path: Path) -> tuple[int, list[dict[str, object]]]:
    main = copy_demo(tmp_path)
    target = tmp_path / case.target
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((CORPUS / case.name).read_bytes())
    result = CliRunner().invoke(cli, ["validate", "-c", str(main), "--format", "json"], env={})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, json.loads(result.output)


def _judge(case: Case, tmp_path: Path) -> str | None:
    """Score one case; None when it is caught at every expected line with a hint, else what went wrong."""
    exit_code, found = _validate(case, tmp_path)
    SCORE.cases += 1
    errors_expected = any(e.severity == "error" for e in case.expected)
    caught = exit_code == 1 if errors_expected else any(d["severity"] == "warning" for d in found)
    at_line = [
        [
            d
            for d in found
            if Path(str(d["file"])) == tmp_path / e.file
            and d["line"] == e.line
            and d["severity"] == e.severity
        ]
        for e in case.expected
    ]
    right_line = caught and all(at_line)
    with_hint = right_line and all(
        any(d["hint"] and e.words.lower() in f"{d['message']} {d['hint']}".lower() for d in ds)
        for e, ds in zip(case.expected, at_line, strict=True)
    )
    SCORE.refused += caught
    SCORE.right_line += right_line
    SCORE.with_hint += with_hint
    shown = "\n".join(
        f"{d['file']}:{d['line']}:{d['col']}: {d['severity']}: {d['message']} ({d['hint']})" for d in found
    )
    if not caught:
        return f"not caught:\n{shown}"
    if not right_line:
        return f"expected {case.expected}, got:\n{shown}"
    if not with_hint:
        return f"expected hints with {[e.words for e in case.expected]}, got:\n{shown}"
    return None


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_a_broken_config_is_caught_at_its_line_with_a_hint(path: Path, tmp_path: Path) -> None:
    case = read_case(path)
    wrong = _judge(case, tmp_path)
    if case.gap:
        assert wrong is not None, f"{path.name} is caught now: remove its 'gap:' line"
        pytest.xfail(case.gap)
    assert wrong is None, wrong
