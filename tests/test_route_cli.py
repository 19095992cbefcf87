"""`flexcord route` and `flexcord test`, run through the real command line on the demo bot."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import xmlschema
from click.testing import CliRunner, Result

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONFIG = str(ROOT / "flexcord.yaml")
JUNIT_XSD = ROOT / "tests" / "fixtures" / "junit" / "junit-10.xsd"
MONDAY_MORNING = "2026-11-23T10:00:00-08:00"
SUNDAY_NIGHT = "2026-11-22T21:00:00-08:00"


def flexcord(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def route(*args: str) -> Result:
    return flexcord("route", "-c", CONFIG, *args)


# --- flexcord route --------------------------------------------------------------------------


def test_a_real_person_is_explained_rule_by_rule() -> None:
    result = route("--where", "dm", "--text", "can I talk to a real person", "--at", MONDAY_MORNING)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("rule 'live agent' matched  (")
    assert "routes/rules.yaml:25:5" in out.splitlines()[0]
    assert "  - open_case: support\n  - handoff: queue=support priority=0\n" in out
    # why the earlier rules did not match, and why the winner did
    assert "1. leave the queue" in out and "NO  state: needs queued, conversation is bot" in out
    assert "2. after hours" in out and "NO  hours: needs closed, support is open now" in out
    assert "3. live agent" in out and "ok  says 'real person' found" in out
    assert "4. billing" not in out
    assert "support is open" in out.splitlines()[-1]


def test_on_a_sunday_night_after_hours_wins() -> None:
    result = route("--text", "can I talk to a real person", "--at", SUNDAY_NIGHT)
    assert result.exit_code == 0
    assert result.stdout.startswith("rule 'after hours' matched")
    assert "  - reply: message=after_hours\n  - open_case: support\n" in result.stdout
    assert "support is closed; it opens Monday at 09:00 (America/Los_Angeles)" in result.stdout


def test_without_at_the_output_says_the_current_time_decides() -> None:
    result = route("--text", "can I talk to a real person")
    assert result.exit_code == 0
    assert "the current time" in result.stdout
    assert "Pass --at" in result.stdout
    if result.stdout.startswith("rule 'after hours'"):
        assert "NOTE: 'after hours' matched because of the time of day" in result.stdout


def test_expect_passes_and_fails_with_exit_codes() -> None:
    ok = route("--text", "I want a refund", "--at", MONDAY_MORNING, "--expect", "billing")
    assert ok.exit_code == 0
    wrong = route("--text", "I want a refund", "--at", MONDAY_MORNING, "--expect", "live agent")
    assert wrong.exit_code == 1
    assert "FAIL: expected rule 'live agent' but 'billing' matched" in wrong.stderr


def test_a_refused_command() -> None:
    result = route("--where", "general", "--command", "bug", "--at", MONDAY_MORNING, "--expect", "bug")
    assert result.exit_code == 1
    assert result.stdout.startswith("refused: Use /bug in #bug-report.")
    assert "NO  channel: needs #bug-report, got #general" in result.stdout


def test_an_allowed_command_for_a_moderator() -> None:
    result = route(
        "--where", "general", "--command", "case", "--user-roles", "moderator", "--option", "ref=BUG-1",
        "--at", MONDAY_MORNING, "--expect", "/case",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("command /case allowed  (")
    assert "ok  roles: user has moderator" in result.stdout


def test_relay_while_with_an_agent() -> None:
    result = route("--text", "my trainer id is 1234", "--state", "agent", "--at", MONDAY_MORNING)
    assert result.stdout.startswith("no rule matched")
    assert "relay (the message goes to the agent)" in result.stdout


def test_json_output() -> None:
    result = route("--text", "hello there", "--at", MONDAY_MORNING, "--format", "json")
    report = json.loads(result.stdout)
    assert report["rule"] == "everything else"
    assert report["actions"] == ["chatbot: faq"]
    assert report["hours_open"] is True
    assert [t["rule"] for t in report["trace"]][-1] == "everything else"
    assert report["trace"][0]["checks"][1] == {
        "condition": "state",
        "ok": False,
        "detail": "state: needs queued, conversation is bot",
    }


def test_a_bad_time_is_a_usage_error() -> None:
    result = route("--text", "hi", "--at", "teatime")
    assert result.exit_code == 2
    assert "'teatime' is not a time" in result.output


def test_a_broken_config_prints_its_errors_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "flexcord.yaml").write_text("version: 1\nrules: [{name: x}]\n", encoding="utf-8")
    result = flexcord("route", "-c", str(tmp_path / "flexcord.yaml"), "--text", "hi")
    assert result.exit_code == 1
    assert "flexcord.yaml:2:" in result.stderr
    assert "the config has errors" in result.stderr


# --- flexcord test ---------------------------------------------------------------------------


def test_the_shipped_demo_tests_pass(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    result = flexcord("test", "-c", CONFIG, "--junit", str(report))
    assert result.exit_code == 0, result.output
    files = sorted((ROOT / "tests" / "routes").glob("*.yaml"))  # the demo's, and case threads'
    count = sum(len(file.read_text(encoding="utf-8").split("\n  - name:")) - 1 for file in files)
    assert result.stdout.rstrip().endswith(f"{count} passed, 0 failed")
    assert "PASS " in result.stdout and "FAIL " not in result.stdout
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(report))
    suites = ET.parse(report).getroot()
    assert (suites.get("tests"), suites.get("failures"), suites.get("errors")) == (str(count), "0", "0")


WRONG = """\
# yaml-language-server: $schema=../../schemas/route-tests.schema.json
tests:
  - name: a refund goes to a person
    text: I want a refund
    at: 2026-11-23T10:00:00-08:00
    expect:
      rule: live agent
      actions: [open_case: support, handoff: {queue: support}]
  - name: cancel while queued
    text: cancel
    state: queued
    expect: {rule: leave the queue}
"""


def test_a_wrong_expectation_fails_with_a_diff(tmp_path: Path) -> None:
    tests = tmp_path / "wrong.yaml"
    tests.write_text(WRONG, encoding="utf-8")
    report = tmp_path / "junit.xml"
    result = flexcord("test", str(tests), "-c", CONFIG, "--junit", str(report))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"FAIL {tests}:3 a refund goes to a person"
    assert "     expected rule: 'live agent'" in lines
    assert "          got rule: 'billing'" in lines
    keywords = "'agent', 'human', 'real person', 'talk to someone'"
    assert any(line.startswith(f"     why not 'live agent': says: none of {keywords}, ") for line in lines)
    assert "     expected actions: open_case: support, handoff: queue=support priority=0" in lines
    assert "          got actions: open_case: support, handoff: queue=billing priority=10" in lines
    assert any(line.startswith("     why: rule 'billing' matched: matches") for line in lines)
    assert f"PASS {tests}:9 cancel while queued" in lines
    assert lines[-1] == "1 passed, 1 failed"
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure is not None and failure.get("message") == "expected rule: 'live agent'"


def test_a_wrong_refusal_text_fails(tmp_path: Path) -> None:
    tests = tmp_path / "refusal.yaml"
    tests.write_text(
        "tests:\n"
        "  - name: bug in general\n"
        "    where: general\n"
        "    command: bug\n"
        "    expect: {refused: Only moderators}\n",
        encoding="utf-8",
    )
    result = flexcord("test", str(tests), "-c", CONFIG)
    assert result.exit_code == 1
    assert '     expected a refusal saying "Only moderators"' in result.stdout
    assert '             got a refusal saying "Use /bug in #bug-report."' in result.stdout


def test_a_test_without_a_message_fails_with_its_line_and_the_others_still_run(tmp_path: Path) -> None:
    tests = tmp_path / "broken.yaml"
    tests.write_text(
        "tests:\n"
        "  - name: fine\n"
        "    text: hi\n"
        "    expect: {rule: everything else}\n"
        "  - name: no message\n"
        "    expect: {rule: billing}\n"
        "  - name: typo\n"
        "    text: hi\n"
        "    expcet: {rule: billing}\n"
        "    expect: {actions: [teleport: home]}\n"
        "  - name: also fine\n"
        "    text: agent\n"
        "    expect: {rule: live agent}\n",
        encoding="utf-8",
    )
    result = flexcord("test", str(tests), "-c", CONFIG)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"PASS {tests}:2 fine"
    assert lines[1] == f"FAIL {tests}:5 no message"
    assert lines[2] == (
        f"     {tests}:5:5: a test needs `text` (a message), `command` (a slash command) or `button`"
    )
    assert f"FAIL {tests}:7 typo" in lines
    assert any(line.startswith(f"     {tests}:9:5: unknown field 'expcet'") for line in lines), lines
    assert any("did you mean 'expect'?" in line for line in lines), lines
    assert f"PASS {tests}:11 also fine" in lines
    assert lines[-1] == "2 passed, 2 failed"


def test_an_expected_rule_that_does_not_exist_says_so(tmp_path: Path) -> None:
    tests = tmp_path / "unknown.yaml"
    tests.write_text(
        "tests:\n  - name: refund\n    text: I want a refund\n    expect: {rule: biling}\n",
        encoding="utf-8",
    )
    result = flexcord("test", str(tests), "-c", CONFIG)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        f"FAIL {tests}:2 refund",
        "     expected rule 'biling' does not exist in the config: did you mean 'billing'?",
    ]


def test_the_junit_report_is_valid_for_jenkins_and_counts_an_unreadable_file(tmp_path: Path) -> None:
    wrong, broken, unreadable = tmp_path / "wrong.yaml", tmp_path / "broken.yaml", tmp_path / "bad.yaml"
    wrong.write_text(WRONG, encoding="utf-8")
    broken.write_text("tests:\n  - name: typo\n    txt: hi\n    expect: {rule: billing}\n", encoding="utf-8")
    unreadable.write_text("tests: [\n", encoding="utf-8")
    report = tmp_path / "junit.xml"
    result = flexcord("test", str(wrong), str(broken), str(unreadable), "-c", CONFIG, "--junit", str(report))
    assert result.exit_code == 1
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(report))
    suites = ET.parse(report).getroot()
    assert (suites.get("tests"), suites.get("failures"), suites.get("errors")) == ("4", "1", "2")
    counts = [(s.get("name"), s.get("tests"), s.get("failures"), s.get("errors")) for s in suites]
    assert counts == [
        (str(wrong), "2", "1", "0"),
        (str(broken), "1", "0", "1"),
        (str(unreadable), "1", "0", "1"),
    ]
    error = suites.find("testsuite[3]/testcase/error")
    assert error is not None and error.get("message")
    assert (error.text or "").startswith(f"{unreadable}:2:1: error: ")


def test_an_unknown_action_in_a_test_file_has_its_line(tmp_path: Path) -> None:
    tests = tmp_path / "action.yaml"
    tests.write_text(
        "tests:\n  - name: x\n    text: hi\n    expect:\n      actions: [chatbot: faq, teleport: home]\n",
        encoding="utf-8",
    )
    result = flexcord("test", str(tests), "-c", CONFIG)
    assert result.exit_code == 1
    assert f"     {tests}:5:" in result.stdout and "unknown action 'teleport'" in result.stdout


def test_a_test_without_expect_says_what_to_add(tmp_path: Path) -> None:
    tests = tmp_path / "missing.yaml"
    tests.write_text("tests:\n  - name: refund\n    text: I want a refund\n", encoding="utf-8")
    result = flexcord("test", str(tests), "-c", CONFIG)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        f"FAIL {tests}:2 refund",
        f"     {tests}:2:5: this test has no 'expect' "
        "(add what should happen, like expect: {rule: billing})",
    ]
