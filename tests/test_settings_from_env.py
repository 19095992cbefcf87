"""Settings that take a number (sizes, limits, timeouts, retention) written as `${VAR}` in flexcord.yaml:
`flexcord validate` checks them after filling the variables in, and says where a variable is missing
or holds no number. (What an editor shows for them is in tests/test_editor.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main as cli
from engine.config import build
from tests.fixtures.config.demo import col_of, copy_demo, edit, line_of


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo bot whose sizes, limits and timeouts come from the environment."""
    main = copy_demo(tmp_path)
    edit(main, "  max_body_bytes: 65536", "  max_body_bytes: ${FLEXCORD_MAX_BODY:-65536}")
    edit(main, "  message_length: 2000", "  message_length: ${MESSAGE_LENGTH}")
    edit(main, "  queue_timeout: 15m ", "  queue_timeout: ${QUEUE_TIMEOUT:-15m} ")
    edit(main, "storage:", "retention:\n  delivered: ${KEEP_DELIVERED}\n\nstorage:")
    return main


def validate(main: Path, env: dict[str, str]) -> tuple[int, list[dict[str, object]]]:
    filled = {"MESSAGE_LENGTH": "1500", "KEEP_DELIVERED": "3d", **env}
    result = CliRunner().invoke(
        cli, ["validate", "-c", str(main), "--format", "json"], env={k: v or None for k, v in filled.items()}
    )
    return result.exit_code, json.loads(result.output)


def test_number_settings_take_their_values_from_the_environment(demo: Path) -> None:
    assert validate(demo, {"FLEXCORD_MAX_BODY": "4096"}) == (0, [])
    config = build(
        demo, env={"FLEXCORD_MAX_BODY": "4096", "MESSAGE_LENGTH": "1500", "KEEP_DELIVERED": "3d"}
    ).config
    assert config is not None
    assert config.server.max_body_bytes == 4096
    assert config.limits.message_length == 1500
    assert config.limits.queue_timeout_seconds == 15 * 60  # unset: the default written after :-
    assert config.retention.delivered_seconds == 3 * 86400


@pytest.mark.parametrize(
    ("variable", "where", "message", "hint"),
    [
        (
            "MESSAGE_LENGTH",
            "message_length",
            "environment variable MESSAGE_LENGTH is not set (or is empty), "
            "and 'limits.message_length' needs a whole number",
            "set MESSAGE_LENGTH before starting, or give a default: ${MESSAGE_LENGTH:-2000}",
        ),
        (
            "KEEP_DELIVERED",
            "delivered",
            "environment variable KEEP_DELIVERED is not set (or is empty), "
            "and 'retention.delivered' needs a duration",
            "set KEEP_DELIVERED before starting, or give a default: ${KEEP_DELIVERED:-7d}",
        ),
    ],
)
def test_a_variable_that_is_not_set_is_reported_once_at_its_setting(
    demo: Path, variable: str, where: str, message: str, hint: str
) -> None:
    exit_code, found = validate(demo, {variable: ""})
    assert exit_code == 1
    assert [(d["line"], d["col"], d["message"], d["hint"]) for d in found] == [
        (line_of(demo, f"  {where}: "), col_of(demo, "${" + variable), message, hint)
    ]


def test_a_variable_that_holds_no_number_is_reported_without_its_value(demo: Path) -> None:
    exit_code, found = validate(demo, {"MESSAGE_LENGTH": "two thousand", "FLEXCORD_MAX_BODY": "64KB"})
    assert exit_code == 1
    assert [(d["line"], d["message"], d["hint"]) for d in found] == [
        (
            line_of(demo, "max_body_bytes"),
            "'server.max_body_bytes' needs a whole number, and ${FLEXCORD_MAX_BODY:-65536} does not give one",
            "set FLEXCORD_MAX_BODY to a whole number written in digits only, like 65536",
        ),
        (
            line_of(demo, "message_length"),
            "'limits.message_length' needs a whole number, and ${MESSAGE_LENGTH} does not give one",
            "set MESSAGE_LENGTH to a whole number written in digits only, like 2000",
        ),
    ]
    assert "two thousand" not in json.dumps(found) and "64KB" not in json.dumps(found)


def test_a_number_from_the_environment_is_checked_like_a_written_one(demo: Path) -> None:
    exit_code, found = validate(demo, {"MESSAGE_LENGTH": "5000", "QUEUE_TIMEOUT": "soon"})
    assert exit_code == 1
    assert [(d["line"], d["message"], d["hint"]) for d in found] == [
        (
            line_of(demo, "queue_timeout"),
            "'${QUEUE_TIMEOUT:-15m}' is not a valid duration ('limits.queue_timeout')",
            "write a number and a unit: 30s, 10m, 1h or 2d",
        ),
        (
            line_of(demo, "message_length"),
            "'limits.message_length' is 5000, which is out of range",
            "use 1 to 2000",
        ),
    ]
