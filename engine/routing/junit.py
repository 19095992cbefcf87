"""Route test results as JUnit XML, in the shape Jenkins' junit-10.xsd accepts (`flexcord test --junit`).

One `testsuite` per test file (its path in `file`), one `testcase` per test; a test that fails
carries a `failure`, a broken test (a mistake in the test itself) an `error`, and a file that
cannot be read at all becomes a suite with one `error` case, so CI counts it instead of 0 tests.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

from engine.config.diagnostics import Diagnostic
from engine.routing.route_tests import RouteTestResult

__all__ = ["junit_xml"]


def junit_xml(
    files: Sequence[str],
    results: Mapping[str, Sequence[RouteTestResult]],
    unreadable: Mapping[str, Sequence[Diagnostic]],
) -> bytes:
    """The report for `files` in order: each was run (`results`) or could not be read (`unreadable`)."""
    suites = ET.Element("testsuites", name="flexcord route tests")
    totals = [0, 0, 0]  # tests, failures, errors
    for file in files:
        if file in unreadable:
            counts = _unreadable_suite(suites, file, unreadable[file])
        else:
            counts = _suite(suites, file, results.get(file, ()))
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    suites.set("tests", str(totals[0]))
    suites.set("failures", str(totals[1]))
    suites.set("errors", str(totals[2]))
    body: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return body


def _suite(parent: ET.Element, file: str, results: Sequence[RouteTestResult]) -> tuple[int, int, int]:
    errors = sum(1 for r in results if r.test.broken)
    failures = sum(1 for r in results if not r.passed and not r.test.broken)
    suite = _suite_element(parent, file, len(results), failures, errors)
    for result in results:
        test = result.test
        case = ET.SubElement(suite, "testcase", classname=Path(file).stem, name=test.name)
        where = f"{test.mark.file}:{test.mark.line}"
        if result.passed:
            continue
        kind = "error" if test.broken else "failure"
        outcome = ET.SubElement(case, kind, message=result.problems[0], type=kind)
        outcome.text = "\n".join([where, *result.problems])
    return len(results), failures, errors


def _unreadable_suite(parent: ET.Element, file: str, problems: Sequence[Diagnostic]) -> tuple[int, int, int]:
    suite = _suite_element(parent, file, 1, 0, 1)
    case = ET.SubElement(suite, "testcase", classname=Path(file).stem, name=f"read {file}")
    first = problems[0] if problems else Diagnostic(file, 1, 1, "error", "cannot read this file")
    error = ET.SubElement(case, "error", message=f"{first.message}", type="unreadable")
    error.text = "\n".join(str(d) for d in problems)
    return 1, 0, 1


def _suite_element(parent: ET.Element, file: str, tests: int, failures: int, errors: int) -> ET.Element:
    return ET.SubElement(
        parent,
        "testsuite",
        name=file,
        file=file,
        tests=str(tests),
        failures=str(failures),
        errors=str(errors),
    )
