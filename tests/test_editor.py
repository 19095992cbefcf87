"""What an editor shows: the real yaml-language-server over the shipped YAML and over broken files.

Community managers edit in VS Code or another editor running yaml-language-server, which checks
each file against the schema named on its first line. The shipped files must show no problem at
all there, and a broken file must show the problem where the CLI shows it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.yamlls import ROOT, LanguageServer, install

SHIPPED = [
    ROOT / "flexcord.yaml",
    *sorted((ROOT / "routes").glob("*.yaml")),
    ROOT / "tests" / "kb_queries.yaml",
    ROOT / "tests" / "routes" / "demo.yaml",
]


@pytest.fixture(scope="module")
def server() -> Iterator[LanguageServer]:
    problem = install()
    if problem is not None:
        pytest.skip(problem)
    running = LanguageServer(ROOT)
    yield running
    running.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the demo bot with its schemas, so files can be broken without touching the real ones."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    shutil.copytree(ROOT / "routes", tmp_path / "routes")
    shutil.copy(ROOT / "flexcord.yaml", tmp_path / "flexcord.yaml")
    return tmp_path


def opened(server: LanguageServer, path: Path, text: str) -> list[tuple[int, str]]:
    """(1-based line, message) of each problem the editor shows in `path` holding `text`."""
    path.write_text(text, encoding="utf-8")
    server.open(path)
    return [(d["range"]["start"]["line"] + 1, d["message"]) for d in server.diagnostics(path)]


def test_every_shipped_yaml_file_shows_no_problem_in_the_editor(server: LanguageServer) -> None:
    for path in SHIPPED:
        assert path.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema="), path
        server.open(path)
    shown = {path.relative_to(ROOT).as_posix(): server.diagnostics(path) for path in SHIPPED}
    assert shown == {name: [] for name in shown}


def test_a_misspelt_key_is_shown_at_its_line(server: LanguageServer, project: Path) -> None:
    text = (
        (ROOT / "routes" / "server.yaml")
        .read_text(encoding="utf-8")
        .replace("    topic: flexcord", "    topik: flexcord")
    )
    line = text.splitlines().index("    topik: flexcord reports problems here") + 1
    assert opened(server, project / "routes" / "server.yaml", text) == [
        (line, "Property topik is not allowed.")
    ]


def test_a_yaml_syntax_error_is_shown_at_its_line(server: LanguageServer, project: Path) -> None:
    text = "# yaml-language-server: $schema=../schemas/routes.schema.json\nroles: [admin\nchannels: {}\n"
    shown = opened(server, project / "routes" / "server.yaml", text)
    assert shown and shown[0][0] in (2, 3)


def test_a_value_from_the_environment_is_accepted_and_a_wrong_default_explained(
    server: LanguageServer, project: Path
) -> None:
    text = (ROOT / "flexcord.yaml").read_text(encoding="utf-8")
    text = text.replace("${FLEXCORD_LISTEN:-127.0.0.1:8080}", "${FLEXCORD_LISTEN:-127.0.0.1}")
    line = text.splitlines().index("  listen: ${FLEXCORD_LISTEN:-127.0.0.1}") + 1
    assert opened(server, project / "flexcord.yaml", text) == [
        (line, "Not a valid listen address: Write host:port, like 127.0.0.1:8080.")
    ]


def test_a_command_name_in_capitals_is_explained_in_plain_words(
    server: LanguageServer, project: Path
) -> None:
    text = (ROOT / "routes" / "commands.yaml").read_text(encoding="utf-8").replace("  helpme:", "  HelpMe:")
    line = text.splitlines().index("  HelpMe:") + 1
    shown = opened(server, project / "routes" / "commands.yaml", text)
    assert shown == [
        (
            line,
            "Not a valid name: Use lowercase letters (of any alphabet), digits, - and _ only, "
            "like bug_report or помощь.",
        )
    ]


def test_a_name_in_another_alphabet_is_accepted(server: LanguageServer, project: Path) -> None:
    text = (ROOT / "routes" / "commands.yaml").read_text(encoding="utf-8").replace("  helpme:", "  помощь:")
    assert opened(server, project / "routes" / "commands.yaml", text) == []


def test_completion_works_in_block_style(server: LanguageServer, project: Path) -> None:
    text = (
        "# yaml-language-server: $schema=../schemas/routes.schema.json\n"
        "rules:\n  - name: x\n    when:\n      where: dm\n      \n    do:\n      - \n"
    )
    path = project / "routes" / "block.yaml"
    opened(server, path, text)  # half-written: an empty list item is a problem until filled in
    assert {"says", "matches", "hours"} <= set(server.completion(path, 5, 6))
    assert {"reply", "chatbot", "handoff"} <= set(server.completion(path, 7, 8))


def test_completion_works_inside_the_brackets_the_shipped_files_use(
    server: LanguageServer, project: Path
) -> None:
    text = (
        "# yaml-language-server: $schema=../schemas/routes.schema.json\n"
        "rules:\n  - name: x\n    when: {where: dm, s}\n    do: [chatbot: faq, ]\n"
    )
    path = project / "routes" / "flow.yaml"
    opened(server, path, text)
    assert {"says", "matches", "state"} <= set(server.completion(path, 3, 23))
    offered = server.completion(path, 4, 24)
    assert {"open_case: bug", "handoff: {queue: support}", "close"} <= set(offered)


def with_fresh_line(text: str, under: str, after: str, indent: int, typed: str = "") -> tuple[str, int]:
    """`text` with a new line of `indent` spaces (and `typed`) where a manager starts typing: at the
    end of the block that starts with the line `after`, the first such line below the line `under`;
    and the new line's 0-based number."""
    lines = text.splitlines()
    start = lines.index(under)
    at = next(i for i in range(start, len(lines)) if lines[i].startswith(after))
    depth = len(after) - len(after.lstrip(" "))
    end = at + 1
    while end < len(lines) and (
        not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) > depth
    ):
        end += 1
    while not lines[end - 1].strip():
        end -= 1
    return "\n".join([*lines[:end], " " * indent + typed, *lines[end:]]) + "\n", end


def offered_on_a_fresh_line(
    server: LanguageServer, copy: Path, under: str, after: str, indent: int, typed: str = ""
) -> set[str]:
    """What the editor offers on a new line typed into a copy of the shipped file of the same name
    (a new copy each time: a document is opened once)."""
    shipped = (ROOT / "routes" / copy.name).read_text(encoding="utf-8")
    text, line = with_fresh_line(shipped, under, after, indent, typed)
    opened(server, copy, text)
    return set(server.completion(copy, line, indent + len(typed)))


def test_a_fresh_line_inside_a_shipped_rule_offers_what_the_rule_may_still_say(
    server: LanguageServer, project: Path
) -> None:
    conditions = {"says", "matches", "roles", "state", "hours", "language"}
    for number, (rule, written) in enumerate(
        [("billing", {"where", "matches"}), ("everything else", {"where"})]
    ):
        copy = project / f"routes-{number}" / "rules.yaml"
        copy.parent.mkdir()
        offered = offered_on_a_fresh_line(server, copy, f"  - name: {rule}", "    when:", 6)
        assert conditions - written <= offered, rule
    copy = project / "routes" / "rules.yaml"
    assert "priority" in offered_on_a_fresh_line(server, copy, "  - name: live agent", "      - handoff:", 10)
    copy = project / "routes-2" / "rules.yaml"
    copy.parent.mkdir()
    offered = offered_on_a_fresh_line(server, copy, "  - name: everything else", "    do:", 6, "- ")
    assert {"reply", "handoff", "open_case: bug"} <= offered


def test_a_fresh_line_inside_other_shipped_route_files_offers_their_keys(
    server: LanguageServer, project: Path
) -> None:
    copy = project / "routes" / "commands.yaml"
    assert {"reply", "dm", "post", "chatbot"} <= offered_on_a_fresh_line(
        server, copy, "  bug:", "    do:", 6, "- "
    )
    copy = project / "routes" / "rules.yaml"
    assert {"skills", "sla", "conversation"} <= offered_on_a_fresh_line(
        server, copy, "queues:", "  support:", 4
    )


def test_number_settings_from_the_environment_are_accepted_and_a_wrong_default_explained(
    server: LanguageServer, project: Path
) -> None:
    text = (ROOT / "flexcord.yaml").read_text(encoding="utf-8")
    text = text.replace("  max_body_bytes: 65536", "  max_body_bytes: ${FLEXCORD_MAX_BODY:-65536}")
    text = text.replace("  listen: ${FLEXCORD_LISTEN:-127.0.0.1:8080}", "  listen: 0.0.0.0:${PORT:-8080}")
    text = text.replace("  message_length: 2000", '  message_length: "${MESSAGE_LENGTH}"')
    text = text.replace("  queue_timeout: 15m ", "  queue_timeout: ${QUEUE_TIMEOUT:-15m} ")
    text = text.replace("storage:", "retention:\n  delivered: ${KEEP_DELIVERED:-7d}\n\nstorage:", 1)
    text += "\nattachments:\n  max_size: ${MAX_FILE:-2MB}\n  max_per_message: ${MAX_FILES}\n"
    assert opened(server, project / "flexcord.yaml", text) == []

    wrong = text.replace("${FLEXCORD_MAX_BODY:-65536}", "${FLEXCORD_MAX_BODY:-64KB}")
    wrong = wrong.replace("${QUEUE_TIMEOUT:-15m}", "${QUEUE_TIMEOUT:-soon}")
    lines = wrong.splitlines()
    copy = project / "settings" / "flexcord.yaml"
    copy.parent.mkdir()
    assert sorted(opened(server, copy, wrong.replace("=schemas/", "=../schemas/", 1))) == [
        (
            next(n for n, line in enumerate(lines, 1) if "max_body_bytes" in line),
            "Not a valid whole number: Write a whole number like 65536, "
            "or ${VARIABLE} or ${VARIABLE:-65536} to take it from the environment.",
        ),
        (
            next(n for n, line in enumerate(lines, 1) if "queue_timeout" in line),
            "Not a valid duration: Write a number and a unit: 30s, 10m, 1h or 2d.",
        ),
    ]
